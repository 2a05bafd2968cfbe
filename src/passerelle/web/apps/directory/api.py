"""The directory's public API: Open Referral HSDS 3.0 (read-only) and `POST /api/options`.

Endpoints parse, call `hsds` (records) or the rules engine, and return; they store nothing.
`POST /api/options` answers from the request body only: no database, no log line, no cookie.
Documented in docs/hsds.md.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.errors import HttpError, ValidationError
from pydantic import field_validator

from passerelle.core.i18n import language_of
from passerelle.core.profile import ProfileError, profile_from_data
from passerelle.core.rules.answer import options_answer
from passerelle.core.rules.fields import DateOutOfCoverageError
from passerelle.knowledge.loader import load_knowledge
from passerelle.web.apps.directory import hsds

router = Router()

DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = 500
MAX_PAGE = 1_000_000
"""Far beyond the last page of any collection; a bound keeps the offset a database integer
(a page of 10**26 made PostgreSQL refuse the query, a 500)."""
HSDS_TAG = "HSDS 3.0"
OPTIONS_TAG = "What can I do?"


class Message(Schema):
    detail: str


class ErrorItem(Schema):
    loc: list[str]
    msg: str
    type: str


class Errors(Schema):
    detail: list[ErrorItem]


class Root(Schema):
    version: str = Field(description="HSDS version of this API.")
    openapi_url: str = Field(description="URL of the OpenAPI document of this API.")
    links: dict[str, str] = Field(description="URLs of the collections and of the docs.")


class LanguageQuery(Schema):
    lang: hsds.Language | None = Field(
        None,
        description="Language of the texts: fr, nl, en or ar. Without it, the "
        "Accept-Language header decides; by default English. A text missing in that "
        "language is given in English.",
    )


class PageQuery(LanguageQuery):
    page: int = Field(1, ge=1, le=MAX_PAGE, description="Page number, from 1 (at most 1 000 000).")
    per_page: int = Field(
        DEFAULT_PER_PAGE, ge=1, le=MAX_PER_PAGE, description="Records per page (at most 500)."
    )


def _search() -> Any:
    return Field("", description="Words that must all appear (any language, no accents).")


class ModifiedAfterQuery(PageQuery):
    """A list query with `modified_after`, kept in UTC: PostgreSQL refuses offsets beyond
    ±15:59 that Python's datetimes allow (+23:59), and a day at the edge of the calendar
    cannot be moved to UTC."""

    @field_validator("modified_after", check_fields=False)
    @classmethod
    def _in_utc(cls, value: dt.datetime | None) -> dt.datetime | None:
        if value is None or timezone.is_naive(value):
            return None if value is None else value.replace(tzinfo=dt.UTC)
        try:
            return value.astimezone(dt.UTC)
        except OverflowError as error:
            raise ValueError("a datetime from year 1 to 9999 once moved to UTC") from error


def _modified_after(records: str) -> Any:
    return Field(
        None,
        description=f"Only {records} modified at or after this ISO 8601 datetime (UTC when "
        "no offset is given).",
    )


class ServiceListQuery(ModifiedAfterQuery):
    search: str = _search()
    organization_id: uuid.UUID | None = Field(None, description="Only this organization's.")
    taxonomy_term_id: uuid.UUID | None = Field(None, description="Only services with this term.")
    modified_after: dt.datetime | None = _modified_after("services")
    full_service: bool = Field(
        False, description="Fully nested services (organization, attributes, languages...)."
    )


class ServiceQuery(LanguageQuery):
    full_service: bool = Field(
        True, description="Fully nested service (the default); false: one-to-one fields."
    )


class OrganizationListQuery(ModifiedAfterQuery):
    search: str = _search()
    taxonomy_term_id: uuid.UUID | None = Field(
        None, description="Only organizations with a service with this term."
    )
    modified_after: dt.datetime | None = _modified_after("organizations")
    full_service: bool = Field(
        False, description="Nest each organization's services, fully, and its funding."
    )


class OrganizationQuery(LanguageQuery):
    full_service: bool = Field(
        False, description="Nest fully the services (default: their one-to-one fields)."
    )


class TaxonomyTermListQuery(PageQuery):
    taxonomy_id: uuid.UUID | None = Field(None, description="Only terms of this taxonomy.")


class OptionsRequest(Schema):
    profile: dict[str, Any] = Field(
        description="The person's profile: the fields of `passerelle options` (docs/cli.md), "
        "all optional."
    )
    on: dt.date | None = Field(None, description="The date, YYYY-MM-DD (default: today).")


def _language(request: HttpRequest, query: LanguageQuery, response: HttpResponse) -> str:
    language = hsds.language_of_request(query.lang, request.headers.get("Accept-Language", ""))
    response["Content-Language"] = language
    patch_vary_headers(response, ("Accept-Language",))
    return language


def _window(total: int, query: PageQuery) -> hsds.PageWindow:
    return hsds.PageWindow(total_items=total, page_number=query.page, per_page=query.per_page)


RecordT = TypeVar("RecordT", hsds.Taxonomy, hsds.TaxonomyTerm)


def _page_slice(queryset: QuerySet[Any], query: PageQuery) -> tuple[hsds.PageWindow, list[Any]]:
    """The window of a query's page and the records in it, read from the database."""
    window = _window(queryset.count(), query)
    return window, list(queryset[window.start : window.stop])


def _page_of(records: list[RecordT], query: PageQuery) -> dict[str, Any]:
    """The fields of an HSDS Page holding the requested slice of an in-memory list."""
    window = _window(len(records), query)
    contents = records[window.start : window.stop]
    return {**window.page_fields(len(contents)), "contents": contents}


def _one_of(records: list[RecordT], record_id: uuid.UUID, kind: str, language: str) -> RecordT:
    for record in records:
        if record.id == record_id:
            return record
    raise _not_found(kind, record_id, language)


def _not_found(kind: str, record_id: uuid.UUID, language: str) -> HttpError:
    """404 with a message in the language of the response."""
    with translation.override(language):
        messages = {
            "service": _("No service with id %(id)s."),
            "organization": _("No organization with id %(id)s."),
            "taxonomy": _("No taxonomy with id %(id)s."),
            "taxonomy_term": _("No taxonomy term with id %(id)s."),
        }
        return HttpError(404, messages[kind] % {"id": record_id})


Endpoint = TypeVar("Endpoint", bound=Callable[..., Any])


def _hsds_get(
    path: str, model: Any, summary: str, *, one: bool = False
) -> Callable[[Endpoint], Endpoint]:
    """An HSDS GET operation answering `model` (or 404 for `one` record by id, or 422)."""
    response = {200: model, **({404: Message} if one else {}), 422: Errors}
    return router.get(path, response=response, exclude_none=True, tags=[HSDS_TAG], summary=summary)


@router.get(
    "/hsds/",
    response=Root,
    tags=[HSDS_TAG],
    summary="HSDS version and links",
    url_name="hsds_root",
)
def hsds_root(request: HttpRequest) -> Root:
    def url(path: str) -> str:
        return request.build_absolute_uri(f"/api/{path}")

    return Root(
        version=hsds.HSDS_VERSION,
        openapi_url=url("openapi.json"),
        links={
            "services": url("hsds/services"),
            "organizations": url("hsds/organizations"),
            "taxonomies": url("hsds/taxonomies"),
            "taxonomy_terms": url("hsds/taxonomy_terms"),
            "docs": url("docs"),
        },
    )


@_hsds_get("/hsds/services", hsds.ServicePage, "Paginated list of services")
def services_list(
    request: HttpRequest, response: HttpResponse, query: Query[ServiceListQuery]
) -> hsds.ServicePage:
    language = _language(request, query, response)
    queryset = hsds.services_matching(
        hsds.ServiceFilters(
            search=query.search,
            organization_id=query.organization_id,
            taxonomy_term_id=query.taxonomy_term_id,
            modified_after=query.modified_after,
        )
    )
    window, programmes = _page_slice(queryset, query)
    contents = hsds.RecordBuilder(language).services(programmes, full=query.full_service)
    return hsds.ServicePage(**window.page_fields(len(contents)), contents=contents)


@_hsds_get("/hsds/services/{id}", hsds.Service, "One service, fully nested", one=True)
def service_detail(
    request: HttpRequest, response: HttpResponse, id: uuid.UUID, query: Query[ServiceQuery]
) -> hsds.Service:
    language = _language(request, query, response)
    programme = hsds.service_by_id(id)
    if programme is None:
        raise _not_found("service", id, language)
    return hsds.RecordBuilder(language).service(programme, full=query.full_service)


@_hsds_get("/hsds/organizations", hsds.OrganizationPage, "Paginated list of organizations")
def organizations_list(
    request: HttpRequest, response: HttpResponse, query: Query[OrganizationListQuery]
) -> hsds.OrganizationPage:
    language = _language(request, query, response)
    queryset = hsds.organizations_matching(
        hsds.OrganizationFilters(
            search=query.search,
            taxonomy_term_id=query.taxonomy_term_id,
            modified_after=query.modified_after,
        )
    )
    window, organisations = _page_slice(queryset, query)
    services = hsds.services_of(organisations) if query.full_service else None
    contents = hsds.RecordBuilder(language).organizations(
        organisations, full=query.full_service, services=services, full_services=True
    )
    return hsds.OrganizationPage(**window.page_fields(len(contents)), contents=contents)


@_hsds_get(
    "/hsds/organizations/{id}", hsds.Organization, "One organization with its services", one=True
)
def organization_detail(
    request: HttpRequest, response: HttpResponse, id: uuid.UUID, query: Query[OrganizationQuery]
) -> hsds.Organization:
    language = _language(request, query, response)
    organisation = hsds.organization_by_id(id)
    if organisation is None:
        raise _not_found("organization", id, language)
    services = hsds.services_of([organisation])[organisation.pk]
    return hsds.RecordBuilder(language).organization(
        organisation, full=True, services=services, full_services=query.full_service
    )


@_hsds_get("/hsds/taxonomies", hsds.TaxonomyPage, "Paginated list of taxonomies")
def taxonomies_list(
    request: HttpRequest, response: HttpResponse, query: Query[PageQuery]
) -> hsds.TaxonomyPage:
    language = _language(request, query, response)
    return hsds.TaxonomyPage(**_page_of(hsds.RecordBuilder(language).taxonomies(), query))


@_hsds_get("/hsds/taxonomies/{id}", hsds.Taxonomy, "One taxonomy", one=True)
def taxonomy_detail(
    request: HttpRequest, response: HttpResponse, id: uuid.UUID, query: Query[LanguageQuery]
) -> hsds.Taxonomy:
    language = _language(request, query, response)
    return _one_of(hsds.RecordBuilder(language).taxonomies(), id, "taxonomy", language)


@_hsds_get("/hsds/taxonomy_terms", hsds.TaxonomyTermPage, "Paginated list of taxonomy terms")
def taxonomy_terms_list(
    request: HttpRequest, response: HttpResponse, query: Query[TaxonomyTermListQuery]
) -> hsds.TaxonomyTermPage:
    language = _language(request, query, response)
    records = hsds.RecordBuilder(language).terms()
    if query.taxonomy_id is not None:
        records = [record for record in records if record.taxonomy_id == query.taxonomy_id]
    return hsds.TaxonomyTermPage(**_page_of(records, query))


@_hsds_get("/hsds/taxonomy_terms/{id}", hsds.TaxonomyTerm, "One taxonomy term", one=True)
def taxonomy_term_detail(
    request: HttpRequest, response: HttpResponse, id: uuid.UUID, query: Query[LanguageQuery]
) -> hsds.TaxonomyTerm:
    language = _language(request, query, response)
    return _one_of(hsds.RecordBuilder(language).terms(), id, "taxonomy_term", language)


@router.post(
    "/options",
    response={200: dict[str, Any], 400: Errors, 422: Errors},
    tags=[OPTIONS_TAG],
    summary="What a person can do on a date",
    description="The same JSON as `passerelle options PROFILE --format json` (docs/cli.md): "
    "rights with their next change, and every programme's status with its reasons. Reasons "
    "are in the language of `?lang=` or Accept-Language (default English). Nothing is "
    "stored or logged. A body that is not JSON gives 400, a bad profile field or date 422, "
    "with one item per problem, "
    'its `loc` naming the field (`["body", "profile", "birth_date"]`, '
    '`["body", "on"]`).',
)
def options_compute(
    request: HttpRequest,
    response: HttpResponse,
    payload: OptionsRequest,
    query: Query[LanguageQuery],
) -> HttpResponse:
    language = _language(request, query, response)
    response["Cache-Control"] = "no-store"
    on = payload.on or timezone.localdate()
    try:
        profile = profile_from_data(payload.profile)
        knowledge = load_knowledge()
        with language_of(language):
            return _json_answer(options_answer(profile, on, knowledge), response)
    except ProfileError as error:
        raise ValidationError(
            [
                {
                    "loc": ("body", "profile", *_field_path(field)),
                    "msg": message,
                    "type": "value_error",
                }
                for field, message in error.errors.items()
            ]
        ) from None
    except DateOutOfCoverageError as error:
        message = str(error).removeprefix("on: ")
        raise ValidationError(
            [{"loc": ("body", "on"), "msg": message, "type": "value_error"}]
        ) from None


def _json_answer(text: str, headers: HttpResponse) -> HttpResponse:
    """`text` (the answer's JSON) as the API's answer, with the headers set on `headers`
    (ninja's temporal response). The same bytes as django-ninja's renderer gives (json.dumps'
    defaults, its content type), without its validation of a `dict[str, Any]` (which checks
    nothing) and its serialisation of the ~40 KB answer through pydantic first: most of the
    endpoint's CPU after the rules themselves (docs/benchmarks.md, "CPU per request")."""
    answer = HttpResponse(text, content_type="application/json; charset=utf-8")
    for name, value in headers.items():
        if name.lower() != "content-type":
            answer[name] = value
    return answer


def _field_path(field: str) -> list[str]:
    """`languages.fr` → ["languages", "fr"]; `(profile)` (the whole profile) → []."""
    return [] if field.startswith("(") else field.split(".")
