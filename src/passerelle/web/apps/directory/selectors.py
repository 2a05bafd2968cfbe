"""Reads of the public directory (no personal data lives here)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, get_args

from django.db.models import Q, QuerySet

from passerelle.core.landscape import OrganisationStatus, status_from_history
from passerelle.knowledge.loader import load_knowledge
from passerelle.knowledge.model import ProgrammeCategory, StatusPeriod
from passerelle.web.apps.directory.models import Event, Organisation, Partnership, Programme
from passerelle.web.apps.directory.search import search_text

# The "what" filter: the needs the public asks about, every category but these three.
CATEGORIES = tuple(
    category
    for category in get_args(ProgrammeCategory)
    if category not in ("recruitment_event", "social_guidance", "training")
)
WHO = {
    "asylum_seekers": ("asylum_seekers",),
    "refugees": ("refugees", "subsidiary_protection"),
    "newcomers": ("newcomers", "non_eu_newcomers"),
}


@dataclass(frozen=True)
class DirectoryFilters:
    q: str = ""
    what: str = ""
    language: str = ""
    municipality: str = ""
    who: str = ""
    on: dt.date | None = None


def programmes_visible() -> QuerySet[Programme]:
    """Published programmes (in the knowledge base or entered by an organisation) whose
    organisation is published too (never a demo organisation)."""
    return (
        Programme.objects.filter(Q(in_knowledge=True) | Q(origin="user"))
        .filter(Q(organisation__in_knowledge=True) | Q(organisation__origin="user"))
        .filter(organisation__is_demo=False)
        .select_related("organisation")
    )


def organisations_visible() -> QuerySet[Organisation]:
    """Published organisations: the public directory, the HSDS API and the recipients a
    consent may name. Demo organisations (`is_demo`) are synthetic and never among them."""
    return Organisation.objects.filter(Q(in_knowledge=True) | Q(origin="user")).filter(
        is_demo=False
    )


def matching(queryset: QuerySet[Any], q: str) -> QuerySet[Any]:
    """Records whose search text holds every word of `q` (any case, any accents)."""
    for term in search_text(q).split():
        queryset = queryset.filter(search_text__contains=term)
    return queryset


CARD_FIELDS = (
    "slug",
    "names",
    "categories",
    "languages",
    "organisation__slug",
    "organisation__names",
)
"""What a programme card shows: the directory loads nothing else."""


def programmes_search(filters: DirectoryFilters) -> QuerySet[Programme]:
    """Matching programmes, filtered and ordered in the database (paginate the result)."""
    queryset = matching(programmes_visible(), filters.q)
    if filters.what:
        queryset = queryset.filter(categories_index__contains=f" {filters.what} ")
    if filters.language:
        queryset = queryset.filter(languages_index__contains=f" {filters.language} ")
    if filters.municipality:
        # Programmes of an organisation based elsewhere or without a municipality are open
        # to everyone in the region; local services only to their municipality.
        queryset = queryset.filter(Q(municipality="") | Q(municipality=filters.municipality))
    if filters.who:
        groups = Q()
        for group in WHO.get(filters.who, ()):
            groups |= Q(target_groups_index__contains=f" {group} ")
        queryset = queryset.filter(groups)
    if filters.on is not None:
        on = filters.on
        queryset = queryset.filter(
            Q(valid_from__isnull=True) | Q(valid_from__lte=on),
            Q(valid_to__isnull=True) | Q(valid_to__gt=on),
            organisation_id__in=operating_organisation_ids(on),
        )
    return queryset.order_by("slug").only(*CARD_FIELDS)


def operating_organisation_ids(on: dt.date) -> list[int]:
    """Organisations running their programmes on a date (from their dated history)."""
    rows = organisations_visible().values_list("id", "slug", "status_history")
    return [
        pk
        for pk, slug, history in rows
        if status_from_history(
            slug, slug, [StatusPeriod.model_validate(p) for p in history], on
        ).operating
    ]


def organisations_search(filters: DirectoryFilters) -> QuerySet[Organisation]:
    queryset = matching(organisations_visible(), filters.q)
    if filters.language:
        queryset = queryset.filter(languages__icontains=f'"{filters.language}"')
    if filters.municipality:
        queryset = queryset.filter(Q(municipality="") | Q(municipality=filters.municipality))
    if filters.on is not None:
        queryset = queryset.filter(id__in=operating_organisation_ids(filters.on))
    return queryset.order_by("slug").only("slug", "names")


def organisation_status(organisation: Organisation, on: dt.date) -> OrganisationStatus:
    """The organisation's status on a date, from its dated history."""
    history = [StatusPeriod.model_validate(period) for period in organisation.status_history]
    return status_from_history(organisation.slug, organisation.name("en"), history, on)


def organisation_detail(slug: str) -> Organisation | None:
    return organisations_visible().filter(slug=slug).first()


def programme_detail(slug: str) -> Programme | None:
    return programmes_visible().filter(slug=slug).first()


def programmes_of(organisation: Organisation) -> QuerySet[Programme]:
    return (
        programmes_visible().filter(organisation=organisation).order_by("slug").only(*CARD_FIELDS)
    )


def partnerships_of(organisation: Organisation) -> QuerySet[Partnership]:
    return (
        Partnership.objects.filter(members=organisation)
        .filter(Q(in_knowledge=True) | Q(origin="user"))
        .prefetch_related("members")
    )


def events_all() -> QuerySet[Event]:
    return Event.objects.filter(Q(in_knowledge=True) | Q(origin="user")).select_related(
        "organiser", "venue"
    )


def municipalities() -> list[tuple[str, str, str]]:
    """(id, French name, Dutch name) of the 19 municipalities, by French name."""
    knowledge = load_knowledge()
    return sorted((m.id, m.names.fr, m.names.nl) for m in knowledge.municipalities.values())
