"""Referrals for tests: a network of three organisations with a mentoring programme and a
refugee's file (synthetic), and the helpers that draft and move a referral."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth.models import User
from tests.support.accounts import actor_of
from tests.support.people import synthetic_file

from passerelle.web.apps.directory.models import Organisation, Programme, stable_uuid
from passerelle.web.apps.people.models import Person
from passerelle.web.apps.people.services import consent_record, person_create
from passerelle.web.apps.referrals.models import Referral
from passerelle.web.apps.referrals.services import referral_create, referral_transition

PLANNED = dt.date(2026, 12, 1)


@dataclass
class Network:
    organisations: dict[str, Organisation]
    mentoring: Programme
    person: Person
    users: dict[str, User]

    def actor(self, name: str) -> Any:
        return actor_of(self.users[name])


def make_programme(organisation: Organisation, slug: str, **fields: Any) -> Programme:
    return Programme.objects.create(
        slug=slug,
        uuid=stable_uuid("programme", slug),
        origin="knowledge",
        in_knowledge=True,
        organisation=organisation,
        names={"en": slug, "fr": slug, "nl": slug},
        **fields,
    )


FIELDS = ["identity", "contact", "profile"]


def draft(network: Network, **extra: Any) -> Referral:
    return referral_create(
        actor=network.actor("cw_a"),
        person_id=network.person.pk,
        programme=extra.pop("programme", network.mentoring),
        planned_start=extra.pop("planned_start", PLANNED),
        fields=extra.pop("fields", FIELDS),
        **extra,
    )


def move(network: Network, who: str, referral: Referral, action: str, **extra: Any) -> Referral:
    return referral_transition(
        actor=network.actor(who), referral_id=referral.pk, action=action, **extra
    )


@pytest.fixture
def network(organisations: dict[str, Organisation], make_user: Callable[..., User]) -> Network:
    users = {
        "cw_a": make_user("cw_a", "caseworker", "a"),
        "co_a": make_user("co_a", "coordinator", "a"),
        "cw_b": make_user("cw_b", "caseworker", "b"),
        "co_b": make_user("co_b", "coordinator", "b"),
        "cw_c": make_user("cw_c", "caseworker", "c"),
    }
    for user, language in ((users["cw_b"], "nl"), (users["co_b"], "fr")):
        user.email = f"{user.username}@example.org"
        user.save()
        from passerelle.web.apps.accounts.models import StaffProfile

        StaffProfile.objects.create(user=user, language=language)
    mentoring = make_programme(organisations["b"], "duo-for-a-job-mentoring")
    # 24 on the planned start, refugee since 2018, Eritrean: eligible for Duo's mentoring.
    data = synthetic_file(given="Amanuel", birth_date="2002-03-14")
    data["profile"]["migration_background"] = True
    person = person_create(actor=actor_of(users["cw_a"]), data=data)
    return Network(organisations, mentoring, person, users)


@pytest.fixture
def consented(network: Network) -> Network:
    consent_record(
        actor=network.actor("cw_a"),
        person_id=network.person.pk,
        purpose="referral",
        recipient=network.organisations["b"],
        fields=["identity", "contact", "profile"],
        given_on=dt.date(2026, 11, 20),
    )
    return network


def sent_referral(network: Network) -> Referral:
    referral = referral_create(
        actor=network.actor("cw_a"),
        person_id=network.person.pk,
        programme=network.mentoring,
        planned_start=PLANNED,
        fields=["identity", "contact", "profile"],
    )
    return referral_transition(actor=network.actor("cw_a"), referral_id=referral.pk, action="send")
