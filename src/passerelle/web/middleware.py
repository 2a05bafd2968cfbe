"""Middleware of the whole site.

The engines' messages in the request's language (`EngineLanguageMiddleware`), and bad
request bodies refused before a view reads them (`RequestLimitsMiddleware`).

`passerelle.core` translates through its own catalogue binding (`core.i18n.use_language`),
since it cannot ask Django; this middleware, after Django's LocaleMiddleware, sets it to the
language Django chose for the request, so that validation errors and rule explanations
read in French, Dutch, English or Arabic like the rest of the page.

The JSON depth check reads the body of JSON requests only (the API's); a body over the
size limit is refused on its Content-Length, before it is read.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.template.defaultfilters import filesizeformat
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

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
