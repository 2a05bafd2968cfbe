"""The organisations' API for matching (under /api/v1/matching), for their own systems.

Same tokens as person files and referrals (`Authorization: Bearer <token>`), with the
scopes `matching:read` and `matching:write`, and the same access rules as the pages
(`matching.access`): an organisation reads and writes its own mentors, internship offers
and vacancies; rounds belong to the organisation running the programme; another's record is
404. Errors name their field: {"detail": [{"loc": [field], "msg": "field: message"}]}.
Proposals name persons by id and number only; the gap analysis gives counts, small cells
withheld (null, `suppressed`)."""

from __future__ import annotations

import datetime as dt
import inspect
from collections.abc import Callable, Iterable
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Router, Schema, Status

from passerelle.core.validation import InvalidFieldsError, json_loads_bounded
from passerelle.web.apps.matching import access, services
from passerelle.web.apps.matching.gaps import offer_gaps
from passerelle.web.apps.matching.models import MatchingRound
from passerelle.web.apps.matching.schemas import MatchingDataError
from passerelle.web.common.actors import Actor, OperationDeniedError, PersonNotFoundError
from passerelle.web.common.api import ERRORS, ApiError, OrganisationToken, api_actor

router = Router(auth=OrganisationToken(), tags=["matching (organisations)"])


class RoundIn(Schema):
    programme: str = Field(..., max_length=120, description="A programme your organisation runs")
    kind: str = Field("", max_length=16, description="mentoring, internship or vacancy")
    on: dt.date | None = Field(None, description="Round date (default: today)")
    min_score: float = services.ROUND_DEFAULTS.min_score
    waiting_priority: bool = services.ROUND_DEFAULTS.waiting_priority
    balance_organisations: bool = services.ROUND_DEFAULTS.balance_organisations


def _run(call: Any, key: str = "id") -> Any:
    try:
        return call()
    except MatchingDataError as error:
        raise ApiError(422, error.errors) from None
    except PersonNotFoundError:
        raise ApiError(404, {key: "not found"}) from None
    except OperationDeniedError:
        raise ApiError(403, {"scope": "not allowed for this organisation"}) from None


JSON_OBJECT = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": {"type": "object"}}},
    }
}
"""The body of a mentor, offer or vacancy, for the OpenAPI schema (checked by the services)."""


def _body(request: HttpRequest) -> dict[str, Any]:
    """A mentor, internship offer or vacancy as a JSON object: the fields of
    docs/matching.md ("In the platform"); unknown fields are refused, naming them."""
    try:
        data = json_loads_bounded(request.body or b"{}")
    except InvalidFieldsError as error:
        raise ApiError(400, error.errors) from None
    if not isinstance(data, dict):
        raise ApiError(422, {"body": "expected a JSON object"})
    return data


def _values(record: Any, names: tuple[str, ...]) -> dict[str, Any]:
    out: dict[str, Any] = {"id": str(record.pk)}
    for name in names:
        value = getattr(record, name)
        if hasattr(value, "slug"):
            value = value.slug
        elif isinstance(value, dt.date):
            value = value.isoformat()
        elif value is not None and not isinstance(value, bool | int | str | list | dict):
            value = str(value)
        out[name] = value
    return out


MENTOR = (
    "label",
    "age",
    "retired",
    "occupations",
    "sectors",
    "languages",
    "mentee_level",
    "municipality",
    "available_from",
    "available_to",
    "max_mentees",
    "active",
)
OFFER = (
    "title",
    "programme",
    "occupation",
    "working_language",
    "language_level",
    "municipality",
    "start_date",
    "end_date",
    "allowance",
    "places",
    "active",
)
VACANCY = (
    "title",
    "programme",
    "occupation",
    "languages",
    "diploma_isced_required",
    "recognition_required",
    "driving_licence_required",
    "municipality",
    "start_date",
    "posts",
    "active",
)


def _record_endpoints(
    path: str,
    key: str,
    fields: tuple[str, ...],
    listed: Callable[[Actor], Iterable[Any]],
    save: Callable[..., Any],
) -> None:
    """List, create and change (PUT) one kind of the organisation's records at
    `/matching/{path}`: `listed(actor)` reads them through `matching.access`, `save` is the
    kind's service (`<kind>_save`, which takes the record's id as `key`)."""
    kind = key.removesuffix("_id")

    def read_all(request: HttpRequest) -> list[dict[str, Any]]:
        actor = api_actor(request, "matching:read")
        return [_values(record, fields) for record in _run(lambda: listed(actor))]

    def create(request: HttpRequest) -> Status[Any]:
        actor = api_actor(request, "matching:write")
        record = _run(lambda: save(actor=actor, data=_body(request)))
        return Status(201, _values(record, fields))

    def change(request: HttpRequest, **path_id: str) -> dict[str, Any]:
        actor = api_actor(request, "matching:write")
        record = _run(lambda: save(actor=actor, data=_body(request), **path_id), key)
        return _values(record, fields)

    # the path parameter keeps the kind's name (`mentor_id`, ...) in the OpenAPI schema
    change.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [
            inspect.Parameter("request", inspect.Parameter.POSITIONAL_OR_KEYWORD),
            inspect.Parameter(key, inspect.Parameter.KEYWORD_ONLY, annotation=str),
        ]
    )

    # The names the OpenAPI operation ids are made of (as when each was written out).
    for view, name in ((read_all, "list"), (create, "create"), (change, "update")):
        view.__name__ = view.__qualname__ = f"{kind}_{name}"
    router.get(f"/matching/{path}", response={200: list[dict[str, Any]], **ERRORS})(read_all)
    router.post(
        f"/matching/{path}", response={201: dict[str, Any], **ERRORS}, openapi_extra=JSON_OBJECT
    )(create)
    router.put(
        f"/matching/{path}/{{{key}}}",
        response={200: dict[str, Any], **ERRORS},
        openapi_extra=JSON_OBJECT,
    )(change)


_record_endpoints("mentors", "mentor_id", MENTOR, access.mentors_for, services.mentor_save)
_record_endpoints("internships", "offer_id", OFFER, access.offers_for, services.offer_save)
_record_endpoints("vacancies", "vacancy_id", VACANCY, access.vacancies_for, services.vacancy_save)


@router.get("/matching/vacancies/{vacancy_id}/gaps", response={200: dict[str, Any], **ERRORS})
def vacancy_gap(request: HttpRequest, vacancy_id: str) -> dict[str, Any]:
    """Candidates who qualify now and in 3, 6 and 12 months, and what blocks the others:
    counts only, a row with a count below the threshold withheld (null, suppressed)."""
    actor = api_actor(request, "matching:read")
    vacancy = _run(lambda: access.vacancy_for(actor, vacancy_id), "vacancy_id")
    gap = offer_gaps([vacancy], timezone.localdate())[0]
    return {"vacancy": str(vacancy.pk), "rows": gap.rows, "text": gap.text}


@router.get("/matching/internships/{offer_id}/gaps", response={200: dict[str, Any], **ERRORS})
def offer_gap(request: HttpRequest, offer_id: str) -> dict[str, Any]:
    """The same for an internship offer, on its dates: `right_to_work` counts those the
    programme's eligibility holds back (see docs/matching.md)."""
    actor = api_actor(request, "matching:read")
    offer = _run(lambda: access.offer_for(actor, offer_id), "offer_id")
    gap = offer_gaps([offer], timezone.localdate())[0]
    return {"offer": str(offer.pk), "rows": gap.rows, "text": gap.text}


def _round(matching_round: MatchingRound) -> dict[str, Any]:
    return {
        "id": str(matching_round.pk),
        "programme": matching_round.programme.slug,
        "kind": matching_round.kind,
        "on": matching_round.on.isoformat(),
        "status": matching_round.status,
        "options": matching_round.options,
        "summary": matching_round.summary,
        "proposals": [
            {
                "number": p.number,
                "person_id": str(p.person_id),
                "referring_organisation": p.referring_organisation.slug,
                "status": p.status,
                "reason": p.reason,
                "slot": str(p.slot) if p.slot else None,
                "slot_id": str(p.slot.pk) if p.slot else None,
                "start_date": p.start_date.isoformat() if p.start_date else None,
                "fit": p.fit,
                "terms": p.terms,
                "explanation": p.explanation_text,
                "explanation_terms": p.explanation,
                "problem": p.problem,
                "referral_id": str(p.referral_id) if p.referral_id else None,
            }
            for p in matching_round.proposals.select_related(
                "referring_organisation", "mentor", "offer", "vacancy"
            )
        ],
    }


@router.post("/matching/rounds", response={201: dict[str, Any], **ERRORS})
def round_create(request: HttpRequest, payload: RoundIn) -> Status[Any]:
    """Run a round for a programme your organisation runs; the proposals wait for
    confirmation."""
    actor = api_actor(request, "matching:write")
    programme = access.programmes_to_match(actor).filter(slug=payload.programme).first()
    if programme is None:
        raise ApiError(422, {"programme": "not a programme your organisation runs"})
    matching_round = _run(
        lambda: services.round_start(
            actor=actor,
            programme=programme,
            kind=payload.kind,
            on=payload.on,
            min_score=payload.min_score,
            waiting_priority=payload.waiting_priority,
            balance_organisations=payload.balance_organisations,
        )
    )
    return Status(201, _round(matching_round))


@router.get("/matching/rounds/{round_id}", response={200: dict[str, Any], **ERRORS})
def round_detail(request: HttpRequest, round_id: str) -> dict[str, Any]:
    actor = api_actor(request, "matching:read")
    return _round(_run(lambda: access.round_for(actor, round_id), "round_id"))


@router.post("/matching/rounds/{round_id}/confirm", response={200: dict[str, Any], **ERRORS})
def round_confirm(request: HttpRequest, round_id: str) -> dict[str, Any]:
    """Confirm: each proposed match becomes a referral (consent and access rules apply);
    proposals without consent are reported (status consent_missing)."""
    actor = api_actor(request, "matching:write")
    _run(lambda: services.round_confirm(actor=actor, round_id=round_id), "round_id")
    return _round(access.round_for(actor, round_id))
