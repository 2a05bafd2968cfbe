"""Candidates: person files whose active consent covers matching, mapped to the engine's
`Person` (`passerelle.core.matching.model`).

The consent's field groups limit what the engine reads: the rules' profile only with
`profile`, the birth date (age ranges) only with `birth_date`, diplomas only with
`education`, experience and wishes only with `experience`. What is not covered stays
unknown, and the engine says so ("right to work or eligibility unknown"). The profile is
built as the referrals' eligibility builds it (`people.schemas.rules_profile`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from passerelle.core.matching.model import Person as EnginePerson
from passerelle.core.profile import ProfileError
from passerelle.web.apps.people.models import Consent, ConsentPurpose, FileStatus, Person
from passerelle.web.apps.people.schemas import rules_profile

RECOGNISED = frozenset({"full", "not_needed"})
"""Recognition statuses that count as recognised (a partial recognition does not)."""


@dataclass(frozen=True)
class Candidate:
    person: Person
    consent: Consent
    engine: EnginePerson


def matching_consents(on: dt.date) -> Any:
    """Active matching consents given on or before `on`, of open files, oldest first."""
    return (
        Consent.objects.filter(
            purpose=ConsentPurpose.MATCHING, withdrawn_on__isnull=True, given_on__lte=on
        )
        .filter(person__status=FileStatus.OPEN)
        .select_related("person__organisation")
        .order_by("given_on", "recorded_at")
    )


def engine_person(person: Person, consent: Consent) -> EnginePerson:
    """The engine's view of a file, limited to the consent's field groups."""
    fields = set(consent.fields)
    birth_date = person.birth_date if "birth_date" in fields else None
    profile_data = dict(person.profile or {}) if "profile" in fields else {}
    try:
        profile = rules_profile(birth_date, profile_data)
    except ProfileError:  # a stored profile the rules no longer accept: treat as unknown
        profile = rules_profile(birth_date, {})
    assessment = dict(person.assessment or {})
    occupation = wish = None
    if "experience" in fields:
        experience = sorted(
            assessment.get("experience") or [], key=lambda item: -float(item.get("years") or 0)
        )
        occupation = experience[0]["isco"] if experience else None
        wishes = assessment.get("wished_occupations") or []
        wish = wishes[0] if wishes else None
    diploma_isced = diploma_foreign = diploma_recognised = None
    if "education" in fields:
        diplomas = [d for d in assessment.get("diplomas") or [] if d.get("isced") is not None]
        if diplomas:
            best = max(diplomas, key=lambda d: int(d["isced"]))
            diploma_isced = int(best["isced"])
            country = best.get("country")
            diploma_foreign = None if country is None else country != "BE"
            diploma_recognised = best.get("recognition") in RECOGNISED
    return EnginePerson(
        id=str(person.pk),
        profile=profile,
        occupation=occupation,
        wish=wish,
        waiting_since=consent.given_on,
        organisation=person.organisation.slug,
        diploma_isced=diploma_isced,
        diploma_foreign=diploma_foreign,
        diploma_recognised=diploma_recognised,
    )


def candidates_on(on: dt.date, *, exclude: Iterable[object] = ()) -> list[Candidate]:
    """One candidate per person (their oldest active matching consent), without `exclude`."""
    excluded = {str(key) for key in exclude}
    seen: set[str] = set()
    found: list[Candidate] = []
    for consent in matching_consents(on):
        key = str(consent.person_id)
        if key in seen or key in excluded:
            continue
        seen.add(key)
        found.append(Candidate(consent.person, consent, engine_person(consent.person, consent)))
    return found


def referral_consent_fields(person: Person, recipient: Any) -> list[str] | None:
    """The field groups of the person's active referral consent naming `recipient` (the
    widest), or None when there is none."""
    consents = Consent.objects.filter(
        person=person,
        purpose=ConsentPurpose.REFERRAL,
        recipient=recipient,
        withdrawn_on__isnull=True,
    )
    best: list[str] | None = None
    for consent in consents:
        if best is None or len(consent.fields) > len(best):
            best = list(consent.fields)
    return best
