"""Public pages: no login, nothing stored about the visitor. Views parse, call a selector or
the rules engine, and render."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from passerelle.core.profile import ProfileError, profile_from_data
from passerelle.core.rules.fields import DateOutOfCoverageError
from passerelle.knowledge.criteria import parse_criterion
from passerelle.knowledge.loader import load_knowledge
from passerelle.web.apps.directory import selectors
from passerelle.web.apps.directory.calendar import calendar_entries, calendar_ics
from passerelle.web.apps.directory.criteria_text import criterion_items
from passerelle.web.apps.directory.forms import DirectoryFilterForm, FinderForm
from passerelle.web.apps.directory.page_cache import public_page, render_public
from passerelle.web.apps.directory.reader import reader_context, with_reader_name
from passerelle.web.apps.directory.situation import situation_for
from passerelle.web.common.labels import (
    CATEGORY_LABELS,
    KIND_LABELS,
    LANGUAGE_LABELS,
    ORGANISATION_STATUS_LABELS,
    TARGET_GROUP_LABELS,
    display_name,
    request_language,
)

PAGE_SIZE = 30
COUNT_CAP = 300
MAX_PAGE = 10_000
"""Beyond any page of results; bounds the offset a `?page=` can ask of the database."""


@require_GET
@public_page
def home(request: HttpRequest) -> HttpResponse:
    return render_public(
        request,
        "directory/home.html",
        {
            "categories": [(code, CATEGORY_LABELS[code]) for code in selectors.CATEGORIES],
        },
    )


@require_GET
@public_page
def directory(request: HttpRequest) -> HttpResponse:
    """The directory. Its content depends only on the query and the language: served from
    the public page cache (page_cache) until the directory changes."""
    content = render_to_string(
        "directory/_directory_content.html", _directory_context(request), request
    )
    # Our own rendered template, passed as text to the page around it.
    return render_public(request, "directory/directory.html", {"content": mark_safe(content)})  # noqa: S308


def _directory_context(request: HttpRequest) -> dict[str, Any]:
    form = DirectoryFilterForm(request.GET or None)
    filters = selectors.DirectoryFilters()
    if form.is_valid():
        filters = selectors.DirectoryFilters(**form.cleaned_data)
    programmes = selectors.programmes_search(filters)
    # Counting every match of a broad word costs more than the page itself: stop at a cap.
    programme_count = programmes[: COUNT_CAP + 1].count()
    organisations = (
        selectors.organisations_search(filters)
        if not filters.what
        else selectors.organisations_visible().none()
    )
    page = _page_number(request, "page")
    organisations_page = _page_number(request, "organisations_page")
    # One row more than a page tells whether there is a next page.
    shown = list(programmes[(page - 1) * PAGE_SIZE : page * PAGE_SIZE + 1])
    organisations_shown = list(
        organisations[(organisations_page - 1) * PAGE_SIZE : organisations_page * PAGE_SIZE + 1]
    )
    organisation_count = organisations.count()
    query = request.GET.copy()
    query.pop("page", None)
    organisations_query = request.GET.copy()
    organisations_query.pop("organisations_page", None)
    return {
        "form": form,
        "programmes": [_programme_card(p) for p in shown[:PAGE_SIZE]],
        "programme_count": min(programme_count, COUNT_CAP),
        "count_capped": programme_count > COUNT_CAP,
        "programmes_range": _range(page, len(shown[:PAGE_SIZE])),
        "organisations": [
            {
                "slug": organisation.slug,
                "names": with_reader_name(organisation.names, "organisations", organisation.slug),
            }
            for organisation in organisations_shown[:PAGE_SIZE]
        ],
        "organisation_count": organisation_count,
        "organisations_range": _range(organisations_page, len(organisations_shown[:PAGE_SIZE])),
        "organisations_page": organisations_page,
        "organisations_has_next": len(organisations_shown) > PAGE_SIZE,
        "organisations_query": organisations_query.urlencode(),
        "page": page,
        "has_next": len(shown) > PAGE_SIZE,
        "query": query.urlencode(),
    }


def _page_number(request: HttpRequest, name: str) -> int:
    try:
        return min(max(1, int(request.GET.get(name, "1"))), MAX_PAGE)
    except ValueError:
        return 1


def _range(page: int, shown: int) -> tuple[int, int]:
    """The positions (from 1) of the first and last row a page lists."""
    first = (page - 1) * PAGE_SIZE + 1
    return (first, first + shown - 1) if shown else (0, 0)


def _programme_card(programme: Any) -> dict[str, Any]:
    return {
        "programme": programme,
        "names": with_reader_name(programme.names, "programmes", programme.slug),
        "organisation_names": with_reader_name(
            programme.organisation.names, "organisations", programme.organisation.slug
        ),
        "categories": [CATEGORY_LABELS.get(c, c) for c in programme.categories],
        "languages": [LANGUAGE_LABELS.get(c, c) for c in programme.languages],
    }


@require_GET
@public_page
def organisation_page(request: HttpRequest, slug: str) -> HttpResponse:
    organisation = selectors.organisation_detail(slug)
    if organisation is None:
        raise Http404(_("No organisation with this name."))
    today = timezone.localdate()
    status = selectors.organisation_status(organisation, today)
    knowledge = load_knowledge()
    return render_public(
        request,
        "directory/organisation.html",
        {
            "organisation": organisation,
            "kind": KIND_LABELS.get(organisation.kind, organisation.kind),
            "status": status,
            "status_label": ORGANISATION_STATUS_LABELS[status.status],
            "history": [
                {
                    **period,
                    "label": ORGANISATION_STATUS_LABELS[period["status"]],
                    # The parent by its name, never its id (issue 18, item 2).
                    "parent_name": display_name(period["parent"]) if period.get("parent") else "",
                }
                for period in organisation.status_history
            ],
            "languages": [LANGUAGE_LABELS.get(c, c) for c in organisation.languages],
            "target_groups": [TARGET_GROUP_LABELS.get(t, t) for t in organisation.target_groups],
            "programmes": [_programme_card(p) for p in selectors.programmes_of(organisation)],
            "partnerships": selectors.partnerships_of(organisation),
            "sources": _sources(organisation.sources, knowledge),
            **reader_context(knowledge, "organisations", organisation.slug),
        },
    )


@require_GET
@public_page
def programme_page(request: HttpRequest, slug: str) -> HttpResponse:
    programme = selectors.programme_detail(slug)
    if programme is None:
        raise Http404(_("No programme with this name."))
    knowledge = load_knowledge()
    criteria = (
        criterion_items(parse_criterion(programme.eligibility)) if programme.eligibility else []
    )
    return render_public(
        request,
        "directory/programme.html",
        {
            "programme": programme,
            "card": _programme_card(programme),
            "target_groups": [TARGET_GROUP_LABELS.get(t, t) for t in programme.target_groups],
            "criteria": criteria,
            "sources": _sources(programme.sources, knowledge),
            "website": programme.organisation.website,
            **reader_context(knowledge, "programmes", programme.slug),
        },
    )


def _sources(citations: list[dict[str, Any]], knowledge: Any) -> list[dict[str, Any]]:
    shown = []
    for citation in citations:
        document = knowledge.sources.get(citation.get("source"))
        where = []
        if citation.get("paragraph"):
            where.append(_("paragraph %(n)s") % {"n": citation["paragraph"]})
        if citation.get("footnote"):
            where.append(_("footnote %(n)s") % {"n": citation["footnote"]})
        if citation.get("article"):
            where.append(_("article %(n)s") % {"n": citation["article"]})
        shown.append(
            {
                "title": document.title if document else citation.get("source"),
                "publisher": document.publisher if document else "",
                "date": str(document.date) if document and document.date else "",
                "url": document.url if document else None,
                # The title and the quote are in the document's language (None: unknown).
                "language": document.language if document else None,
                "where": ", ".join(where),
                "quote": citation.get("quote"),
            }
        )
    return shown


@never_cache
@require_http_methods(["GET", "POST"])
def finder(request: HttpRequest) -> HttpResponse:
    """The "What can I do?" finder. Answers come by POST, are used for this response only,
    and are never written to the database, a log, a cookie or a URL."""
    if request.method != "POST":
        return render(request, "directory/finder.html", {"form": FinderForm()})
    form = FinderForm(request.POST)
    result = None
    if form.is_valid():
        on = form.cleaned_data.get("on") or timezone.localdate()
        try:
            profile = profile_from_data(form.profile_data())
            result = situation_for(profile, on)
        except ProfileError as error:
            for field, message in error.errors.items():
                target = field if field in form.fields else None
                form.add_error(target, message)
        except DateOutOfCoverageError as error:
            form.add_error("on", str(error))
    response = render(request, "directory/finder.html", {"form": form, "result": result})
    response["Cache-Control"] = "no-store, private"
    return response


@require_GET
@public_page
def calendar_page(request: HttpRequest) -> HttpResponse:
    entries = calendar_entries(list(selectors.events_all()), timezone.localdate())
    return render_public(request, "directory/calendar.html", {"entries": entries})


@require_GET
@public_page
def calendar_feed(request: HttpRequest) -> HttpResponse:
    body = calendar_ics(list(selectors.events_all()), request_language(), timezone.localdate())
    return HttpResponse(body, content_type="text/calendar; charset=utf-8")
