"""The organisations' API for follow-ups (under /api/v1/follow-ups) and for the
participations that end in them (/api/v1/participations), for organisations that record
outcomes in their own system (docs/follow-ups.md).

The same tokens and scopes as the person files: listing and reading need `persons:read`,
recording needs `persons:write`; only the organisation holding the file sees its follow-ups
(another's is 404). A participation is recorded once per reference (`external_id` or the
Idempotency-Key header). Every 4xx names its field: {"detail": [{"loc": [field], "msg": ...}]}.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status

from passerelle.web.apps.directory.selectors import programmes_visible
from passerelle.web.apps.followups import access, services
from passerelle.web.apps.followups.models import FollowUp, Participation
from passerelle.web.common.actors import OperationDeniedError, PersonNotFoundError
from passerelle.web.common.api import ERRORS, ApiError, OrganisationToken, api_actor, page_answer
from passerelle.web.common.outcomes import MAX_HOURS_PER_WEEK, ContractType, Situation

router = Router(auth=OrganisationToken(), tags=["follow-ups (organisations)"])


class FollowUpFilters(Schema):
    state: Literal["open", "recorded", "cancelled"] = Field(
        "open", description="open: due by today plus `within_days`, overdue first"
    )
    within_days: int = Field(30, ge=0, le=366, description="open ones due up to this far ahead")
    page: int = Field(1, ge=1, le=100000)


class FollowUpIn(Schema):
    situation: str = Field(..., max_length=20, description=", ".join(Situation.values))
    contract_type: str = Field(
        "", max_length=16, description="when employed: " + ", ".join(ContractType.values)
    )
    hours_per_week: Decimal | None = Field(
        None,
        description=f"when employed: more than 0 and at most {MAX_HOURS_PER_WEEK} (a bound "
        "the project chose against typing errors, not a legal limit)",
    )
    situation_on: dt.date | None = Field(
        None, description="the day the situation held (default today)"
    )
    version: int | None = Field(
        None, ge=1, description="The version you read; 409 if the follow-up changed since"
    )


class FollowUpOut(Schema):
    id: str
    person_id: str
    referral_id: str | None
    participation_id: str | None
    programme: str
    months: int
    ended_on: dt.date
    due_on: dt.date
    overdue: bool
    state: str
    situation: str
    contract_type: str
    hours_per_week: Decimal | None
    situation_on: dt.date | None
    version: int


class FollowUpPage(Schema):
    count: int
    page: int
    pages: int
    items: list[FollowUpOut]


def _out(follow_up: FollowUp) -> dict[str, Any]:
    return {
        "id": str(follow_up.pk),
        "person_id": str(follow_up.person_id),
        "referral_id": str(follow_up.referral_id) if follow_up.referral_id else None,
        "participation_id": (
            str(follow_up.participation_id) if follow_up.participation_id else None
        ),
        "programme": follow_up.programme.slug,
        "months": follow_up.months,
        "ended_on": follow_up.ended_on,
        "due_on": follow_up.due_on,
        "overdue": follow_up.state == "open" and follow_up.due_on < timezone.localdate(),
        "state": follow_up.state,
        "situation": follow_up.situation,
        "contract_type": follow_up.contract_type,
        "hours_per_week": follow_up.hours_per_week,
        "situation_on": follow_up.situation_on,
        "version": follow_up.version,
    }


def _found(request: HttpRequest, follow_up_id: str, scope: str, operation: str) -> FollowUp:
    actor = api_actor(request, scope)
    try:
        return access.follow_up_for(actor, follow_up_id, operation)
    except access.FollowUpNotFoundError:
        raise ApiError(404, {"follow_up_id": "no such follow-up"}) from None
    except OperationDeniedError:
        raise ApiError(403, {"scope": f"this token may not {operation} follow-ups"}) from None


@router.get("/follow-ups", response={200: FollowUpPage, **ERRORS}, url_name="follow_up_list")
def follow_up_list(request: HttpRequest, filters: Query[FollowUpFilters]) -> dict[str, Any]:
    """The follow-ups on your organisation's files: open ones due by today plus
    `within_days` (overdue first, then by due date), or the recorded or cancelled ones."""
    actor = api_actor(request, "persons:read")
    try:
        follow_ups = access.follow_ups_due_for(
            actor, on=timezone.localdate(), within_days=filters.within_days, state=filters.state
        )
    except OperationDeniedError:
        raise ApiError(403, {"scope": "this token may not list follow-ups"}) from None
    return page_answer(follow_ups, filters.page, _out)


@router.get("/follow-ups/{follow_up_id}", response={200: FollowUpOut, **ERRORS})
def follow_up_detail(request: HttpRequest, follow_up_id: str) -> dict[str, Any]:
    """One follow-up of a file your organisation holds."""
    return _out(_found(request, follow_up_id, "persons:read", "view"))


@router.post("/follow-ups/{follow_up_id}", response={200: FollowUpOut, **ERRORS})
def follow_up_record(request: HttpRequest, follow_up_id: str, payload: FollowUpIn) -> Any:
    """Record (or correct) the person's situation at a follow-up. 422 naming the field
    (situation, contract_type, hours_per_week, situation_on) when it is not allowed; 409
    naming `version` when someone recorded it since the version you give. Your webhooks get
    the event `follow_up.recorded`."""
    follow_up = _found(request, follow_up_id, "persons:write", "edit")
    actor = api_actor(request, "persons:write")
    try:
        recorded = services.follow_up_record(
            actor=actor,
            follow_up_id=follow_up.pk,
            situation=payload.situation,
            contract_type=payload.contract_type,
            hours_per_week=payload.hours_per_week,
            situation_on=payload.situation_on,
            expected_version=payload.version,
        )
    except services.FollowUpDataError as error:
        raise ApiError(422, error.errors) from None
    except services.FollowUpVersionError as error:
        raise ApiError(409, {"version": str(error).removeprefix("version: ")}) from None
    return _out(recorded)


PARTICIPATIONS = ["participations (organisations)"]
IDEMPOTENCY_HEADER = "Idempotency-Key"


class ParticipationIn(Schema):
    person_id: str = Field(..., max_length=64, description="a file your organisation holds")
    programme: str = Field(
        ..., max_length=200, description="the slug of one of your organisation's programmes"
    )
    started_on: dt.date = Field(..., description="the first day, on or before `ended_on`")
    ended_on: dt.date = Field(..., description="the last day: today or before")
    external_id: str = Field(
        "",
        max_length=100,
        description="your system's reference of the participation (or send the "
        "Idempotency-Key header): the same reference again answers 200 with the participation "
        "already recorded, and 409 if it differs. 1 to 100 letters, digits or . _ : / -",
    )


class ParticipationFollowUp(Schema):
    id: str
    months: int
    due_on: dt.date
    state: str


class ParticipationOut(Schema):
    id: str
    person_id: str
    programme: str
    started_on: dt.date
    ended_on: dt.date
    external_id: str
    recorded_at: dt.datetime
    follow_ups: list[ParticipationFollowUp]


class ParticipationPage(Schema):
    count: int
    page: int
    pages: int
    items: list[ParticipationOut]


class ParticipationFilters(Schema):
    person_id: str | None = Field(None, max_length=64, description="only this file's")
    external_id: str = Field("", max_length=100, description="only the one of this reference")
    page: int = Field(1, ge=1, le=100000)


def _participation_out(participation: Participation) -> dict[str, Any]:
    return {
        "id": str(participation.pk),
        "person_id": str(participation.person_id),
        "programme": participation.programme.slug,
        "started_on": participation.started_on,
        "ended_on": participation.ended_on,
        "external_id": participation.external_id,
        "recorded_at": participation.recorded_at,
        "follow_ups": [
            {"id": str(f.pk), "months": f.months, "due_on": f.due_on, "state": f.state}
            for f in sorted(participation.follow_ups.all(), key=lambda f: f.months)
        ],
    }


def _reference(request: HttpRequest, payload: ParticipationIn) -> str:
    """The participation's reference: `external_id`, or the Idempotency-Key header."""
    header = request.headers.get(IDEMPOTENCY_HEADER, "").strip()
    if payload.external_id and header and header != payload.external_id:
        message = f"differs from the {IDEMPOTENCY_HEADER} header; send one, or both equal"
        raise ApiError(422, {"external_id": message})
    return payload.external_id or header


@router.post(
    "/participations",
    response={200: ParticipationOut, 201: ParticipationOut, **ERRORS},
    tags=PARTICIPATIONS,
)
def participation_record(request: HttpRequest, payload: ParticipationIn) -> Any:
    """Record that a person whose file your organisation holds took part in one of your
    programmes (first and last day): its follow-ups are planned at 6 and 12 months (or the
    programme's months) when the person consents to follow-up, as on the file's page. 201
    with the participation; 200 with the one already recorded under the same `external_id`
    (or Idempotency-Key); 409 naming `external_id` when that reference was used for a
    different one; 422 naming the field (programme, started_on, ended_on, external_id); 404
    naming `person_id` for a file your organisation does not hold. Your webhooks get the
    event `participation.recorded`."""
    actor = api_actor(request, "persons:write")
    programme = (
        programmes_visible().filter(organisation=actor.organisation, slug=payload.programme).first()
    )
    try:
        participation, created = services.participation_record_once(
            actor=actor,
            person_id=payload.person_id,
            programme=programme,
            started_on=payload.started_on,
            ended_on=payload.ended_on,
            external_id=_reference(request, payload),
        )
    except services.FollowUpDataError as error:
        raise ApiError(422, error.errors) from None
    except services.ParticipationConflictError as error:
        raise ApiError(409, {"external_id": str(error).removeprefix("external_id: ")}) from None
    except PersonNotFoundError:
        raise ApiError(
            404, {"person_id": "no such person file held by your organisation"}
        ) from None
    except OperationDeniedError:
        raise ApiError(403, {"scope": "this token may not edit person files"}) from None
    found = access.participation_for(actor, participation.pk)
    return Status(201 if created else 200, _participation_out(found))


@router.get(
    "/participations",
    response={200: ParticipationPage, **ERRORS},
    url_name="participation_list",
    tags=PARTICIPATIONS,
)
def participation_list(
    request: HttpRequest, filters: Query[ParticipationFilters]
) -> dict[str, Any]:
    """The participations your organisation recorded on the files it holds, the latest
    ended first; of one file (`person_id`) or of one of your references (`external_id`)."""
    actor = api_actor(request, "persons:read")
    try:
        participations = access.participations_for(
            actor, person_id=filters.person_id, external_id=filters.external_id
        )
    except OperationDeniedError:
        raise ApiError(403, {"scope": "this token may not list participations"}) from None
    return page_answer(participations, filters.page, _participation_out)


@router.get(
    "/participations/{participation_id}",
    response={200: ParticipationOut, **ERRORS},
    tags=PARTICIPATIONS,
)
def participation_detail(request: HttpRequest, participation_id: str) -> dict[str, Any]:
    """One participation your organisation recorded, with the follow-ups it planned."""
    actor = api_actor(request, "persons:read")
    try:
        return _participation_out(access.participation_for(actor, participation_id))
    except access.ParticipationNotFoundError:
        raise ApiError(404, {"participation_id": "no such participation"}) from None
    except OperationDeniedError:
        raise ApiError(403, {"scope": "this token may not view participations"}) from None
