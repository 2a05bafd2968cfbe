"""Fixtures for follow-ups: the referrals' network (a CPAS refers a refugee to Duo for a
Job's mentoring), the person's consent to follow-up, and a referral completed. Synthetic
people only."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from tests.support.followups import completed, consent_to_follow_up
from tests.support.referrals import (  # noqa: F401 (fixtures)
    Network,
    consented,
    network,
)
from tests.support.tasks import run_worker, stored_tasks  # noqa: F401 (fixtures)


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
