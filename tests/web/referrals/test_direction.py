"""Arrows point along the reading direction ("CPAS ← Duo" in Arabic), and the timeline says
what each step did in words rather than "draft → sent" (issue 18)."""

from __future__ import annotations

import re

import pytest
from tests.support.accounts import logged_in
from tests.support.referrals import Network, draft, move

pytestmark = pytest.mark.django_db


def _timeline(html: str) -> list[str]:
    section = html.split('id="timeline-title"', 1)[1].split("</section>", 1)[0]
    return [re.sub(r"<[^>]+>", "", item) for item in re.findall(r"<li>(.*?)</li>", section)]


@pytest.mark.parametrize(
    ("language", "arrow", "sent"),
    [("ar", "←", "أرسل الإحالة"), ("fr", "→", "a envoyé l&#x27;orientation")],
)
def test_arrows_point_along_the_reading_direction_and_steps_are_words(
    consented: Network, language: str, arrow: str, sent: str
) -> None:
    referral = move(consented, "cw_a", draft(consented), "send")
    client = logged_in(consented.users["cw_a"])
    client.cookies["passerelle_language"] = language
    html = client.get(f"/staff/referrals/{referral.pk}/").content.decode()
    assert f'<html lang="{language}"' in html
    steps = _timeline(html)
    assert len(steps) == 2, steps
    assert steps[-1].endswith(sent)
    assert not any("→" in step or "←" in step for step in steps)
    # The sender → receiver line in the header points the reader's way.
    other = "→" if arrow == "←" else "←"
    meta = html.split('<p class="meta">', 1)[1].split("</p>", 1)[0]
    assert f" {arrow} " in meta
    assert other not in meta
