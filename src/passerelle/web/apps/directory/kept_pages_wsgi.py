"""Kept public pages answered at the WSGI layer, before Django builds its handler's request
and response (docs/benchmarks.md, "CPU per request").

`PublicPageMiddleware` answers a kept page near the top of the middleware stack; what is
left of a hit's cost is then mostly Django's machinery around it: the request-started and
request-finished signals (closing database connections and caches a hit never opened), the
outer middleware, an `HttpResponse` whose every header is checked as it is set. This
wrapper of the WSGI application learns, per process, the complete answer the stack gave to
a page (status, every header in its order, the body with the CSRF placeholder) the first
time `PublicPageMiddleware` answers it from the page's entry, and answers the next
requests for that page itself, with their own request id, CSRF token and cookie.

A page is found under the same key as in the page cache (the directory's version, read from
the shared cache on every request, the deployment, the language, the day and the path), plus
the host and the scheme, so an edit shows on the very next request as before. Anything else
goes through the stack: a request that is not an anonymous GET (a session or a message
cookie), one that asks for a 304 (`If-None-Match`, `If-Modified-Since`), a path the page
cache skips, a page not yet learned by this process.
"""

from __future__ import annotations

import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
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

PAGES_KEPT = 2000
"""Answers kept per process, the least recently used dropped first (a programme page is
about 20 KB: some 40 MB per worker at most)."""

StartResponse = Callable[..., Any]
_PER_REQUEST = frozenset({REQUEST_ID_HEADER.lower(), "content-length", "set-cookie"})


@dataclass(frozen=True)
class LearnedPage:
    status: str
    headers: tuple[tuple[str, str], ...]
    """Every header the stack gave, in order; the per-request ones hold their name only."""
    body: str


class KeptPagesApplication:
    """The WSGI application, with kept public pages answered before it."""

    def __init__(self, application: Callable[[dict[str, Any], StartResponse], Iterable[bytes]]):
        self.application = application
        self.pages: OrderedDict[tuple[str, str, bool], LearnedPage] = OrderedDict()
        self.lock = threading.Lock()  # gthread workers serve several requests at once
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
        key = (found.digest, environ.get("HTTP_HOST", ""), request.is_secure())
        with self.lock:
            learned = self.pages.get(key)
            if learned is not None:
                self.pages.move_to_end(key)
        if learned is not None:
            return self._answer(request, learned, start_response)
        return self._through_stack(environ, start_response, key)

    def _candidate(self, environ: dict[str, Any]) -> bool:
        return (
            environ.get("REQUEST_METHOD") == "GET"
            and "HTTP_IF_NONE_MATCH" not in environ
            and "HTTP_IF_MODIFIED_SINCE" not in environ
            and not environ.get("PATH_INFO", "").startswith(self.skipped)
            and not settings.CSRF_USE_SESSIONS
        )

    def _through_stack(
        self, environ: dict[str, Any], start_response: StartResponse, key: tuple[str, str, bool]
    ) -> Iterable[bytes]:
        given: list[tuple[str, list[tuple[str, str]]]] = []

        def recording(status: str, headers: list[tuple[str, str]], *info: Any) -> Any:
            given.append((status, headers))
            return start_response(status, headers, *info)

        result = self.application(environ, recording)
        answered = environ.get(ANSWERED_EARLY)
        if answered is not None and answered[0] == key[0] and given:
            status, headers = given[0]
            cookies = [value for name, value in headers if name.lower() == "set-cookie"]
            only_csrf = all(v.lstrip().startswith(f"{settings.CSRF_COOKIE_NAME}=") for v in cookies)
            if status.startswith("200 ") and only_csrf:
                template = tuple(
                    (name, "" if name.lower() in _PER_REQUEST else value)
                    for name, value in headers
                    if name.lower() != "set-cookie"
                )
                with self.lock:
                    self.pages[key] = LearnedPage(status, template, answered[1])
                    while len(self.pages) > PAGES_KEPT:
                        self.pages.popitem(last=False)
        return result

    def _answer(
        self, request: WSGIRequest, learned: LearnedPage, start_response: StartResponse
    ) -> Iterable[bytes]:
        # The CSRF middleware's own steps: the secret from the visitor's cookie, the token
        # masked into the body, the cookie sent (renewed) as its process_response sends it.
        self.csrf.process_request(request)
        body = learned.body.replace(CSRF_PLACEHOLDER, visitor_csrf_token(request)).encode()
        carrier = HttpResponseBase()
        self.csrf.process_response(request, carrier)
        given = request.headers.get(REQUEST_ID_HEADER, "")
        values = {
            # as RequestIdMiddleware: the proxy's id when sane, a new one otherwise
            REQUEST_ID_HEADER.lower(): given if SANE_ID.match(given) else uuid.uuid4().hex,
            "content-length": str(len(body)),
        }
        headers = [(name, values.get(name.lower(), value)) for name, value in learned.headers]
        headers += [("Set-Cookie", c.output(header="")) for c in carrier.cookies.values()]
        start_response(learned.status, headers)
        return [body]
