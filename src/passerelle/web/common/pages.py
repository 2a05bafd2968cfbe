"""The staff's paginated lists (person files, follow-ups due, the audit log): the page a
request asks for, and the list's other parameters (a search, the audit log's filters) that
the pager's links keep (`templates/staff/_pager.html`)."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Page, Paginator
from django.http import HttpRequest


def list_page(request: HttpRequest, items: Any, per_page: int) -> dict[str, Any]:
    """`page`: the page of `items` asked for by `?page=` (the last one past the end, the
    first one for a value that is not a number); `query`: the request's other parameters,
    URL-encoded, for the pager's links."""
    page: Page[Any] = Paginator(items, per_page).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return {"page": page, "query": query.urlencode()}
