"""Fixtures for follow-ups: the referrals' network (a CPAS refers a refugee to Duo for a
Job's mentoring), the person's consent to follow-up, and a referral completed. Synthetic
people only."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from tests.support.referrals import (  # noqa: F401 (fixtures)
    Network,
    consented,
    draft,
    move,
    network,
)
from tests.support.tasks import run_worker, stored_tasks  # noqa: F401 (fixtures)

from passerelle.web.apps.people.services import consent_record
from passerelle.web.apps.referrals.models import Referral


def consent_to_follow_up(people: Network) -> object:
    return consent_record(
        actor=people.actor("cw_a"),
        person_id=people.person.pk,
        purpose="follow_up",
        fields=["contact"],
        given_on=dt.date(2026, 11, 20),
    )


def completed(people: Network, outcome: str = "finished") -> Referral:
    referral = move(people, "cw_a", draft(people), "send")
    for action in ("accept", "start"):
        move(people, "cw_b", referral, action)
    return move(people, "cw_b", referral, "complete", outcome=outcome)


@pytest.fixture
def followed(consented: Network) -> Network:  # noqa: F811 (the fixture)
    """The person consented to follow-up, and their referral to the mentoring is completed
    today: two follow-ups are open on the CPAS's file."""
    consent_to_follow_up(consented)
    completed(consented)
    return consented


@pytest.fixture
def today() -> dt.date:
    return timezone.localdate()


@pytest.fixture
def login_as() -> object:
    """A client logged in through the real login page and second factor."""
    from tests.support.monitoring import logged_in

    return logged_in


@pytest.fixture
def login() -> object:
    from tests.support.monitoring import logged_in

    return logged_in
