"""Kept public pages answered at the WSGI layer, before Django builds its handler's request
and response (docs/benchmarks.md, "CPU per request").

`PublicPageMiddleware` answers a kept page near the top of the middleware stack; what is
left of a hit's cost is then mostly Django's machinery around it: the request-started and
request-finished signals (closing database connections and caches a hit never opened), the
outer middleware, an `HttpResponse` whose every header is checked as it is set.

The answer to a kept page is its entry in the page cache (the body, the headers the inner
middleware gave it) followed by the headers the outer middleware add (the request id,
`SecurityMiddleware`'s), the same for every page of one host and scheme. This wrapper of the
WSGI application learns those, per process, from the first page `PublicPageMiddleware`
answers from its entry (checking that the answer is the entry's headers followed by them),
and then answers every kept page itself from its entry: the same status, headers in the
same order and body, with the request's own request id, CSRF token and cookie.

A page is read under the same key as by the middleware (the directory's version, read from
the shared cache on every request, the deployment, the language, the day and the path), so
an edit shows on the very next request as before. Anything else goes through the stack: a
request that is not an anonymous GET (a session or a message cookie), one that asks for a
304 (`If-None-Match`, `If-Modified-Since`), a path the page cache skips, a page not kept
with its headers, a host or scheme whose outer headers this process has not learned.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.handlers.wsgi import WSGIRequest
from django.http import HttpResponseBase
from django.middleware.csrf import CsrfViewMiddleware
from django.utils import translation

from passerelle.web.apps.directory.page_cache import (
    ANSWERED_EARLY,
    CSRF_PLACEHOLDER,
    page_key,
)
from passerelle.web.apps.ops.logs import HEADER as REQUEST_ID_HEADER
from passerelle.web.apps.ops.logs import SANE_ID
from passerelle.web.common.csrf_tokens import visitor_csrf_token

StartResponse = Callable[..., Any]
Headers = list[tuple[str, str]]


def entry_headers(kept: Headers) -> Headers:
    """The headers `PublicPageMiddleware._answer` gives an entry's page, in their order:
    the content type first (where `HttpResponse` puts it), the kept ones, the length."""
    content_type = next(
        (value for name, value in kept if name.lower() == "content-type"),
        "text/html; charset=utf-8",
    )
    rest = [(name, value) for name, value in kept if name.lower() != "content-type"]
    return [("Content-Type", content_type), *rest, ("Content-Length", "")]


class KeptPagesApplication:
    """The WSGI application, with kept public pages answered before it."""

    def __init__(self, application: Callable[[dict[str, Any], StartResponse], Iterable[bytes]]):
        self.application = application
        self.outer: dict[tuple[str, bool], tuple[tuple[str, str], ...]] = {}
        """Per host and scheme: the headers the outer middleware add, in order."""
        self.csrf = CsrfViewMiddleware(lambda request: HttpResponseBase())
        self.cookies = (settings.SESSION_COOKIE_NAME, "messages")
        self.skipped = ("/api/", "/static/", "/healthz", "/readyz", *settings.STAFF_PATH_PREFIXES)

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if not self._candidate(environ):
            return self.application(environ, start_response)
        request = WSGIRequest(environ.copy())  # the stack builds its own from `environ`
        if any(name in request.COOKIES for name in self.cookies):
            return self.application(environ, start_response)
        found = page_key(request, translation.get_language_from_request(request))
        shape = (environ.get("HTTP_HOST", ""), request.is_secure())
        outer = self.outer.get(shape)
        if outer is not None:
            entry = cache.get(f"public-pages:{found.digest}")
            if entry is not None and len(entry) == 3:
                return self._answer(request, entry[0], entry[2], outer, start_response)
        return self._through_stack(environ, start_response, shape, found.digest)

    def _candidate(self, environ: dict[str, Any]) -> bool:
        return (
            environ.get("REQUEST_METHOD") == "GET"
            and "HTTP_IF_NONE_MATCH" not in environ
            and "HTTP_IF_MODIFIED_SINCE" not in environ
            and not environ.get("PATH_INFO", "").startswith(self.skipped)
            and not settings.CSRF_USE_SESSIONS
        )

    def _through_stack(
        self,
        environ: dict[str, Any],
        start_response: StartResponse,
        shape: tuple[str, bool],
        digest: str,
    ) -> Iterable[bytes]:
        given: list[tuple[str, Headers]] = []

        def recording(status: str, headers: Headers, *info: Any) -> Any:
            given.append((status, headers))
            return start_response(status, headers, *info)

        result = self.application(environ, recording)
        answered = environ.get(ANSWERED_EARLY)
        if answered is not None and answered[0] == digest and given:
            outer = _outer_headers(given[0][0], given[0][1], entry_headers(answered[2]))
            if outer is not None:
                self.outer[shape] = outer
        return result

    def _answer(
        self,
        request: WSGIRequest,
        body_kept: str,
        kept: Headers,
        outer: tuple[tuple[str, str], ...],
        start_response: StartResponse,
    ) -> Iterable[bytes]:
        # The CSRF middleware's own steps: the secret from the visitor's cookie, the token
        # masked into the body, the cookie sent (renewed) as its process_response sends it.
        self.csrf.process_request(request)
        body = body_kept.replace(CSRF_PLACEHOLDER, visitor_csrf_token(request)).encode()
        carrier = HttpResponseBase()
        self.csrf.process_response(request, carrier)
        given = request.headers.get(REQUEST_ID_HEADER, "")
        values = {
            # as RequestIdMiddleware: the proxy's id when sane, a new one otherwise
            REQUEST_ID_HEADER.lower(): given if SANE_ID.match(given) else uuid.uuid4().hex,
            "content-length": str(len(body)),
        }
        headers = [
            (name, values.get(name.lower(), value))
            for name, value in (*entry_headers(kept), *outer)
        ]
        headers += [("Set-Cookie", c.output(header="")) for c in carrier.cookies.values()]
        start_response("200 OK", headers)
        return [body]


def _outer_headers(
    status: str, headers: Headers, inner: Headers
) -> tuple[tuple[str, str], ...] | None:
    """The headers after the entry's in a 200 answered from an entry, the request id's value
    left out; None when the answer is not the entry's headers followed by others, or sets
    a cookie other than the CSRF one (then nothing is answered early)."""
    cookies = [value for name, value in headers if name.lower() == "set-cookie"]
    if not status.startswith("200 ") or not all(
        value.lstrip().startswith(f"{settings.CSRF_COOKIE_NAME}=") for value in cookies
    ):
        return None
    plain = [(name, value) for name, value in headers if name.lower() != "set-cookie"]
    head = plain[: len(inner)]
    same = [
        (name.lower(), "" if name.lower() == "content-length" else value) for name, value in head
    ] == [(name.lower(), value) for name, value in inner]
    if not same:
        return None
    return tuple(
        (name, "" if name.lower() == REQUEST_ID_HEADER.lower() else value)
        for name, value in plain[len(inner) :]
    )
