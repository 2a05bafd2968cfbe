"""The engines' messages in the request's language, and rate limits.

`passerelle.core` translates through its own catalogue binding (`core.i18n.use_language`),
since it cannot ask Django; this middleware, after Django's LocaleMiddleware, sets it to the
language Django chose for the request, so that validation errors and rule explanations
read in French, Dutch, English or Arabic like the rest of the page.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django_ratelimit.core import get_usage

from passerelle.core.i18n import language_of


class EngineLanguageMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        with language_of(translation.get_language() or "en"):
            return self.get_response(request)


@dataclass(frozen=True)
class RateLimitRule:
    """Requests of one kind counted together: `group` names the limit in
    settings.RATE_LIMITS; `by_token` counts per API token (per address without one)."""

    group: str
    by_token: bool = False


def _token(group: str, request: HttpRequest) -> str:
    """The API token's digest (the counter never holds a token)."""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    return "token:" + hashlib.sha256(header.encode()).hexdigest()[:40]


class RateLimitMiddleware:
    """Rate limits (docs/security.md, section 8): logins (staff and admin) and the public
    `POST /api/options` per address, the organisations' token APIs (`/api/v1/`) per token
    (per address for requests without one).
    Counted by django-ratelimit in the `ratelimit` cache; over the limit the answer is 429
    with `Retry-After`, as the API's JSON error shape on the API and a page elsewhere."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def rule_for(self, request: HttpRequest) -> RateLimitRule | None:
        path = request.path_info
        if path.startswith("/api/v1/"):
            return RateLimitRule("token_api", by_token=True)
        if request.method != "POST":
            return None
        if path == "/api/options" or path in {reverse("accounts:login"), reverse("admin:login")}:
            return RateLimitRule("options" if path.startswith("/api/") else "login")
        return None

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        rule = self.rule_for(request)
        if rule is not None:
            usage = get_usage(
                request,
                group=f"passerelle.{rule.group}",
                key=_token if rule.by_token and "HTTP_AUTHORIZATION" in request.META else "ip",
                rate=settings.RATE_LIMITS[rule.group],
                increment=True,
            )
            if usage is not None and usage["should_limit"]:
                return too_many_requests(request, max(int(usage["time_left"]), 1))
        return self.get_response(request)


def too_many_requests(request: HttpRequest, retry_after: int) -> HttpResponseBase:
    """429 in the shape of what was asked: the organisations' API (a list of problems), the
    public API (django-ninja's), or a page in the visitor's language."""
    response: HttpResponseBase
    message = f"too many requests; retry after {retry_after} seconds"
    if request.path_info.startswith("/api/v1/"):
        detail = [{"loc": ["request"], "msg": f"request: {message}", "type": "rate_limited"}]
        response = JsonResponse({"detail": detail}, status=429)
    elif request.path_info.startswith("/api/"):
        response = JsonResponse({"detail": message}, status=429)
    else:
        response = render(request, "429.html", {"retry_after": retry_after}, status=429)
    response["Retry-After"] = str(retry_after)
    response["Cache-Control"] = "no-store"
    return response
