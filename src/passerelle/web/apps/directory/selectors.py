"""Reads of the public directory (no personal data lives here)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q, QuerySet

from passerelle.core.landscape import OrganisationStatus, status_from_history
from passerelle.knowledge.loader import load_knowledge
from passerelle.knowledge.model import StatusPeriod
from passerelle.web.apps.directory.models import Event, Organisation, Partnership, Programme
from passerelle.web.apps.directory.services import search_text

CATEGORIES = (
    "language_course",
    "integration_pathway",
    "mentoring",
    "internship",
    "job_search_support",
    "diploma_recognition",
    "literacy",
    "employer_support",
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
    return Programme.objects.filter(Q(in_knowledge=True) | Q(origin="user")).select_related(
        "organisation"
    )


def organisations_visible() -> QuerySet[Organisation]:
    return Organisation.objects.filter(Q(in_knowledge=True) | Q(origin="user"))


def _terms(q: str) -> list[str]:
    return [term for term in search_text(q).split() if term]


def programmes_search(filters: DirectoryFilters) -> list[Programme]:
    queryset = programmes_visible()
    for term in _terms(filters.q):
        queryset = queryset.filter(search_text__contains=term)
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
    programmes = list(queryset.order_by("slug"))
    if filters.on is not None:
        programmes = [p for p in programmes if programme_offered_on(p, filters.on)]
    return programmes


def organisations_search(filters: DirectoryFilters) -> list[Organisation]:
    queryset = organisations_visible()
    for term in _terms(filters.q):
        queryset = queryset.filter(search_text__contains=term)
    if filters.language:
        queryset = queryset.filter(languages__icontains=f'"{filters.language}"')
    if filters.municipality:
        queryset = queryset.filter(Q(municipality="") | Q(municipality=filters.municipality))
    organisations = list(queryset.order_by("slug"))
    if filters.on is not None:
        on = filters.on
        organisations = [o for o in organisations if organisation_status(o, on).operating]
    return organisations


def organisation_status(organisation: Organisation, on: dt.date) -> OrganisationStatus:
    """The organisation's status on a date, from its dated history."""
    history = [StatusPeriod.model_validate(period) for period in organisation.status_history]
    return status_from_history(organisation.slug, organisation.name("en"), history, on)


def programme_offered_on(programme: Programme, on: dt.date) -> bool:
    if programme.valid_from is not None and on < programme.valid_from:
        return False
    if programme.valid_to is not None and on >= programme.valid_to:
        return False
    return bool(organisation_status(programme.organisation, on).operating)


def organisation_detail(slug: str) -> Organisation | None:
    return organisations_visible().filter(slug=slug).first()


def programme_detail(slug: str) -> Programme | None:
    return programmes_visible().filter(slug=slug).first()


def partnerships_of(organisation: Organisation) -> QuerySet[Partnership]:
    return organisation.partnerships.filter(in_knowledge=True).prefetch_related("members")


def events_all() -> QuerySet[Event]:
    return Event.objects.filter(Q(in_knowledge=True) | Q(origin="user")).select_related(
        "organiser", "venue"
    )


def municipalities() -> list[tuple[str, str, str]]:
    """(id, French name, Dutch name) of the 19 municipalities, by French name."""
    knowledge = load_knowledge()
    return sorted((m.id, m.names.fr, m.names.nl) for m in knowledge.municipalities.values())
