"""The directory as Open Referral HSDS 3.0 records: `service`, `organization` and the objects
they nest (`language`, `attribute` with its `taxonomy_term`, `service_area`, `funding`).

One mapping for the API (`api.py`) and the export (`export.py`), so that both give the same
records. Field names are HSDS's own (schema/service.json, organization.json ...). HSDS text
fields hold one language: records are built in one of the platform's languages (fr, nl, en,
ar), falling back to English where a text lacks that language.

Ids are UUIDs. Organisations and services carry theirs (uuid5 of the slug, `stable_uuid`);
every other object gets a uuid5 of what it links, so that an id never changes between two
requests or two exports. Nothing is invented: a field we have no data for is left out
(docs/hsds.md lists them and says why).
"""

from __future__ import annotations

import datetime as dt
import math
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Literal, get_args

from django.db.models import Q, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from pydantic import BaseModel, ConfigDict

from passerelle.knowledge.criteria import AllOf, Compare, CriteriaError, parse_criterion
from passerelle.knowledge.loader import load_knowledge
from passerelle.knowledge.model import LANGUAGES_OF_THE_PLATFORM, ProgrammeCategory
from passerelle.web.apps.directory.criteria_text import criterion_items
from passerelle.web.apps.directory.models import Organisation, Programme, stable_uuid
from passerelle.web.apps.directory.selectors import (
    matching,
    organisation_status,
    organisations_visible,
    programmes_visible,
)
from passerelle.web.common.labels import CATEGORY_LABELS, KIND_LABELS, LANGUAGE_LABELS

HSDS_VERSION = "3.0"
LANGUAGES: tuple[str, ...] = LANGUAGES_OF_THE_PLATFORM
DEFAULT_LANGUAGE = "en"
Language = Literal["fr", "nl", "en", "ar"]

TAXONOMY_NAME = "passerelle-categories"
TAXONOMY_ID = stable_uuid("taxonomy", TAXONOMY_NAME)
CATEGORY_CODES: tuple[str, ...] = get_args(ProgrammeCategory)
CATEGORY_BY_TERM_ID: dict[uuid.UUID, str] = {
    stable_uuid("taxonomy_term", code): code for code in CATEGORY_CODES
}

ServiceStatus = Literal["active", "inactive", "defunct", "temporarily closed"]


# --- HSDS objects (only the fields we can fill; see docs/hsds.md) ---------------------------


class HsdsObject(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Taxonomy(HsdsObject):
    id: uuid.UUID
    name: str
    description: str


class TaxonomyTerm(HsdsObject):
    id: uuid.UUID
    code: str
    name: str
    description: str
    taxonomy: str
    taxonomy_detail: Taxonomy | None = None
    language: str
    taxonomy_id: uuid.UUID


class Attribute(HsdsObject):
    id: uuid.UUID
    link_id: uuid.UUID
    taxonomy_term_id: uuid.UUID
    link_entity: str
    taxonomy_term: TaxonomyTerm


class HsdsLanguage(HsdsObject):
    id: uuid.UUID
    service_id: uuid.UUID
    name: str
    code: str


class ServiceArea(HsdsObject):
    id: uuid.UUID
    service_id: uuid.UUID
    name: str


class Funding(HsdsObject):
    id: uuid.UUID
    organization_id: uuid.UUID
    source: str


class Service(HsdsObject):
    id: uuid.UUID
    organization_id: uuid.UUID
    name: str
    alternate_name: str | None = None
    description: str | None = None
    status: ServiceStatus
    application_process: str | None = None
    fees_description: str | None = None
    eligibility_description: str | None = None
    minimum_age: int | None = None
    maximum_age: int | None = None
    last_modified: str
    service_areas: list[ServiceArea] | None = None
    languages: list[HsdsLanguage] | None = None
    organization: Organization | None = None
    attributes: list[Attribute] | None = None


class Organization(HsdsObject):
    id: uuid.UUID
    name: str
    alternate_name: str | None = None
    description: str
    website: str | None = None
    parent_organization_id: uuid.UUID | None = None
    funding: list[Funding] | None = None
    services: list[Service] | None = None


Service.model_rebuild()


class Page(HsdsObject):
    """HSDS `Page` (schema/openapi.json, components.schemas.Page)."""

    total_items: int
    total_pages: int
    page_number: int
    size: int
    first_page: bool
    last_page: bool
    empty: bool


class ServicePage(Page):
    contents: list[Service]


class OrganizationPage(Page):
    contents: list[Organization]


class TaxonomyPage(Page):
    contents: list[Taxonomy]


class TaxonomyTermPage(Page):
    contents: list[TaxonomyTerm]


# --- Language ---------------------------------------------------------------------------------


def language_from_header(accept_language: str) -> str | None:
    """The first of the platform's languages in an Accept-Language header, by preference."""
    choices: list[tuple[float, int, str]] = []
    for position, item in enumerate(accept_language.split(",")):
        tag, _sep, parameters = item.strip().partition(";")
        quality = 1.0
        for parameter in parameters.split(";"):
            name, _eq, value = parameter.strip().partition("=")
            if name == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        primary = tag.strip().split("-")[0].lower()
        if primary in LANGUAGES and quality > 0:
            choices.append((-quality, position, primary))
    return min(choices)[2] if choices else None


def language_of_request(requested: str | None, accept_language: str) -> str:
    """`?lang=` first, then Accept-Language, then English."""
    if requested in LANGUAGES:
        return requested
    return language_from_header(accept_language) or DEFAULT_LANGUAGE


def _text(value: object, language: str) -> str | None:
    """A text of a JSON field {"fr", "nl", "en", "ar"} in `language`, else in English."""
    if not isinstance(value, Mapping):
        return None
    text = value.get(language) or value.get("en")
    return str(text) if text else None


# --- Ids ----------------------------------------------------------------------------------------


def term_id(code: str) -> uuid.UUID:
    return stable_uuid("taxonomy_term", code)


def attribute_id(programme_slug: str, code: str) -> uuid.UUID:
    return stable_uuid("attribute", f"{programme_slug}:{code}")


def language_id(programme_slug: str, code: str) -> uuid.UUID:
    return stable_uuid("language", f"{programme_slug}:{code}")


def service_area_id(programme_slug: str, municipality: str) -> uuid.UUID:
    return stable_uuid("service_area", f"{programme_slug}:{municipality}")


def funding_id(organisation_slug: str, funder_slug: str) -> uuid.UUID:
    return stable_uuid("funding", f"{organisation_slug}:{funder_slug}")


# --- Reads ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ServiceFilters:
    search: str = ""
    organization_id: uuid.UUID | None = None
    taxonomy_term_id: uuid.UUID | None = None
    modified_after: dt.datetime | None = None


@dataclass(frozen=True)
class OrganizationFilters:
    search: str = ""
    taxonomy_term_id: uuid.UUID | None = None
    modified_after: dt.datetime | None = None


def _aware(moment: dt.datetime) -> dt.datetime:
    """A datetime without a time zone is read as UTC."""
    return moment.replace(tzinfo=dt.UTC) if timezone.is_naive(moment) else moment


def services_matching(filters: ServiceFilters) -> QuerySet[Programme]:
    queryset = matching(programmes_visible(), filters.search)
    if filters.organization_id is not None:
        queryset = queryset.filter(organisation__uuid=filters.organization_id)
    if filters.taxonomy_term_id is not None:
        code = CATEGORY_BY_TERM_ID.get(filters.taxonomy_term_id)
        if code is None:
            return queryset.none()
        queryset = queryset.filter(categories_index__contains=f" {code} ")
    if filters.modified_after is not None:
        # A service's `last_modified` covers its organisation (nested in the full record).
        moment = _aware(filters.modified_after)
        queryset = queryset.filter(
            Q(updated_at__gte=moment) | Q(organisation__updated_at__gte=moment)
        )
    return queryset.order_by("slug")


def organizations_matching(filters: OrganizationFilters) -> QuerySet[Organisation]:
    queryset = matching(organisations_visible(), filters.search)
    if filters.taxonomy_term_id is not None:
        providers = services_matching(ServiceFilters(taxonomy_term_id=filters.taxonomy_term_id))
        queryset = queryset.filter(pk__in=providers.values("organisation_id"))
    if filters.modified_after is not None:
        queryset = queryset.filter(updated_at__gte=_aware(filters.modified_after))
    return queryset.order_by("slug")


def service_by_id(service_id: uuid.UUID) -> Programme | None:
    return programmes_visible().filter(uuid=service_id).first()


def organization_by_id(organization_id: uuid.UUID) -> Organisation | None:
    return organisations_visible().filter(uuid=organization_id).first()


@dataclass(frozen=True)
class PageWindow:
    """Which slice of `total_items` a 1-based page of `per_page` items holds."""

    total_items: int
    page_number: int
    per_page: int

    @property
    def total_pages(self) -> int:
        return math.ceil(self.total_items / self.per_page)

    @property
    def start(self) -> int:
        return (self.page_number - 1) * self.per_page

    @property
    def stop(self) -> int:
        return self.start + self.per_page

    def page_fields(self, size: int) -> dict[str, Any]:
        return {
            "total_items": self.total_items,
            "total_pages": self.total_pages,
            "page_number": self.page_number,
            "size": size,
            "first_page": self.page_number == 1,
            "last_page": self.page_number >= self.total_pages,
            "empty": size == 0,
        }


# --- Records ------------------------------------------------------------------------------------


def _timestamp(moment: dt.datetime) -> str:
    """ISO 8601 in UTC with milliseconds, as HSDS's `last_modified` examples."""
    utc = moment.astimezone(dt.UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def _language_name(code: str) -> str:
    label = LANGUAGE_LABELS.get(code)
    if label is not None:
        return str(label)
    try:
        return str(translation.get_language_info(code)["name_translated"])
    except KeyError:
        return code


def _ages(eligibility: object) -> tuple[int | None, int | None]:
    """Minimum and maximum age when the criteria require an age range outright."""
    if not eligibility:
        return None, None
    try:
        criterion = parse_criterion(eligibility)
    except CriteriaError:
        return None, None
    parts = criterion.items if isinstance(criterion, AllOf) else (criterion,)
    low: int | None = None
    high: int | None = None
    for part in parts:
        if not isinstance(part, Compare) or part.field != "age":
            continue
        value = part.value
        if part.op == "between" and isinstance(value, tuple):
            low, high = int(value[0]), int(value[1])
        elif isinstance(value, int) and not isinstance(value, bool):
            if part.op == "ge":
                low = value
            elif part.op == "gt":
                low = value + 1
            elif part.op == "le":
                high = value
            elif part.op == "lt":
                high = value - 1
            elif part.op == "eq":
                low = high = value
    return low, high


def _criteria_sentence(eligibility: object) -> str | None:
    """The criteria in plain words, one sentence, for a programme without a note."""
    if not eligibility:
        return None
    try:
        items = criterion_items(parse_criterion(eligibility))
    except CriteriaError:
        return None

    def words(item: Mapping[str, Any]) -> str:
        children = [words(child) for child in item["children"]]
        return " ".join([str(item["text"]), "; ".join(children)]) if children else item["text"]

    return "; ".join(words(item) for item in items) or None


def _fees(cost: object) -> str | None:
    if not isinstance(cost, Mapping):
        return None
    kind = cost.get("kind")
    amount = cost.get("amount_eur")
    per = cost.get("per")
    per_words = {
        "day": _("per day"),
        "week": _("per week"),
        "month": _("per month"),
        "year": _("per year"),
        "session": _("per session"),
    }
    money = f"{amount:g} €" if isinstance(amount, int | float) else ""
    if money and per in per_words:
        money = f"{money} {per_words[per]}"
    sentences = {
        "free": _("Free of charge."),
        "unpaid": _("Unpaid."),
        "fee": _("Fee: %(amount)s.") % {"amount": money} if money else _("A fee is asked."),
        "allowance": _("Participants receive an allowance of %(amount)s.") % {"amount": money}
        if money
        else _("Participants receive an allowance."),
    }
    parts = [sentences[kind]] if kind in sentences else []
    note = cost.get("note")
    if note:
        parts.append(str(note))  # notes are in English in the knowledge base
    return " ".join(parts) or None


def taxonomy_record() -> Taxonomy:
    return Taxonomy(
        id=TAXONOMY_ID,
        name=TAXONOMY_NAME,
        description=_(
            "Categories of the programmes in the passerelle directory of services for "
            "newcomers looking for work in Brussels."
        ),
    )


def term_record(code: str, language: str, *, detail: bool = False) -> TaxonomyTerm:
    label = CATEGORY_LABELS.get(code)
    name = str(label) if label is not None else code
    return TaxonomyTerm(
        id=term_id(code),
        code=code,
        name=name,
        description=_("Programmes of the category “%(name)s” in the passerelle directory.")
        % {"name": name},
        taxonomy=TAXONOMY_NAME,
        taxonomy_detail=taxonomy_record() if detail else None,
        language=language,
        taxonomy_id=TAXONOMY_ID,
    )


def service_status(programme: Programme, today: dt.date) -> ServiceStatus:
    """HSDS status today: from the programme's dates and its organisation's dated status."""
    if programme.valid_to is not None and today >= programme.valid_to:
        return "defunct"
    if programme.valid_from is not None and today < programme.valid_from:
        return "inactive"
    status = organisation_status(programme.organisation, today).status
    if status == "closed":
        return "defunct"
    if status in ("dormant", "not_yet_founded"):
        return "inactive"
    return "active"


class RecordBuilder:
    """Builds HSDS records in one language, on one day (for `status`)."""

    def __init__(self, language: str, today: dt.date | None = None) -> None:
        if language not in LANGUAGES:
            raise ValueError(f"language: {language!r} is not one of {', '.join(LANGUAGES)}")
        self.language = language
        self.today = today or timezone.localdate()

    @contextmanager
    def _active(self) -> Iterator[None]:
        with translation.override(self.language):
            yield

    @cached_property
    def _organisations(self) -> dict[str, Organisation]:
        """Published organisations by slug, for funders and parents."""
        return {row.slug: row for row in organisations_visible()}

    # Services

    def service(
        self, programme: Programme, *, full: bool, nest_organization: bool = True
    ) -> Service:
        with self._active():
            return self._service(programme, full=full, nest_organization=nest_organization)

    def services(self, programmes: Sequence[Programme], *, full: bool) -> list[Service]:
        with self._active():
            return [self._service(programme, full=full) for programme in programmes]

    def _service(
        self, programme: Programme, *, full: bool, nest_organization: bool = True
    ) -> Service:
        language = self.language
        organisation = programme.organisation
        low, high = _ages(programme.eligibility)
        modified = max(programme.updated_at, organisation.updated_at)
        record = Service(
            id=programme.uuid,
            organization_id=organisation.uuid,
            name=programme.name(language),
            alternate_name=programme.names.get("short") or None,
            description=_text(programme.description, language),
            status=service_status(programme, self.today),
            application_process=_text(programme.how_to_apply, language),
            fees_description=_fees(programme.cost),
            eligibility_description=_text(programme.eligibility_note, language)
            or _criteria_sentence(programme.eligibility),
            minimum_age=low,
            maximum_age=high,
            last_modified=_timestamp(modified),
        )
        if not full:
            return record
        record.service_areas = self._service_areas(programme)
        record.languages = [
            HsdsLanguage(
                id=language_id(programme.slug, code),
                service_id=programme.uuid,
                name=_language_name(code),
                code=code,
            )
            for code in programme.languages
        ]
        record.attributes = [
            Attribute(
                id=attribute_id(programme.slug, code),
                link_id=programme.uuid,
                taxonomy_term_id=term_id(code),
                link_entity="service",
                taxonomy_term=term_record(code, language, detail=True),
            )
            for code in programme.categories
        ]
        if nest_organization:
            record.organization = self._organization(organisation, full=True)
        return record

    def _service_areas(self, programme: Programme) -> list[ServiceArea]:
        """A programme of a local service (a CPAS...) is for the people of its municipality;
        the others have no recorded area."""
        if not programme.municipality:
            return []
        municipality = load_knowledge().municipalities.get(programme.municipality)
        name = municipality.names.get(self.language) if municipality else programme.municipality
        return [
            ServiceArea(
                id=service_area_id(programme.slug, programme.municipality),
                service_id=programme.uuid,
                name=name,
            )
        ]

    # Organisations

    def organization(
        self,
        organisation: Organisation,
        *,
        full: bool,
        services: Sequence[Programme] | None = None,
        full_services: bool = False,
    ) -> Organization:
        """`services`: the organisation's programmes to nest (None: no `services` array)."""
        with self._active():
            record = self._organization(organisation, full=full)
            if services is not None:
                record.services = [
                    self._service(programme, full=full_services, nest_organization=False)
                    for programme in services
                ]
            return record

    def organizations(
        self,
        organisations: Sequence[Organisation],
        *,
        full: bool,
        services: Mapping[int, Sequence[Programme]] | None = None,
        full_services: bool = False,
    ) -> list[Organization]:
        return [
            self.organization(
                organisation,
                full=full,
                services=None if services is None else services.get(organisation.pk, []),
                full_services=full_services,
            )
            for organisation in organisations
        ]

    def _organization(self, organisation: Organisation, *, full: bool) -> Organization:
        language = self.language
        kind = KIND_LABELS.get(organisation.kind)
        record = Organization(
            id=organisation.uuid,
            name=organisation.name(language),
            alternate_name=organisation.names.get("short") or None,
            description=_text(organisation.mandate, language)
            or (str(kind) if kind is not None else organisation.kind),
            website=organisation.website or None,
            parent_organization_id=self._parent_id(organisation),
        )
        if full:
            record.funding = [
                Funding(
                    id=funding_id(organisation.slug, funder.slug),
                    organization_id=organisation.uuid,
                    source=funder.name(language),
                )
                for funder in (self._organisations.get(slug) for slug in organisation.funders)
                if funder is not None
            ]
        return record

    def _parent_id(self, organisation: Organisation) -> uuid.UUID | None:
        """The organisation it is part of today (`part_of` in its dated status)."""
        parent = organisation_status(organisation, self.today).parent
        row = self._organisations.get(parent) if parent else None
        return row.uuid if row is not None else None

    # Taxonomy

    def taxonomies(self) -> list[Taxonomy]:
        with self._active():
            return [taxonomy_record()]

    def terms(self) -> list[TaxonomyTerm]:
        with self._active():
            return [term_record(code, self.language) for code in CATEGORY_CODES]


def services_of(organisations: Sequence[Organisation]) -> dict[int, list[Programme]]:
    """The published programmes of these organisations, by organisation pk (one query)."""
    grouped: dict[int, list[Programme]] = {organisation.pk: [] for organisation in organisations}
    queryset = programmes_visible().filter(organisation__in=list(organisations)).order_by("slug")
    for programme in queryset:
        grouped[programme.organisation_id].append(programme)
    return grouped
