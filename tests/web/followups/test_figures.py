"""From a recorded follow-up to the figure that includes it: seven people finish Duo's
mentoring without a job (the completion says "finished the programme"); six months later
their caseworker records them employed, and the funder report's "employed 6 months after
the start" counts them at the next view. Synthetic people only."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable, Iterator

import pytest
from django.contrib.auth.models import User
from django.test import Client, override_settings
from django.utils import timezone
from tests.support.accounts import actor_of
from tests.support.followups import move_back, participations
from tests.support.referrals import make_programme

from passerelle.web.apps.accounts.models import PlatformRole
from passerelle.web.apps.followups.models import FollowUp
from passerelle.web.apps.followups.services import follow_up_record, months_after
from passerelle.web.apps.monitoring import data

pytestmark = pytest.mark.django_db
PARTICIPANTS = 7
"""Above the small-cell threshold (5) even after a perturbation of at most 2."""
AGO = 400
"""Days since the participation, so that its 6 months have passed."""
SIX_MONTHS_ROW = 2
"""The report's row "employed 6 months after the start" (after the two of beneficiaries)."""


@pytest.fixture(autouse=True)
def platform_records() -> Iterator[None]:
    with override_settings(PASSERELLE_DEMONSTRATION=False):
        yield


def _employed_at_six_months(client: Client, year: int) -> tuple[str, str]:
    response = client.get(
        "/analysis/report.csv",
        {"programme": "duo-for-a-job-mentoring", "period": str(year), "language": "en"},
    )
    assert response.status_code == 200, response.content
    row = list(csv.DictReader(io.StringIO(response.content.decode())))[SIX_MONTHS_ROW]
    assert row["unit"] == "share"
    return row["count"], row["denominator"]


def test_a_recorded_follow_up_reaches_the_funder_report(
    make_user: Callable[..., User], organisations: dict[str, object], login: Callable
) -> None:
    users = {
        "cw_a": make_user("cw_a", "caseworker", "a"),
        "cw_b": make_user("cw_b", "caseworker", "b"),
        "analyst": make_user("analyst", platform_role=PlatformRole.ANALYST),
    }
    programme = make_programme(organisations["b"], "duo-for-a-job-mentoring")  # type: ignore[arg-type]
    sender, receiver = actor_of(users["cw_a"]), actor_of(users["cw_b"])
    participations(sender, receiver, programme, PARTICIPANTS)
    move_back(AGO)
    # Someone starting today: the report's data run to today (its `as_of` is the last event).
    participations(sender, receiver, programme, 1, complete=False)
    six_months = months_after(timezone.localdate() - dt.timedelta(days=AGO), 6)
    analyst = login(users["analyst"])
    employed, participants = _employed_at_six_months(analyst, six_months.year)
    assert employed in ("", "0")  # none had a job at the end, nor since as far as is known
    assert abs(int(participants) - PARTICIPANTS) <= 2
    caseworker = actor_of(users["cw_a"])
    for follow_up in FollowUp.objects.filter(months=6):
        follow_up_record(
            actor=caseworker,
            follow_up_id=follow_up.pk,
            situation="employed",
            contract_type="fixed_term",
            hours_per_week=30,
            situation_on=follow_up.due_on,
        )
    kinds = data.frames().events["kind"].cast(str).value_counts()
    assert dict(kinds.iter_rows())["job_start"] == PARTICIPANTS
    # Perturbed by at most 2 (cell key), never stale: the seven are in this view.
    employed, participants = _employed_at_six_months(analyst, six_months.year)
    assert abs(int(employed) - PARTICIPANTS) <= 2
    assert abs(int(participants) - PARTICIPANTS) <= 2
