"""Synthetic demo records for matching (`passerelle demo-data`): Duo for a Job's mentors,
an employer with two vacancies and its account, a host organisation with an internship
offer and its account, and a few more synthetic candidates who consented to matching (so
that the employer's gap analysis shows counts above the small-cell threshold). Synthetic
only: no real person. Idempotent: nothing is made twice."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from passerelle.web.apps.accounts.models import Membership, Role
from passerelle.web.apps.directory.models import Organisation, Origin, Programme, stable_uuid
from passerelle.web.apps.matching.models import Mentor
from passerelle.web.apps.matching.services import mentor_save, offer_save, vacancy_save
from passerelle.web.common.actors import Actor

EMPLOYER = (
    "demo-brussels-builders",
    "employer.demo",
    {
        "fr": "Bâtisseurs bruxellois (démo)",
        "nl": "Brusselse Bouwers (demo)",
        "en": "Brussels Builders (demo)",
    },
)
HOST = (
    "demo-international-agency",
    "host.demo",
    {
        "fr": "Agence internationale (démo)",
        "nl": "Internationaal Agentschap (demo)",
        "en": "International Agency (demo)",
    },
)
MENTORS = [
    ("Marc D.", 67, ["7112", "7115"], {"fr": "C2", "nl": "B2"}, "Forest", 2),
    ("Annick V.", 64, ["5120", "9412"], {"nl": "C2", "fr": "C1"}, "Jette", 1),
    ("Luc M.", 66, ["7411"], {"fr": "C2", "nl": "C1"}, "Saint-Gilles", 3),
    ("Paul R.", 70, ["8322"], {"fr": "C2"}, "Anderlecht", 1),
    ("Hilde S.", 62, ["2211"], {"nl": "C2", "fr": "B2", "en": "B2"}, "Etterbeek", 1),
    ("Jacques L.", 68, ["5223", "5221"], {"fr": "C2"}, "Schaerbeek", 2),
    ("Myriam B.", 63, [], {"fr": "C2", "ar": "C1"}, "Molenbeek-Saint-Jean", 2),
]
CANDIDATE_NAMES = [
    "Rahel",
    "Dawit",
    "Nour",
    "Bilal",
    "Samira",
    "Khalid",
    "Lina",
    "Yusuf",
    "Aster",
    "Omar",
    "Hana",
    "Tariq",
]


def _organisation(slug: str, names: dict[str, str], kind: str) -> Organisation:
    organisation, _made = Organisation.objects.get_or_create(
        slug=slug,
        defaults={
            "uuid": stable_uuid("organisation", slug),
            "names": names,
            "kind": kind,
            "origin": Origin.USER,
            "municipality": "bruxelles",
            "is_demo": True,
        },
    )
    return organisation


def _account(user_model: Any, username: str, organisation: Organisation, password: str) -> Actor:
    user, made = user_model.objects.get_or_create(username=username)
    if made:
        user.set_password(password)
        user.save()
    Membership.objects.update_or_create(
        user=user, organisation=organisation, defaults={"role": Role.EMPLOYER}
    )
    return Actor(organisation=organisation, role=Role.EMPLOYER, user=user, label=username)


def demo_matching(*, today: dt.date, password: str, seed: int = 2026) -> dict[str, Any]:
    """Make the demo's matching records; answer the accounts made and what was created."""
    from django.contrib.auth import get_user_model

    user_model = get_user_model()
    # Only over a loaded knowledge base (`passerelle load`): the programmes must exist.
    loaded = set(
        Programme.objects.filter(
            slug__in=("duo-for-a-job-mentoring", "actiris-job-support", "tandem-internship")
        ).values_list("slug", flat=True)
    )
    duo = Organisation.objects.filter(slug="duo-for-a-job").first()
    employer = _organisation(EMPLOYER[0], EMPLOYER[2], "employer")
    host = _organisation(HOST[0], HOST[2], "international_organisation")
    employer_actor = _account(user_model, EMPLOYER[1], employer, password)
    host_actor = _account(user_model, HOST[1], host, password)
    accounts = [(EMPLOYER[1], employer.slug), (HOST[1], host.slug)]
    made = {"mentors": 0, "vacancies": 0, "offers": 0, "candidates": 0}
    mentoring = duo is not None and "duo-for-a-job-mentoring" in loaded
    if mentoring and duo is not None and not Mentor.objects.filter(organisation=duo).exists():
        made["mentors"] = _mentors_create(duo, today)
        made["candidates"] = _candidates(today, random.Random(seed), duo)
    if len(loaded) == 3 and not _has_records(employer, host):
        made["vacancies"], made["offers"] = _offers_create(employer_actor, host_actor, today)
    return {"accounts": accounts, **made}


def _mentors_create(duo: Organisation, today: dt.date) -> int:
    """Duo for a Job's demo mentors, available from today."""
    keeper = Actor(organisation=duo, role=Role.CASEWORKER, label="passerelle demo-data")
    for label, age, codes, languages, municipality, places in MENTORS:
        mentor_save(
            actor=keeper,
            data={
                "label": label,
                "age": age,
                "occupations": codes,
                "languages": languages,
                "municipality": municipality,
                "max_mentees": places,
                "available_from": today.isoformat(),
            },
        )
    return len(MENTORS)


def _offers_create(employer_actor: Actor, host_actor: Actor, today: dt.date) -> tuple[int, int]:
    """The employer's vacancies and the host's internship offer, starting next month or
    later; answers how many of each."""
    next_month = (today.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    vacancies = (
        {
            "title": "Électricien / Elektricien",
            "occupation": "7411",
            "languages": "fr:B2 nl:B1",
            "diploma_isced_required": 3,
            "recognition_required": True,
            "municipality": "Forest",
            "start_date": (next_month + dt.timedelta(days=31)).isoformat(),
            "posts": 2,
            "programme": "actiris-job-support",
        },
        {
            "title": "Aide de cuisine / Keukenhulp",
            "occupation": "9412",
            "languages": "fr:A2 nl:A2",
            "municipality": "Bruxelles",
            "start_date": next_month.isoformat(),
            "posts": 3,
            "programme": "actiris-job-support",
        },
    )
    for data in vacancies:
        vacancy_save(actor=employer_actor, data=data)
    offer_save(
        actor=host_actor,
        data={
            "title": "Two weeks with the communication team",
            "programme": "tandem-internship",
            "working_language": "fr",
            "language_level": "A2",
            "municipality": "Etterbeek",
            "start_date": (next_month + dt.timedelta(days=7)).isoformat(),
            "allowance": "15.00",
            "places": 2,
        },
    )
    return len(vacancies), 1


def _has_records(employer: Organisation, host: Organisation) -> bool:
    from passerelle.web.apps.matching.models import InternshipOffer, Vacancy

    return (
        Vacancy.objects.filter(employer=employer).exists()
        or InternshipOffer.objects.filter(host=host).exists()
    )


CANDIDATE_GROUPS = [
    # (experience, French level, diploma recognition, legal status, how many). The published
    # counts are perturbed by -2 to +2 and a count below the small-cell threshold (5) is
    # withheld with its whole row: groups of 7 keep every count 0 or at least 7, so that the
    # employer's and the host's pages show figures. The electricians' vacancy asks for French
    # B2 (or Dutch B1) and a recognised diploma: 7 qualify now, 7 in six months (one level and
    # the recognition), 7 in twelve (two levels); the 7 kitchen helpers qualify now. The 7
    # office clerks with subsidiary protection are not eligible for Tandem's internships
    # (refugees and asylum seekers), so that the host sees who does not qualify, and why,
    # above the threshold whatever other files the demo adds.
    ("7411", "B2", "full", "refugee", 7),
    ("7411", "B1", "not_requested", "refugee", 7),
    ("7411", "A2", "full", "refugee", 7),
    ("9412", "A2", "not_requested", "refugee", 7),
    ("4110", "B1", "not_requested", "subsidiary_protection", 7),
]


def _candidate_data(
    index: int,
    occupation: str,
    level: str,
    recognition: str,
    status: str,
    today: dt.date,
    rng: random.Random,
) -> dict[str, Any]:
    """The person file of the demo's `index`-th candidate: a young newcomer with a decision
    on their asylum application, a secondary-school diploma and two years in `occupation`."""
    given = CANDIDATE_NAMES[index % len(CANDIDATE_NAMES)]
    birth = today.replace(year=today.year - 20 - rng.randrange(9)) - dt.timedelta(days=40)
    decision = today - dt.timedelta(days=200 + rng.randrange(900))
    return {
        "given_names": given,
        "given_names_latin": given,
        "family_name": f"Demo {index + 1}",
        "family_name_latin": f"Demo {index + 1}",
        "birth_date": birth.isoformat(),
        "profile": {
            "nationality": rng.choice(["ER", "SY", "AF", "GN"]),
            "legal_status": status,
            "asylum_application_date": (decision - dt.timedelta(days=300)).isoformat(),
            "asylum_decision_date": decision.isoformat(),
            "residence_permit_months": 60,
            "arrival_in_belgium": (decision - dt.timedelta(days=320)).isoformat(),
            "municipality": rng.choice(["Anderlecht", "Forest", "Schaerbeek"]),
            "languages": {"fr": level, "ar": "C2"},
            "migration_background": True,
        },
        "assessment": {
            "diplomas": [
                {
                    "title": "Secondary school",
                    "country": "SY",
                    "isced": 3,
                    "recognition": recognition,
                }
            ],
            "experience": [{"isco": occupation, "years": 2}],
        },
    }


def _candidates(today: dt.date, rng: random.Random, duo: Organisation) -> int:
    """Synthetic young refugees (electricians, kitchen helpers) and office clerks with
    subsidiary protection, held by BAPA, who consented to matching; half also consented to
    share their file with Duo for a Job."""
    from passerelle.web.apps.people.services import consent_record, person_create

    bapa = Organisation.objects.filter(slug="bapa-bxl").first()
    if bapa is None:
        return 0
    writer = Actor(organisation=bapa, role=Role.CASEWORKER, label="passerelle demo-data")
    specs = [
        (occupation, level, recognition, status)
        for occupation, level, recognition, status, count in CANDIDATE_GROUPS
        for _ in range(count)
    ]
    for index, (occupation, level, recognition, status) in enumerate(specs):
        data = _candidate_data(index, occupation, level, recognition, status, today, rng)
        person = person_create(actor=writer, data=data)
        consent_record(
            actor=writer,
            person_id=person.pk,
            purpose="matching",
            fields=["birth_date", "profile", "education", "experience"],
            given_on=today - dt.timedelta(days=10 + rng.randrange(200)),
        )
        if index % 2 == 0:
            consent_record(
                actor=writer,
                person_id=person.pk,
                purpose="referral",
                recipient=duo,
                fields=["identity", "contact", "profile"],
                given_on=today,
            )
    return len(specs)
