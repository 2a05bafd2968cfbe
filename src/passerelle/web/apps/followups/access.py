"""Every read of follow-ups passes here. A follow-up belongs to the file it is on: the
organisation holding the file sees and records it (`common.actors.POLICY`, relation `own`:
`list` to see the list, `view` to open one, `edit` to record); to any other actor it does not
exist (404). Views and API modules read follow-ups only through this module."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.db.models import QuerySet

from passerelle.web.apps.followups.models import FollowUp, FollowUpState, Participation
from passerelle.web.apps.people.access import PersonAccess
from passerelle.web.apps.people.models import FileStatus
from passerelle.web.common.actors import Actor, OperationDeniedError, PersonNotFoundError
from passerelle.web.common.ids import record_key


class FollowUpNotFoundError(PersonNotFoundError):
    """No such follow-up for this actor (also when it is on another organisation's file)."""


class ParticipationNotFoundError(PersonNotFoundError):
    """No such participation for this actor (also when another organisation recorded it)."""


def _of_organisation(actor: Actor) -> QuerySet[FollowUp]:
    return (
        FollowUp.objects.filter(organisation=actor.organisation)
        .exclude(person__status=FileStatus.ANONYMISED)
        .select_related("programme", "person")
    )


def follow_ups_due_for(
    actor: Actor, *, on: dt.date, within_days: int = 30, state: str = FollowUpState.OPEN
) -> QuerySet[FollowUp]:
    """The follow-ups on the actor's organisation's files in `state` (open by default) due
    by `on` plus `within_days`: the overdue first, then by due date (the earliest due is the
    most overdue)."""
    if actor.organisation is None or not actor.allowed("list", "own"):
        raise OperationDeniedError("list")
    follow_ups = _of_organisation(actor).filter(state=state)
    if state == FollowUpState.OPEN:
        follow_ups = follow_ups.filter(due_on__lte=on + dt.timedelta(days=within_days))
    return follow_ups.order_by("due_on", "created_at", "pk")


def follow_up_for(
    actor: Actor, follow_up_id: object, operation: str, *, for_update: bool = False
) -> FollowUp:
    """The follow-up `follow_up_id` for `operation` (view, edit), or FollowUpNotFoundError
    (not on a file the actor's organisation holds) / OperationDeniedError."""
    key = record_key(follow_up_id, FollowUpNotFoundError)
    if actor.organisation is None:
        raise FollowUpNotFoundError(str(follow_up_id))
    follow_ups = _of_organisation(actor)
    if for_update:
        follow_ups = follow_ups.select_for_update(of=("self",))
    follow_up = follow_ups.filter(pk=key).first()
    if follow_up is None:
        raise FollowUpNotFoundError(str(follow_up_id))
    if not actor.allowed(operation, "own"):
        raise OperationDeniedError(operation)
    return follow_up


def follow_ups_of_file(access: PersonAccess) -> list[FollowUp]:
    """The follow-ups of a file, for its timeline: only to the organisation holding it."""
    if access.relation != "own":
        return []
    return list(
        FollowUp.objects.filter(person=access.person)
        .select_related("programme")
        .prefetch_related("versions")
        .order_by("due_on", "months")
    )


def follow_ups_of_person(person: Any) -> QuerySet[FollowUp]:
    """Every follow-up of a person, for the services (cancellation and erasure)."""
    return FollowUp.objects.filter(person=person)


def follow_ups_announce_due(on: dt.date) -> QuerySet[FollowUp]:
    """Open follow-ups due on or before `on` that were not announced yet (the reminder)."""
    return FollowUp.objects.filter(
        state=FollowUpState.OPEN, due_on__lte=on, announced_on__isnull=True
    ).exclude(person__status=FileStatus.ANONYMISED)


def participations_for(
    actor: Actor, *, person_id: object = None, external_id: str = ""
) -> QuerySet[Participation]:
    """The participations the actor's organisation recorded on the files it holds (relation
    `own`, operation `list`), the latest ended first; of one file, or of one reference."""
    if actor.organisation is None or not actor.allowed("list", "own"):
        raise OperationDeniedError("list")
    participations = (
        Participation.objects.filter(organisation=actor.organisation)
        .exclude(person__status=FileStatus.ANONYMISED)
        .select_related("programme")
        .prefetch_related("follow_ups")
    )
    if person_id is not None:
        try:
            participations = participations.filter(person_id=uuid.UUID(str(person_id)))
        except ValueError:
            return participations.none()
    if external_id:
        participations = participations.filter(external_id=external_id)
    return participations.order_by("-ended_on", "-recorded_at", "pk")


def participation_for(actor: Actor, participation_id: object) -> Participation:
    """One participation the actor's organisation recorded (operation `view`), or
    ParticipationNotFoundError / OperationDeniedError."""
    key = record_key(participation_id, ParticipationNotFoundError)
    if actor.organisation is None:
        raise ParticipationNotFoundError(str(participation_id))
    if not actor.allowed("view", "own"):
        raise OperationDeniedError("view")
    found = participations_for(actor).filter(pk=key).first()
    if found is None:
        raise ParticipationNotFoundError(str(participation_id))
    return found
