"""Arrows between two steps point along the reading direction: "draft ← sent" in Arabic."""

from __future__ import annotations

import re

import pytest
from tests.support.accounts import logged_in
from tests.support.referrals import Network, draft, move

pytestmark = pytest.mark.django_db


def _timeline(html: str) -> list[str]:
    section = html.split('id="timeline-title"', 1)[1].split("</section>", 1)[0]
    return [re.sub(r"<[^>]+>", "", item) for item in re.findall(r"<li>(.*?)</li>", section)]


@pytest.mark.parametrize(("language", "arrow"), [("ar", "←"), ("fr", "→")])
def test_timeline_arrows_point_along_the_reading_direction(
    consented: Network, language: str, arrow: str
) -> None:
    referral = move(consented, "cw_a", draft(consented), "send")
    client = logged_in(consented.users["cw_a"])
    client.cookies["passerelle_language"] = language
    html = client.get(f"/staff/referrals/{referral.pk}/").content.decode()
    assert f'<html lang="{language}"' in html
    steps = _timeline(html)
    assert steps, "no timeline"
    last = steps[-1]
    other = "→" if arrow == "←" else "←"
    assert arrow in last
    assert other not in last
    if language == "ar":
        # The states in the reader's words, each isolated so the arrow's run stays
        # right-to-left: "مسودة ← مُرسَلة" reads draft then sent from the right.
        assert "مسودة ← مُرسَلة" in last
        assert "<bdi>مسودة</bdi> ← <bdi>مُرسَلة</bdi>" in html
        # The sender → receiver line in the header points the same way.
        meta = html.split('<p class="meta">', 1)[1].split("</p>", 1)[0]
        assert " ← " in meta
        assert "→" not in meta
