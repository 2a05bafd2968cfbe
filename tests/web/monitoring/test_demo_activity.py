"""`passerelle demo-activity`: synthetic activity recorded through the services gives every
analysis page of a demonstration its figures; the same seed gives the same activity, and a
second run adds nothing. Synthetic people only."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db.models import Count
from django.test import Client, override_settings
from django.utils import timezone
from tests.support.accounts import PASSWORD

from passerelle.cli.demo_activity import EMAIL_DOMAIN, demo_activity_record
from passerelle.web.apps.accounts.models import PlatformRole, StaffProfile
from passerelle.web.apps.audit.models import AuditEntry
from passerelle.web.apps.beneficiaries.models import EncodingBatch
from passerelle.web.apps.followups.models import FollowUp, FollowUpState
from passerelle.web.apps.matching.demo import demo_matching
from passerelle.web.apps.matching.models import MatchingRound
from passerelle.web.apps.people.models import Person
from passerelle.web.apps.referrals.models import Referral, ReferralEvent

PERSONS = 100


@pytest.fixture(autouse=True)
def demonstration_records() -> Iterator[None]:
    with override_settings(PASSERELLE_DEMONSTRATION=True, MONITORING_DEMONSTRATION_RECORDS=True):
        yield


def _counts() -> tuple[int, ...]:
    return (
        Person.objects.count(),
        Referral.objects.count(),
        ReferralEvent.objects.count(),
        AuditEntry.objects.count(),
        MatchingRound.objects.count(),
        EncodingBatch.objects.count(),
        FollowUp.objects.count(),
    )


def test_demo_activity_fills_the_analysis_pages_once(
    loaded_directory: Any,
    login: Callable[[User], Client],
) -> None:
    on = timezone.localdate()
    demo_matching(today=on, password="demo", seed=1)  # the demo's mentors: a round has slots
    report = demo_activity_record(persons=PERSONS, seed=5, on=on)
    files = Person.objects.filter(email__endswith=f"@{EMAIL_DOMAIN}")
    assert files.count() == PERSONS
    assert report.files > PERSONS  # some persons also have a file at a second organisation
    # Every state of a referral's life, reached through the services' transitions.
    states = set(ReferralEvent.objects.values_list("to_state", flat=True))
    assert states == {
        "draft",
        "sent",
        "accepted",
        "waitlisted",
        "rejected",
        "in_progress",
        "completed",
        "no_show",
        "withdrawn",
    }
    # Three years of history, dated by the services' own clock.
    days = ReferralEvent.objects.values_list("at", flat=True)
    assert (max(days) - min(days)).days > 700
    assert report.rounds >= 1
    assert MatchingRound.objects.exists()
    assert report.encoded > 0
    # Follow-ups at 6 and 12 months after completions, with the persons' consent: those
    # whose day has come are recorded, in every situation; the latest may still be open.
    recorded = FollowUp.objects.filter(state=FollowUpState.RECORDED)
    assert set(recorded.values_list("months", flat=True)) == {6, 12}
    assert set(recorded.values_list("situation", flat=True)) >= {"employed", "looking_for_work"}
    assert all(f.situation_on >= f.due_on for f in recorded)
    before = _counts()
    again = demo_activity_record(persons=PERSONS, seed=5, on=on)
    assert (again.persons, again.skipped) == (0, PERSONS)
    assert _counts() == before

    user = User.objects.create_user(username="analyst", password=PASSWORD)
    StaffProfile.objects.create(user=user, platform_role=PlatformRole.ANALYST)
    analyst = login(user)
    page = analyst.get("/analysis/")
    assert page.status_code == 200
    text = page.content.decode()
    assert 'class="demonstration"' in text  # the banner: these records are synthetic
    outcomes = _csv(analyst.get("/analysis/csv/outcomes.csv"))
    shown = [row for row in outcomes if row["suppressed"] == "false"]
    assert shown
    assert all(int(row["participants"]) >= 5 for row in shown)
    assert {row["data_source"] for row in outcomes} == {"synthetic"}
    # The programme that received the most referrals last year, read from the events: which
    # programme that is depends on the order the database returns the demo's organisations.
    busiest = (
        ReferralEvent.objects.filter(to_state="sent", at__year=on.year - 1)
        .values("referral__programme__slug")
        .annotate(n=Count("pk"))
        .order_by("-n")
        .first()
    )
    assert busiest is not None
    # publishable whatever its perturbation: the small-cell threshold (5) plus its largest shift (2)
    assert busiest["n"] >= 7
    report = _csv(
        analyst.get(
            "/analysis/report.csv",
            {
                "programme": busiest["referral__programme__slug"],
                "period": str(on.year - 1),
                "language": "en",
            },
        )
    )
    received = next(row for row in report if row["unit"] == "referrals")
    assert received["suppressed"] == "false"
    assert int(received["count"]) >= 5
    evaluation = analyst.get("/analysis/evaluation/")
    assert evaluation.status_code == 200


def _csv(response: Any) -> list[dict[str, str]]:
    assert response.status_code == 200, response.content
    return list(csv.DictReader(io.StringIO(response.content.decode())))
