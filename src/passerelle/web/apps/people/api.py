"""The organisations' API for person files (under /api/v1/persons), for their own systems.

Authentication: `Authorization: Bearer <token>`, one token per organisation system, with
scopes (accounts.ApiScope). The access rules are the pages' (`people.access`): a file of
another organisation is 404, a missing scope 403. Every 4xx body names the field at fault.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status

from passerelle.core.profile import ProfileError
from passerelle.core.rules.fields import DateOutOfCoverageError
from passerelle.core.rules.options import options, options_json
from passerelle.core.validation import PlainText
from passerelle.knowledge.loader import load_knowledge
from passerelle.web.apps.people import access, services
from passerelle.web.apps.people.access import PersonAccess
from passerelle.web.apps.people.schemas import (
    IDENTITY_FIELDS,
    Identity,
    PersonDataError,
    rules_profile,
)
from passerelle.web.common.actors import OperationDeniedError, PersonNotFoundError
from passerelle.web.common.api import ERRORS, ApiError, OrganisationToken, api_actor, page_answer

router = Router(auth=OrganisationToken(), tags=["person files (organisations)"])


class PersonFilters(Schema):
    search: PlainText = Field("", max_length=100, description="Words of the name")
    page: int = Field(1, ge=1, le=100000)


class PersonIn(Identity):
    """A whole file: the identity fields, the rules' profile and the needs assessment."""

    profile: dict[str, Any] = Field(
        default_factory=dict, description="The rules' profile (docs/cli.md), without birth_date"
    )
    assessment: dict[str, Any] = Field(
        default_factory=dict, description="The needs assessment (docs/people.md)"
    )


class PersonUpdate(PersonIn):
    version: int = Field(..., ge=1, description="The version this change was made on")


class AssessmentUpdate(Schema):
    version: int = Field(..., ge=1)
    assessment: dict[str, Any]


class PersonOut(Schema):
    id: str
    held_by: str
    relation: str = Field(..., description="own (held) or disclosed (shared with you)")
    status: str
    version: int
    fields: list[str] = Field(..., description="The field groups you may read")
    data: dict[str, Any]


class PersonSummary(Schema):
    id: str
    held_by: str
    status: str
    version: int
    given_names_latin: str | None = None
    family_name_latin: str | None = None


class PersonPage(Schema):
    count: int
    page: int
    pages: int
    items: list[PersonSummary]


def _found(request: HttpRequest, person_id: str, operation: str) -> PersonAccess:
    try:
        return access.person_for(api_actor(request), person_id, operation)
    except PersonNotFoundError:
        raise ApiError(404, {"person_id": "no such person file"}) from None
    except OperationDeniedError:
        raise ApiError(403, {"scope": f"this token may not {operation} this file"}) from None


def _out(found: PersonAccess) -> dict[str, Any]:
    person = found.person
    return {
        "id": str(person.pk),
        "held_by": person.organisation.slug,
        "relation": found.relation,
        "status": person.status,
        "version": person.version,
        "fields": sorted(found.fields),
        "data": {
            group: {
                key: value.isoformat() if isinstance(value, dt.date) else value
                for key, value in values.items()
            }
            for group, values in found.visible.items()
        },
    }


def _after_write(request: HttpRequest, person_id: str) -> dict[str, Any]:
    """The file as written; without the read scope, only its id and version."""
    try:
        return _out(_found(request, person_id, "view"))
    except ApiError:
        found = _found(request, person_id, "edit")
        return {**_out(found), "fields": [], "data": {}}


def _written(request: HttpRequest, call: Any) -> Any:
    """Run a service, turning its errors into API errors that name the field."""
    try:
        return call()
    except PersonDataError as error:
        raise ApiError(422, error.errors) from None
    except services.ConcurrentEditError as error:
        raise ApiError(409, {"version": str(error).removeprefix("version: ")}) from None
    except PersonNotFoundError:
        raise ApiError(404, {"person_id": "no such person file"}) from None
    except OperationDeniedError:
        raise ApiError(403, {"scope": "this token lacks the scope persons:write"}) from None


def _replaced(
    request: HttpRequest, person_id: str, data: dict[str, Any], version: int
) -> dict[str, Any]:
    """Replace the file's data (`services.person_update`) and answer the file as it is now."""
    actor = api_actor(request)
    _written(
        request,
        lambda: services.person_update(
            actor=actor, person_id=person_id, data=data, expected_version=version
        ),
    )
    return _after_write(request, person_id)


@router.get("/persons", response={200: PersonPage, **ERRORS}, url_name="person_list")
def person_list(
    request: HttpRequest,
    filters: Query[PersonFilters],
) -> dict[str, Any]:
    actor = api_actor(request)
    search, page = filters.search, filters.page
    try:
        persons = access.persons_for(actor, search=search)
    except OperationDeniedError:
        raise ApiError(403, {"scope": "this token lacks the scope persons:read"}) from None

    def listed(person: Any) -> dict[str, Any]:
        own = person.organisation_id == actor.organisation.pk
        return {
            "id": str(person.pk),
            "held_by": person.organisation.slug,
            "status": person.status,
            "version": person.version,
            "given_names_latin": person.given_names_latin if own else None,
            "family_name_latin": person.family_name_latin if own else None,
        }

    answer = page_answer(persons, page, listed)
    access.audit_person_list(actor, page=page, searched=bool(search), api=True)
    return answer


@router.post("/persons", response={201: PersonOut, **ERRORS})
def person_create(request: HttpRequest, payload: PersonIn) -> Status[dict[str, Any]]:
    actor = api_actor(request)
    person = _written(
        request, lambda: services.person_create(actor=actor, data=payload.model_dump())
    )
    return Status(201, _after_write(request, str(person.pk)))


@router.get("/persons/{person_id}", response={200: PersonOut, **ERRORS})
def person_detail(request: HttpRequest, person_id: str) -> dict[str, Any]:
    return _out(_found(request, person_id, "view"))


@router.put("/persons/{person_id}", response={200: PersonOut, **ERRORS})
def person_update(request: HttpRequest, person_id: str, payload: PersonUpdate) -> dict[str, Any]:
    return _replaced(request, person_id, payload.model_dump(exclude={"version"}), payload.version)


@router.get("/persons/{person_id}/assessment", response={200: dict[str, Any], **ERRORS})
def assessment_detail(request: HttpRequest, person_id: str) -> dict[str, Any]:
    found = _found(request, person_id, "view")
    return {
        "version": found.person.version,
        **{
            group: found.visible[group]
            for group in ("education", "experience", "social_needs")
            if group in found.visible
        },
    }


@router.put("/persons/{person_id}/assessment", response={200: PersonOut, **ERRORS})
def assessment_update(
    request: HttpRequest, person_id: str, payload: AssessmentUpdate
) -> dict[str, Any]:
    person = _found(request, person_id, "edit").person
    data = {
        **{name: getattr(person, name) for name in IDENTITY_FIELDS},
        "profile": person.profile,
        "assessment": payload.assessment,
    }
    return _replaced(request, person_id, data, payload.version)


@router.get("/persons/{person_id}/export", response={200: dict[str, Any], **ERRORS})
def person_export(request: HttpRequest, person_id: str) -> dict[str, Any]:
    actor = api_actor(request)
    try:
        return services.person_export(actor=actor, person_id=person_id)
    except PersonNotFoundError:
        raise ApiError(404, {"person_id": "no such person file"}) from None
    except OperationDeniedError:
        raise ApiError(403, {"scope": "this token lacks the scope persons:export"}) from None


@router.get("/persons/{person_id}/options", response={200: dict[str, Any], **ERRORS})
def person_options(
    request: HttpRequest, person_id: str, on: dt.date | None = None
) -> dict[str, Any]:
    """The person's rights and programme options on a date (default today), with reasons."""
    found = _found(request, person_id, "view")
    if "profile" not in found.fields:
        raise ApiError(403, {"person_id": "the profile was not shared with your organisation"})
    try:
        # From the disclosed groups only: without the birth date, no age and no
        # `changes_on` derived from one.
        profile = rules_profile(*access.disclosed_rules_data(found.person, found.fields))
        knowledge = load_knowledge()
        return options_json(options(profile, on or timezone.localdate(), knowledge), knowledge)
    except ProfileError as error:
        raise ApiError(422, {f"profile.{k}": v for k, v in error.errors.items()}) from None
    except DateOutOfCoverageError as error:
        raise ApiError(422, {"on": str(error)}) from None
