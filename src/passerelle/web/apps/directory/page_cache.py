"""The public pages' cache (docs/web.md, "Public page cache").

A public page (home, directory search, organisation, programme, calendar) depends only on
the directory's rows, the code and knowledge base deployed, the language and the day. Its
body is kept in the shared cache under a key made of all of these plus a version number
that every write to the directory changes (signals below, and `knowledge_load`, whose
queryset updates send none): an edit shows on the very next request, and an unchanged page
costs one cache read instead of queries and a template. The key also makes a weak ETag,
so a browser that sends it back gets 304 without even that read.

Only anonymous visitors' pages are kept: a logged-in user's page carries their name and
links, and is rendered for them alone. The one part of an anonymous page that differs per
visitor, the language switcher's CSRF token, is rendered as a placeholder and filled in
for each request.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import io
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.messages import get_messages
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import render
from django.utils import timezone, translation
from django.utils.cache import get_conditional_response, patch_vary_headers
from django.utils.http import http_date

from passerelle.web.apps.ops.queue import background_task, enqueue
from passerelle.web.common.csrf_tokens import visitor_csrf_token
from passerelle.web.common.labels import request_language

VERSION_KEY = "public-pages:version"
CSRF_PLACEHOLDER = "csrf-placeholder-6f0c1e2a9b8d"
"""Stands for the visitor's CSRF token in a kept body (never a valid token itself)."""

View = Callable[..., HttpResponse]
_KEEPING = "passerelle.public_page_kept"
"""Set on a request whose page will be kept: `render_public` renders the placeholder."""
_EARLY = "passerelle.public_page_early"
"""The key `PublicPageMiddleware` looked the page up under: it writes the page's entry."""
_SERVED = "passerelle.public_page_served"
"""Set on a request answered with a kept page: its digest and body (with the placeholder)."""
ANSWERED_EARLY = "passerelle.public_page_answered_early"
"""Set by `PublicPageMiddleware` on a request it answered (200) from a page's entry: the
digest, the body with the placeholder and the kept headers, for `kept_pages_wsgi`."""


def render_public(request: HttpRequest, template: str, context: dict[str, Any]) -> HttpResponse:
    """`render` for a view under `public_page`: the same page, with the CSRF placeholder
    in place of the token when the body is to be kept."""
    if request.META.get(_KEEPING):
        context = {**context, "csrf_token": CSRF_PLACEHOLDER}
    return render(request, template, context)


def directory_changed(**_kwargs: Any) -> None:
    """A write to the directory: pages built before it are no longer served. Bumped now,
    and again when the transaction commits, so that a page rendered from the old rows
    between the write and the commit is not kept either."""
    _bump()
    transaction.on_commit(_bump)


def _bump() -> None:
    cache.set(VERSION_KEY, time.time_ns(), None)


def _version() -> int:
    version = cache.get(VERSION_KEY)
    if version is None:
        # A time, so that a version lost from the cache (culled, cleared) comes back larger.
        cache.add(VERSION_KEY, time.time_ns(), None)
        version = cache.get(VERSION_KEY)
    return int(version) if version is not None else time.time_ns()


@functools.cache
def _deployed() -> tuple[str, int]:
    """What the deployed code, templates, translations and knowledge base are, once per
    process: a new deployment never serves pages kept by the previous one."""
    package = Path(__file__).resolve().parents[3]
    newest, count = 0, 0
    for path in package.rglob("*"):
        if path.suffix in {".py", ".html", ".yaml", ".mo", ".css"}:
            newest = max(newest, path.stat().st_mtime_ns)
            count += 1
    return f"{newest}-{count}", newest


def _cacheable(request: HttpRequest) -> bool:
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return False
    # A message waiting for this visitor would be shown on the page (and kept for others).
    return request.method == "GET" and not len(get_messages(request))


@dataclass(frozen=True)
class PageKey:
    """What a kept page is kept under, and its validators."""

    digest: str
    etag: str
    last_modified: int


def page_key(request: HttpRequest, language: str) -> PageKey:
    version = _version()
    code, code_time = _deployed()
    today = timezone.localdate()
    parts = (version, code, language, today.isoformat(), request.get_full_path())
    digest = hashlib.sha256(repr(parts).encode()).hexdigest()
    midnight = dt.datetime.combine(
        today, dt.time(), tzinfo=timezone.get_current_timezone()
    ).timestamp()
    last_modified = int(max(version / 1e9, code_time / 1e9, midnight))
    return PageKey(digest, f'W/"{digest[:32]}"', last_modified)


def public_page(view: View) -> View:
    """Serve `view` from the cache per language, with ETag and Last-Modified."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not _cacheable(request):
            response = view(request, *args, **kwargs)
            response["Cache-Control"] = "private, no-cache"
            return response
        found = page_key(request, request_language())
        digest, etag, last_modified = found.digest, found.etag, found.last_modified
        unchanged = get_conditional_response(request, etag=etag, last_modified=last_modified)
        if unchanged is not None:
            return _validated(unchanged, etag, last_modified)
        key = f"public-pages:{digest}"
        kept = cache.get(key)
        if kept is None:
            request.META[_KEEPING] = True
            response = view(request, *args, **kwargs)
            # A view that rendered a real token (plain `render`) must not have it kept.
            rendered_token = request.META.get("CSRF_COOKIE_NEEDS_UPDATE", False)
            if response.status_code != 200 or response.streaming or rendered_token:
                response["Cache-Control"] = "private, no-cache"
                return response
            kept = (response.content.decode(response.charset), response["Content-Type"])
            if request.META.get(_EARLY) != digest:  # else the middleware keeps it, with headers
                cache.set(key, kept, settings.DIRECTORY_CACHE_SECONDS)
        body, content_type = kept[:2]
        response = HttpResponse(
            body.replace(CSRF_PLACEHOLDER, visitor_csrf_token(request)), content_type=content_type
        )
        request.META[_SERVED] = (digest, kept)  # for `PublicPageMiddleware` to add the headers
        return _validated(response, etag, last_modified)

    return wrapped


def _validated(response: HttpResponse, etag: str, last_modified: int) -> HttpResponse:
    response["ETag"] = etag
    response["Last-Modified"] = http_date(last_modified)
    # Browsers keep the page and ask again each time (a 304 when nothing changed). Shared
    # proxies must not keep it: the body carries the visitor's CSRF token, bound to a cookie.
    response["Cache-Control"] = "private, no-cache"
    patch_vary_headers(response, ("Accept-Language", "Cookie"))
    return response


# --- kept pages answered before the rest of the stack (docs/benchmarks.md, "CPU") ------------

_NOT_KEPT_HEADERS = frozenset({"content-length"})


class PublicPageMiddleware:
    """Answer an anonymous visitor's GET of a kept public page before the rest of the stack:
    sessions, messages, authentication, CSRF checks, URL resolution and the view do nothing
    for it, yet cost most of a kept page's CPU. Placed after SecurityMiddleware (its
    redirect to HTTPS and its headers apply as to any page), WhiteNoise and the request id.

    A page answered by the whole stack from the page cache (`public_page`) gets, in its
    entry, the headers the inner middleware gave it (language, Vary, CSP, frame options,
    validators); the key is the same, with the language resolved as LocaleMiddleware does
    it (checked against the one the stack used). A later request with that key gets the
    same body and headers, its own CSRF token and cookie through Django's CSRF middleware's
    own methods, or a 304 when its ETag matches. A request with a session or a message
    cookie (a logged-in user, a message waiting) goes through the whole stack."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        from django.middleware.csrf import CsrfViewMiddleware

        self.get_response = get_response
        self.csrf = CsrfViewMiddleware(get_response)
        self.cookies = (settings.SESSION_COOKIE_NAME, "messages")
        # never a public page: no cache read for them (the probes come every few seconds)
        self.skipped = ("/api/", "/static/", "/healthz", "/readyz", *settings.STAFF_PATH_PREFIXES)

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if not self._anonymous_get(request):
            return self.get_response(request)
        found = page_key(request, translation.get_language_from_request(request))
        key = f"public-pages:{found.digest}"
        entry = cache.get(key)
        if entry is not None and len(entry) == 3:
            return self._answer(request, found, entry[0], entry[2])
        request.META[_EARLY] = found.digest
        response = self.get_response(request)
        served = request.META.get(_SERVED)
        if served is not None and served[0] == found.digest and response.status_code == 200:
            body, content_type = served[1][:2]
            headers = [
                (name, value)
                for name, value in response.headers.items()
                if name.lower() not in _NOT_KEPT_HEADERS
            ]
            # A per-request nonce in the policy cannot be replayed: the page alone is kept.
            if "nonce-" in response.get("Content-Security-Policy", ""):
                cache.set(key, (body, content_type), _lifetime())
            else:
                cache.set(key, (body, content_type, headers), _lifetime())
        return response

    def _anonymous_get(self, request: HttpRequest) -> bool:
        return (
            request.method == "GET"
            and not any(name in request.COOKIES for name in self.cookies)
            and not request.path_info.startswith(self.skipped)
            and not settings.CSRF_USE_SESSIONS
        )

    def _answer(
        self, request: HttpRequest, found: PageKey, body: str, headers: list[tuple[str, str]]
    ) -> HttpResponseBase:
        self.csrf.process_request(request)  # the visitor's CSRF secret, from its cookie
        unchanged = get_conditional_response(
            request, etag=found.etag, last_modified=found.last_modified
        )
        if unchanged is not None:
            # as `public_page`'s 304 through the stack: no body, every other header
            for name, value in headers:
                if name.lower() != "content-type":
                    unchanged[name] = value
            unchanged["Content-Length"] = "0"
            return self.csrf.process_response(request, unchanged)
        response = HttpResponse(body.replace(CSRF_PLACEHOLDER, visitor_csrf_token(request)))
        request.META[ANSWERED_EARLY] = (found.digest, body, headers)
        for name, value in headers:
            response[name] = value
        response["Content-Length"] = str(len(response.content))
        return self.csrf.process_response(request, response)


def _lifetime() -> int:
    return int(settings.DIRECTORY_CACHE_SECONDS)


def connect() -> None:
    from passerelle.web.apps.directory.models import Event, Organisation, Partnership, Programme

    for model in (Organisation, Programme, Partnership, Event):
        post_save.connect(directory_changed, sender=model, dispatch_uid=f"pages-{model.__name__}")
        post_delete.connect(directory_changed, sender=model, dispatch_uid=f"pages-d-{model}")
    for through in (Partnership.members.through, Partnership.programmes.through):
        m2m_changed.connect(directory_changed, sender=through, dispatch_uid=f"pages-{through}")


# --- pages rendered ahead (docs/web.md, "Public page cache") -------------------------------


def prerender_paths() -> list[str]:
    """The pages rendered ahead: home, directory, calendar, and every published
    organisation's and programme's page (what a visitor reaches by a link)."""
    from django.urls import reverse

    from passerelle.web.apps.directory.selectors import (
        organisations_visible,
        programmes_visible,
    )

    paths = [reverse(f"directory:{name}") for name in ("home", "directory", "calendar")]
    paths += [
        reverse("directory:organisation", args=[slug])
        for slug in organisations_visible().order_by("slug").values_list("slug", flat=True)
    ]
    paths += [
        reverse("directory:programme", args=[slug])
        for slug in programmes_visible().order_by("slug").values_list("slug", flat=True)
    ]
    return paths


def keeps_pages() -> bool:
    """Whether public pages are kept at all (not in tests, nor with a zero lifetime)."""
    from django.core.cache.backends.dummy import DummyCache

    return settings.DIRECTORY_CACHE_SECONDS > 0 and not isinstance(cache, DummyCache)


def pages_render(*, paths: list[str], languages: tuple[str, ...]) -> dict[str, int]:
    """Request each page in each language through the application, as a first visitor's
    browser would (the handler gunicorn calls, every middleware), so that the page is kept
    and the visitor's first request is a cache hit. Counts of pages by status. The
    request-finished signal is not sent: it would close the task's database connection."""
    from django.core.handlers.wsgi import WSGIHandler, WSGIRequest

    handler = WSGIHandler()
    host = next((h for h in settings.ALLOWED_HOSTS if h and "*" not in h), "localhost")
    host = host.lstrip(".")
    statuses: dict[str, int] = {}
    for language in languages:
        for path in paths:
            environ = {
                "REQUEST_METHOD": "GET",
                "PATH_INFO": path,
                "QUERY_STRING": "",
                "SERVER_NAME": host,
                "SERVER_PORT": "443",
                "HTTP_HOST": host,
                "HTTP_ACCEPT_LANGUAGE": language,
                "HTTP_X_FORWARDED_PROTO": "https",  # what the proxy says in production
                "REMOTE_ADDR": "127.0.0.1",
                "wsgi.url_scheme": "https",
                "wsgi.input": io.BytesIO(),
                "wsgi.errors": sys.stderr,
            }
            code = str(handler.get_response(WSGIRequest(environ)).status_code)
            statuses[code] = statuses.get(code, 0) + 1
    return statuses


@background_task(retries=1)
def public_pages_render() -> dict[str, int]:
    """Render every public page in every language of `PUBLIC_PAGES_PRERENDER_LANGUAGES`
    into the page cache. Safe to run again: a page already kept is a cache hit."""
    if not keeps_pages():
        return {}
    return pages_render(
        paths=prerender_paths(),
        languages=tuple(settings.PUBLIC_PAGES_PRERENDER_LANGUAGES),
    )


def public_pages_render_later() -> None:
    """Queue the rendering once the caller's transaction has committed: after the page
    cache's version moved on (`directory_changed` bumps it at the commit), so that the
    pages are kept under the new version. Nothing when no page is kept (tests)."""
    if keeps_pages() and settings.PUBLIC_PAGES_PRERENDER:
        transaction.on_commit(lambda: enqueue(public_pages_render))
