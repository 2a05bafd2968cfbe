"""Rows written before issue 15 are brought in line by referrals migration 0002: leftovers
of files erased before erasure reached the other apps, and eligibility stored from the
whole file although the receiver was not given the birth date. Synthetic data only."""

from __future__ import annotations

import importlib
from typing import Any

import pytest
from django.apps import apps
from tests.support.accounts import actor_of
from tests.support.referrals import PLANNED, Network, consented, network  # noqa: F401

from passerelle.web.apps.people.models import Disclosure
from passerelle.web.apps.people.services import person_disclose, person_erase
from passerelle.web.apps.referrals.eligibility import eligibility_on
from passerelle.web.apps.referrals.models import Referral
from passerelle.web.apps.referrals.services import referral_create

pytestmark = pytest.mark.django_db

MIGRATION = importlib.import_module(
    "passerelle.web.apps.referrals.migrations.0002_forget_erased_and_rescope_eligibility"
)


def _legacy_referral(setup: Network, **extra: Any) -> Referral:
    """A referral as it was stored before: eligibility from the whole file."""
    referral = referral_create(
        actor=setup.actor("co_a"),
        person_id=setup.person.pk,
        programme=setup.mentoring,
        planned_start=PLANNED,
        fields=["identity", "contact", "profile"],
        **extra,
    )
    whole = eligibility_on(setup.person, setup.mentoring, PLANNED)
    Referral.objects.filter(pk=referral.pk).update(eligibility=whole)
    referral.refresh_from_db()
    return referral


def test_stored_eligibility_is_recomputed_from_the_shared_groups(consented: Network) -> None:  # noqa: F811
    referral = _legacy_referral(consented)
    assert any(reason.startswith("age is") for reason in referral.eligibility["reasons"])
    MIGRATION.rescope_eligibility(apps, None)
    referral.refresh_from_db()
    assert referral.eligibility["status"] == "unknown"
    assert referral.eligibility["missing"] == ["birth_date"]
    assert not any("age is" in reason for reason in referral.eligibility["reasons"])


def test_leftovers_of_files_erased_before_are_cleared(consented: Network) -> None:  # noqa: F811
    referral = _legacy_referral(consented, note="Synthetic note with a phone +32 470 11 22 33")
    person_disclose(
        actor=consented.actor("co_a"),
        person_id=consented.person.pk,
        recipient=consented.organisations["c"],
        fields=["identity"],
        override_reason="Synthetic: in hospital",
    )
    person_erase(actor=actor_of(consented.users["co_a"]), person_id=consented.person.pk)
    # As an erasure before issue 15 left them.
    whole = {"status": "eligible", "reasons": ["age is 24"], "from": "2031-03-14", "missing": []}
    Referral.objects.filter(pk=referral.pk).update(
        note="Synthetic note with a phone +32 470 11 22 33", eligibility=whole
    )
    Disclosure.objects.filter(person=consented.person).update(
        override_reason="Synthetic: in hospital"
    )
    MIGRATION.forget_erased(apps, None)
    MIGRATION.rescope_eligibility(apps, None)
    referral.refresh_from_db()
    assert referral.note == ""
    assert referral.eligibility == {
        "status": "eligible",
        "reasons": [],
        "from": None,
        "missing": [],
    }
    assert set(
        Disclosure.objects.filter(person=consented.person).values_list("override_reason", flat=True)
    ) == {"—"}
