"""Every read of matching data passes here.

- Mentors are records of their organisation: its staff see and change them (not employers).
- Internship offers and vacancies belong to the host or employer: its members (the
  `employer` role, coordinators, administrators) see and change them.
- Rounds belong to the organisation running the programme: its coordinators and
  administrators run, see and confirm them; nobody else sees them (404, never 403).
- API tokens need `matching:read` to read and `matching:write` to write.
Another organisation's record does not exist for the actor. Who may do what is decided by
`common.actors.POLICY` and `SCOPE_OPERATIONS` (relation `organisation`), not here.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import QuerySet

from passerelle.web.apps.directory.models import Programme
from passerelle.web.apps.matching.models import InternshipOffer, MatchingRound, Mentor, Vacancy
from passerelle.web.common.actors import Actor, OperationDeniedError, PersonNotFoundError
from passerelle.web.common.ids import record_key


class MatchingNotFoundError(PersonNotFoundError):
    """No such mentor, offer, vacancy or round for this actor: answer 404."""


def _granted(actor: Actor, records: str, *, write: bool) -> bool:
    return actor.allowed(f"{records}_{'edit' if write else 'view'}", "organisation")


def may_run(actor: Actor, programme: Programme | None = None) -> bool:
    """May the actor run rounds (for `programme`, which its organisation must run)?"""
    if not actor.allowed("rounds_run", "organisation"):
        return False
    return programme is None or programme.organisation_id == actor.organisation.pk


def may_keep_mentors(actor: Actor, *, write: bool = False) -> bool:
    return _granted(actor, "mentors", write=write)


def may_keep_offers(actor: Actor, *, write: bool = False) -> bool:
    return _granted(actor, "offers", write=write)


def may_open_matching(actor: Actor) -> bool:
    """Has the matching page anything for the actor: mentors or offers to keep, or a
    programme of its organisation to run rounds for?"""
    return may_keep_mentors(actor) or may_keep_offers(actor) or programmes_to_match(actor).exists()


def _require(granted: bool, records: str) -> None:
    if not granted:
        raise OperationDeniedError(records)


def check_mentors(actor: Actor, *, write: bool = False) -> None:
    """OperationDeniedError unless the actor may see (or, `write`, change) mentors."""
    _require(may_keep_mentors(actor, write=write), "mentors")


def check_offers(actor: Actor, *, write: bool = False) -> None:
    _require(may_keep_offers(actor, write=write), "offers")


def check_vacancies(actor: Actor, *, write: bool = False) -> None:
    _require(may_keep_offers(actor, write=write), "vacancies")


def _key(value: object) -> uuid.UUID:
    return record_key(value, MatchingNotFoundError)


def mentors_for(actor: Actor, *, write: bool = False) -> QuerySet[Mentor]:
    check_mentors(actor, write=write)
    return Mentor.objects.filter(organisation=actor.organisation)


def offers_for(actor: Actor, *, write: bool = False) -> QuerySet[InternshipOffer]:
    check_offers(actor, write=write)
    return InternshipOffer.objects.filter(host=actor.organisation).select_related("programme")


def vacancies_for(actor: Actor, *, write: bool = False) -> QuerySet[Vacancy]:
    check_vacancies(actor, write=write)
    return Vacancy.objects.filter(employer=actor.organisation).select_related("programme")


def _one(queryset: QuerySet[Any], key: object) -> Any:
    found = queryset.filter(pk=_key(key)).first()
    if found is None:
        raise MatchingNotFoundError(str(key))
    return found


def mentor_for(actor: Actor, mentor_id: object, *, write: bool = False) -> Mentor:
    return _one(mentors_for(actor, write=write), mentor_id)  # type: ignore[no-any-return]


def offer_for(actor: Actor, offer_id: object, *, write: bool = False) -> InternshipOffer:
    return _one(offers_for(actor, write=write), offer_id)  # type: ignore[no-any-return]


def vacancy_for(actor: Actor, vacancy_id: object, *, write: bool = False) -> Vacancy:
    return _one(vacancies_for(actor, write=write), vacancy_id)  # type: ignore[no-any-return]


def programmes_to_match(actor: Actor) -> QuerySet[Programme]:
    """The programmes the actor's organisation runs, when the actor may run rounds."""
    if not may_run(actor):
        return Programme.objects.none()
    return Programme.objects.filter(organisation=actor.organisation).order_by("slug")


def rounds_for(actor: Actor) -> QuerySet[MatchingRound]:
    if not (may_run(actor) or actor.allowed("rounds_view", "organisation")):
        raise OperationDeniedError("rounds")
    return MatchingRound.objects.filter(organisation=actor.organisation).select_related("programme")


def round_for(actor: Actor, round_id: object) -> MatchingRound:
    try:
        rounds = rounds_for(actor)
    except OperationDeniedError:
        raise MatchingNotFoundError(str(round_id)) from None
    return _one(rounds, round_id)  # type: ignore[no-any-return]
