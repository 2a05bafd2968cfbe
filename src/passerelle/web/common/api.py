"""The organisations' API plumbing that every router shares: token authentication, the
error answer, the error schemas and pagination.

Authentication: `Authorization: Bearer <token>`, one token per organisation system, with
scopes (accounts.ApiScope); the request's `auth` is then an `Actor`. Every 4xx body names
the field at fault: `ApiError` is answered as {"detail": [{"loc": [field], "msg": "field:
message"}]} by the handler in web/api.py.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, TypeVar

from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from ninja import Schema
from ninja.security import HttpBearer

from passerelle.web.apps.accounts.models import ApiToken
from passerelle.web.common.actors import Actor, actor_for_token

PAGE_SIZE = 50
"""Items in one page of an API list."""

Row = TypeVar("Row", bound=Model)


class ApiError(Exception):
    """Answered as {"detail": [{"loc": [field], "msg": "field: message"}]} with `status`
    (handler in web/api.py)."""

    def __init__(self, status: int, errors: dict[str, str]) -> None:
        self.status, self.errors = status, errors
        super().__init__("; ".join(f"{name}: {message}" for name, message in errors.items()))


class OrganisationToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Actor | None:
        found = ApiToken.for_key(token)
        if found is None:
            return None
        now = timezone.now()
        # At most one write a minute: a write on every request would cost each call a commit.
        if found.last_used_at is None or now - found.last_used_at > dt.timedelta(minutes=1):
            ApiToken.objects.filter(pk=found.pk).update(last_used_at=now)
            found.last_used_at = now  # the token may be kept for the next requests
        return actor_for_token(found)


class Problem(Schema):
    detail: list[dict[str, Any]]


ERRORS: dict[int, type[Schema]] = {
    400: Problem,
    401: Problem,
    403: Problem,
    404: Problem,
    409: Problem,
    422: Problem,
}
"""The error answers every endpoint declares beside its own (`response={200: ..., **ERRORS}`)."""


def api_actor(request: HttpRequest, scope: str | None = None) -> Actor:
    """The actor the request's token stands for; with `scope`, refused (403) unless the
    token holds it."""
    actor = request.auth  # type: ignore[attr-defined]
    if not isinstance(actor, Actor):
        raise TypeError("the request was not authenticated by an organisation token")
    if scope is not None and scope not in actor.scopes:
        raise ApiError(403, {"scope": f"this token lacks the scope {scope}"})
    return actor


def page_of(items: QuerySet[Row], page: int) -> tuple[int, int, QuerySet[Row]]:
    """The count of `items`, the number of pages (at least one) and page `page` (from 1) of
    them, `PAGE_SIZE` to a page: counted and sliced in the database."""
    count = items.count()
    pages = max(1, -(-count // PAGE_SIZE))
    return count, pages, items[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]


def page_answer(items: QuerySet[Row], page: int, out: Callable[[Row], Any]) -> dict[str, Any]:
    """The answer of an API list: {"count", "page", "pages", "items"}, with page `page` of
    `items` (`page_of`) each written by `out`."""
    count, pages, shown = page_of(items, page)
    return {"count": count, "page": page, "pages": pages, "items": [out(row) for row in shown]}
