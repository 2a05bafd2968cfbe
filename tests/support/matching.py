"""Matching for tests: Duo for a Job (organisation b) runs the mentoring programme and keeps
two mentors; a CPAS (a) and BAPA (c) hold the candidates' files; an employer (acme) has
vacancies. Synthetic people only."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth.models import User
from tests.support.accounts import PASSWORD, actor_of
from tests.support.people import synthetic_file
from tests.support.referrals import make_programme

from passerelle.web.apps.accounts.models import Membership
from passerelle.web.apps.directory.models import Organisation, Programme, stable_uuid
from passerelle.web.apps.matching.models import Mentor, Vacancy
from passerelle.web.apps.matching.services import mentor_save, vacancy_save
from passerelle.web.apps.people.models import Person
from passerelle.web.apps.people.services import consent_record, person_create
from passerelle.web.common.actors import Actor

ROUND_DAY = dt.date(2026, 12, 1)


MATCHING_FIELDS = ["birth_date", "profile", "education", "experience"]


@dataclass
class Setting:
    organisations: dict[str, Organisation]
    mentoring: Programme
    users: dict[str, User]
    persons: dict[str, Person]
    mentors: list[Mentor]

    def actor(self, name: str) -> Actor:
        return actor_of(self.users[name])


def make_organisation(slug: str, kind: str = "employer") -> Organisation:
    return Organisation.objects.create(
        slug=slug,
        uuid=stable_uuid("organisation", slug),
        names={"fr": slug, "nl": slug, "en": slug},
        kind=kind,
    )


def candidate(
    writer: Actor,
    given: str,
    *,
    matching: bool = True,
    refer_to: Organisation | None = None,
    **profile: Any,
) -> Person:
    """A 25-year-old Eritrean refugee with French A2, bricklayer: eligible for Duo's
    mentoring on ROUND_DAY."""
    data = synthetic_file(given=given, birth_date="2001-03-14")
    data["profile"]["migration_background"] = True
    data["profile"].update(profile)
    person = person_create(actor=writer, data=data)
    if matching:
        consent_record(
            actor=writer,
            person_id=person.pk,
            purpose="matching",
            fields=MATCHING_FIELDS,
            given_on=dt.date(2026, 6, 1),
        )
    if refer_to is not None:
        consent_record(
            actor=writer,
            person_id=person.pk,
            purpose="referral",
            recipient=refer_to,
            fields=["identity", "contact", "profile"],
            given_on=dt.date(2026, 6, 1),
        )
    return person


NAMES = ("Amanuel", "Selam", "Yonas", "Tesfaye", "Hiwet")


def bricklayer(setting: Setting) -> Vacancy:
    return vacancy_save(
        actor=setting.actor("employer"),
        data={
            "title": "Bricklayer",
            "occupation": "7112",
            "languages": "fr:B1 nl:B1",
            "recognition_required": True,
            "municipality": "Forest",
            "start_date": "2027-01-04",
            "posts": 2,
        },
    )


@pytest.fixture
def setting(organisations: dict[str, Organisation], make_user: Callable[..., User]) -> Setting:
    acme = make_organisation("acme-construction")
    organisations = {**organisations, "acme": acme}
    users = {
        "cw_a": make_user("cw_a", "caseworker", "a"),
        "co_a": make_user("co_a", "coordinator", "a"),
        "cw_b": make_user("cw_b", "caseworker", "b"),
        "co_b": make_user("co_b", "coordinator", "b"),
        "cw_c": make_user("cw_c", "caseworker", "c"),
        "employer": User.objects.create_user(username="employer", password=PASSWORD),
    }
    Membership.objects.create(user=users["employer"], organisation=acme, role="employer")
    mentoring = make_programme(organisations["b"], "duo-for-a-job-mentoring")
    duo = organisations["b"]
    persons = {
        "consented": candidate(actor_of(users["cw_a"]), "Amanuel", refer_to=duo),
        "no_disclosure": candidate(actor_of(users["cw_a"]), "Selam"),
        "elsewhere": candidate(actor_of(users["cw_c"]), "Yonas", refer_to=duo),
        "not_matching": candidate(actor_of(users["cw_a"]), "Hiwet", matching=False),
    }
    mentors = [
        mentor_save(
            actor=actor_of(users["cw_b"]),
            data={
                "label": label,
                "age": 66,
                "occupations": codes,
                "languages": "fr:C2 nl:B2",
                "municipality": "Anderlecht",
                "max_mentees": places,
            },
        )
        for label, codes, places in (("Marc", "7112", 1), ("Anne", "7111 7115", 2))
    ]
    return Setting(organisations, mentoring, users, persons, mentors)
