"""The organisations' API for referrals (under /api/v1/referrals), for their own systems.

Same authentication as person files (`Authorization: Bearer <token>`, `OrganisationToken`)
and the same access rules as the pages: an organisation sees the referrals it sent (outbox)
and received (inbox); another's referral is 404, never 403. Reading needs the scope
`referrals:read`; creating and moving needs `referrals:write` (and, to refer a file, the
`persons:write` scope the person API asks to change a file). Every change goes through
`referrals.services`, so an invalid transition changes nothing and every 4xx names its
field: {"detail": [{"loc": [field], "msg": "field: message"}]}.

The answers carry no personal data: a referral names its person by id only; the person's
disclosed fields are read through /api/v1/persons/{id}, with its own scopes and audit.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema
from ninja.renderers import JSONRenderer

from passerelle.core.validation import PlainText
from passerelle.web.apps.accounts.models import ORGANISATION_FIELDS
from passerelle.web.apps.directory.models import Programme
from passerelle.web.apps.directory.selectors import programmes_visible
from passerelle.web.apps.people.schemas import PersonDataError
from passerelle.web.apps.referrals import access, services
from passerelle.web.apps.referrals.models import Referral, State
from passerelle.web.common.actors import Actor, OperationDeniedError, PersonNotFoundError
from passerelle.web.common.api import ERRORS, ApiError, OrganisationToken, api_actor, page_answer

router = Router(auth=OrganisationToken(), tags=["referrals (organisations)"])

RENDERER = JSONRenderer()
CONFLICTS = frozenset({"version", "state", "consent"})
"""TransitionError fields answered 409: the referral's current state forbids the change."""


class ReferralFilters(Schema):
    box: Literal["inbox", "outbox"] = Field(
        "inbox", description="inbox: received by your organisation; outbox: sent by it"
    )
    state: str = Field("", max_length=16, description="Only referrals in this state")
    programme: str = Field("", max_length=120, description="Only referrals to this programme")
    overdue: bool = Field(False, description="Only sent referrals past their answer date")
    page: int = Field(1, ge=1, le=100000)


class ReferralIn(Schema):
    person_id: str = Field(..., max_length=64, description="A file your organisation holds")
    programme: str = Field(..., max_length=120, description="The programme's slug")
    planned_start: dt.date
    fields: list[str] = Field(
        default_factory=list, max_length=10, description="Field groups to share on sending"
    )
    note: PlainText = Field("", max_length=4000)
    ineligibility_reason: PlainText = Field(
        "", max_length=4000, description="Needed when the rules say the person is not eligible"
    )


class TransitionIn(Schema):
    action: str = Field(..., max_length=20, description=", ".join(services.TRANSITIONS))
    version: int | None = Field(
        None, ge=1, description="The version you acted on; 409 if the referral changed since"
    )
    reason: str = Field("", max_length=20, description="reject: a rejection reason")
    text: PlainText = Field("", max_length=4000, description="reject: why, in words")
    outcome: str = Field("", max_length=20, description="complete: the outcome")
    override_reason: PlainText = Field(
        "", max_length=4000, description="send without consent (coordinators only)"
    )


class EventOut(Schema):
    number: int
    from_state: str
    to_state: str
    at: dt.datetime
    organisation: str | None
    actor: str
    detail: dict[str, Any]


class ReferralOut(Schema):
    id: str
    state: str
    version: int
    side: str = Field(..., description="sender or receiver: your organisation's side")
    person_id: str
    programme: str
    sender: str
    receiver: str
    planned_start: dt.date
    fields: list[str]
    note: str
    eligibility: dict[str, Any]
    ineligibility_reason: str
    rejection_reason: str
    rejection_text: str
    waitlist_position: int | None
    expected_start: dt.date | None
    outcome: str
    created_at: dt.datetime
    sent_at: dt.datetime | None
    answer_due: dt.date | None
    answered_at: dt.datetime | None
    overdue: bool
    actions: list[str] = Field(..., description="What your organisation may do now")


class ReferralDetail(ReferralOut):
    timeline: list[EventOut]


class ReferralPage(Schema):
    count: int
    page: int
    pages: int
    items: list[ReferralOut]


def _answer(request: HttpRequest, data: dict[str, Any], status: int = 200) -> HttpResponse:
    """`data` rendered as django-ninja renders an answer, without validating it again
    against the response schema on every request: `_out` and `_detail` build exactly the
    schema's fields with their types (tests/web/referrals/test_api.py checks the answers
    against the schemas, and the Schemathesis test against the OpenAPI document)."""
    content = RENDERER.render(request, data, response_status=status)
    return HttpResponse(
        content, status=status, content_type=f"{RENDERER.media_type}; charset={RENDERER.charset}"
    )


def _out(actor: Actor, referral: Referral) -> dict[str, Any]:
    side = access.side_of(actor, referral) or ""
    return {
        "id": str(referral.pk),
        "state": referral.state,
        "version": referral.version,
        "side": side,
        "person_id": str(referral.person_id),
        "programme": referral.programme.slug,
        "sender": referral.sender.slug,
        "receiver": referral.receiver.slug,
        "planned_start": referral.planned_start,
        "fields": list(referral.fields),
        "note": referral.note,
        "eligibility": dict(referral.eligibility or {}),
        "ineligibility_reason": referral.ineligibility_reason,
        "rejection_reason": referral.rejection_reason,
        "rejection_text": referral.rejection_text,
        "waitlist_position": referral.waitlist_position,
        "expected_start": referral.expected_start,
        "outcome": referral.outcome,
        "created_at": referral.created_at,
        "sent_at": referral.sent_at,
        "answer_due": referral.answer_due,
        "answered_at": referral.answered_at,
        "overdue": access.is_overdue(referral),
        "actions": [
            name
            for name, transition in services.TRANSITIONS.items()
            if transition.side == side and referral.state in transition.sources
        ],
    }


def _detail(actor: Actor, referral: Referral) -> dict[str, Any]:
    timeline = [
        {
            "number": event.number,
            "from_state": event.from_state,
            "to_state": event.to_state,
            "at": event.at,
            "organisation": event.organisation.slug if event.organisation else None,
            "actor": event.actor_label,
            "detail": dict(event.detail or {}),
        }
        for event in access.timeline(referral)
    ]
    return {**_out(actor, referral), "timeline": timeline}


def _found(actor: Actor, referral_id: str) -> Referral:
    try:
        return access.referral_for(actor, referral_id)
    except access.ReferralNotFoundError:
        raise ApiError(404, {"referral_id": "no such referral"}) from None


def _transition_error(error: services.TransitionError, action: str) -> ApiError:
    message = str(error).removeprefix(f"{error.field}: ")
    if error.field == "scope":
        return ApiError(403, {"scope": message})
    if error.field == "action" and action in services.TRANSITIONS:  # the other side's action
        return ApiError(403, {"action": message})
    return ApiError(409 if error.field in CONFLICTS else 422, {error.field: message})


def _written(call: Any, action: str = "") -> Any:
    """Run a service, turning its errors into API errors that name the field."""
    try:
        return call()
    except services.TransitionError as error:
        raise _transition_error(error, action) from None
    except access.ReferralNotFoundError:
        raise ApiError(404, {"referral_id": "no such referral"}) from None
    except PersonDataError as error:
        raise ApiError(422, error.errors) from None
    except PersonNotFoundError:
        raise ApiError(404, {"person_id": "no such person file"}) from None
    except OperationDeniedError as error:
        if str(error) == "override":
            message = "only a coordinator may share without the person's consent"
            raise ApiError(403, {"override_reason": message}) from None
        message = "this token may not refer this file (it needs the scope persons:write)"
        raise ApiError(403, {"scope": message}) from None


@router.get("/referrals", response={200: ReferralPage, **ERRORS}, url_name="referral_list")
def referral_list(request: HttpRequest, filters: Query[ReferralFilters]) -> HttpResponse:
    """Your organisation's inbox (received, drafts excluded) or outbox (sent), newest first."""
    actor = api_actor(request, "referrals:read")
    if filters.state and filters.state not in State.values:
        raise ApiError(422, {"state": f"got {filters.state!r}; allowed: {', '.join(State.values)}"})
    referrals = access.referrals_for(
        actor,
        box=filters.box,
        state=filters.state,
        programme=filters.programme,
        overdue=filters.overdue,
    )
    return _answer(
        request, page_answer(referrals, filters.page, lambda referral: _out(actor, referral))
    )


@router.post("/referrals", response={201: ReferralDetail, **ERRORS})
def referral_create(request: HttpRequest, payload: ReferralIn) -> HttpResponse:
    """A draft referral of a file your organisation holds to a programme; send it with the
    transition "send". 422 naming ineligibility_reason when the rules say the person is not
    eligible on the planned start and no reason is given."""
    actor = api_actor(request, "referrals:write")
    try:
        # What a new referral reads of its programme (the rest are large JSON columns).
        programme = (
            programmes_visible()
            .only(
                *("id", "slug", "names", "origin", "eligibility", "organisation"),
                *(f"organisation__{name}" for name in ORGANISATION_FIELDS),
            )
            .get(slug=payload.programme)
        )
    except Programme.DoesNotExist:
        raise ApiError(
            422, {"programme": f"no programme {payload.programme!r} in the directory"}
        ) from None
    referral = _written(
        lambda: services.referral_create(
            actor=actor,
            person_id=payload.person_id,
            programme=programme,
            planned_start=payload.planned_start,
            fields=payload.fields,
            note=payload.note,
            ineligibility_reason=payload.ineligibility_reason,
        )
    )
    return _answer(request, _detail(actor, referral), status=201)


@router.get("/referrals/{referral_id}", response={200: ReferralDetail, **ERRORS})
def referral_detail(request: HttpRequest, referral_id: str) -> HttpResponse:
    """One referral with its timeline (every transition: when, by whom, from and to)."""
    actor = api_actor(request, "referrals:read")
    return _answer(request, _detail(actor, _found(actor, referral_id)))


@router.post("/referrals/{referral_id}/transitions", response={200: ReferralOut, **ERRORS})
def referral_transition(
    request: HttpRequest, referral_id: str, payload: TransitionIn
) -> HttpResponse:
    """Move a referral: send, withdraw (sender); accept (to the waiting list when the
    programme is full), reject, admit, start, complete, no_show (receiver). Give the
    `version` you acted on: if someone acted first, 409 naming version, and nothing changes.
    Answers the referral as it now is (its timeline: GET /referrals/{id})."""
    actor = api_actor(request, "referrals:write")
    referral = _written(
        lambda: services.referral_transition(
            actor=actor,
            referral_id=referral_id,
            action=payload.action,
            expected_version=payload.version,
            reason=payload.reason,
            text=payload.text,
            outcome=payload.outcome,
            override_reason=payload.override_reason,
        ),
        payload.action,
    )
    return _answer(request, _out(actor, referral))
