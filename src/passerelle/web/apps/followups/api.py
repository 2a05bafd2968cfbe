"""The organisations' API for follow-ups (under /api/v1/follow-ups), for organisations that
record outcomes in their own system (docs/follow-ups.md).

The same tokens and scopes as the person files: listing and reading need `persons:read`,
recording needs `persons:write`; only the organisation holding the file sees its follow-ups
(another's is 404). Every 4xx names its field: {"detail": [{"loc": [field], "msg": ...}]}.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema

from passerelle.web.apps.followups import access, services
from passerelle.web.apps.followups.models import FollowUp
from passerelle.web.common.actors import OperationDeniedError
from passerelle.web.common.api import ERRORS, ApiError, OrganisationToken, api_actor, page_of
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
    count, pages, shown = page_of(follow_ups, filters.page)
    return {
        "count": count,
        "page": filters.page,
        "pages": pages,
        "items": [_out(follow_up) for follow_up in shown],
    }


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
