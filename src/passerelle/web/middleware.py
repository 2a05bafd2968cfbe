"""Middleware of the whole site.

The engines' messages in the request's language (`EngineLanguageMiddleware`), bad
request bodies refused before a view reads them (`RequestLimitsMiddleware`), and rate
limits (`RateLimitMiddleware`).

`passerelle.core` translates through its own catalogue binding (`core.i18n.language_of`),
since it cannot ask Django; this middleware, after Django's LocaleMiddleware, sets it to the
language Django chose for the request, so that validation errors and rule explanations
read in French, Dutch, English or Arabic like the rest of the page.

The JSON depth check reads the body of JSON requests only (the API's); a body over the
size limit is refused on its Content-Length, before it is read.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.shortcuts import render
from django.template.defaultfilters import filesizeformat
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django_ratelimit.core import get_usage

from passerelle.core.i18n import language_of
from passerelle.core.validation import json_depth_problem


class EngineLanguageMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        with language_of(translation.get_language() or "en"):
            return self.get_response(request)


class RequestLimitsMiddleware:
    """Bad requests answered before any view reads them: over the size limit, 413; JSON nested
    deeper than `core.validation.MAX_JSON_DEPTH`, 422 (before Python's recursive parser sees
    it); a NUL in a page's query or form parameter, 400. Under /api/ in the API's error shape
    (a list of problems, each naming its field), an HTML page elsewhere.

    Multipart bodies are left to Django, since their files do not count towards
    DATA_UPLOAD_MAX_MEMORY_SIZE; Django's own refusal of their fields reaches `bad_request`.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        content_type = request.content_type or ""
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if not content_type.startswith("multipart/") and limit is not None:
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0
            if length > limit:
                return too_large(request)
        if content_type == "application/json" or content_type.endswith("+json"):
            try:
                problem = json_depth_problem(request.body)
            except RequestDataTooBig:
                return too_large(request)
            if problem is not None:
                return _refusal(request, 422, "body", problem, "json_too_deep")
        if not request.path.startswith("/api/"):
            field = _field_with_nul(request, content_type)
            if field is not None:
                message = _("contains a NUL character, which cannot be stored; remove it")
                return _refusal(request, 400, field, message, "nul")
        return self.get_response(request)


def _field_with_nul(request: HttpRequest, content_type: str) -> str | None:
    """The first parameter of the query or of a form body holding U+0000. Views pass some
    parameters straight to a query (a search word, a programme's slug), and PostgreSQL
    refuses NUL in text: a 500 before this. The API validates its parameters itself."""
    sources = [request.GET]
    if content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        sources.append(request.POST)  # parsed once; CSRF middleware reads it next anyway
    for source in sources:
        for name, values in source.lists():
            if name == "next":
                continue  # only ever a redirect target, checked by the view: junk is ignored there
            if "\x00" in name or any("\x00" in value for value in values):
                return name.replace("\x00", "") or "request"
    return None


def too_large(request: HttpRequest) -> HttpResponse:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 0
    message = _("the request is larger than the %(size)s this server accepts") % {
        "size": filesizeformat(limit)
    }
    return _refusal(request, 413, "body", message, "too_large")


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """Django's 400 handler (`handler400`): a body over the size limit found while a form is
    read (a multipart body's fields) is a 413; anything else a plain 400, in the API's shape
    under /api/."""
    if isinstance(exception, RequestDataTooBig):
        return too_large(request)
    return _refusal(request, 400, "request", _("the request could not be read"), "bad_request")


def _refusal(
    request: HttpRequest, status: int, field: str, message: str, kind: str
) -> HttpResponse:
    if request.path.startswith("/api/"):
        item = {"loc": [field], "msg": f"{field}: {message}", "type": kind}
        return JsonResponse({"detail": [item]}, status=status)
    # No request context: this may answer before the session and the user are known.
    detail = message if field in ("body", "request") else f"{field}: {message}"
    html = render_to_string("errors/refused.html", {"status": status, "message": detail})
    return HttpResponse(html, status=status)


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
