"""Kept public pages answered at the WSGI layer (directory/kept_pages_wsgi.py, issue 19
item 7): once the stack has answered a page from its entry, the wrapper answers it with the
same status, the same headers in the same order and the same body, each visitor's own
request id, CSRF token and cookie; an edit, a 304, a logged-in visitor and anything else
still go through the stack."""

from __future__ import annotations

import io
import re
import sys
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.middleware.csrf import _unmask_cipher_token
from tests.support.page_cache import kept_pages

from passerelle.web.apps.directory.kept_pages_wsgi import KeptPagesApplication
from passerelle.web.apps.directory.models import Programme
from passerelle.web.apps.directory.services import LoadReport

__all__ = ["kept_pages"]  # the fixture, used by name

TOKEN = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')
Answer = tuple[str, list[tuple[str, str]], bytes]


def _environ(path: str, **headers: str) -> dict[str, Any]:
    return {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "HTTP_HOST": "testserver",
        "HTTP_ACCEPT_LANGUAGE": "nl",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": sys.stderr,
        **headers,
    }


def _get(application: Callable[..., Iterable[bytes]], path: str, **headers: str) -> Answer:
    given: list[tuple[str, list[tuple[str, str]]]] = []
    result = application(_environ(path, **headers), lambda s, h, *_: given.append((s, h)))
    body = b"".join(result)
    close = getattr(result, "close", None)
    if close is not None:
        close()
    return given[0][0], list(given[0][1]), body


class Stack:
    """Django's handler, counting the requests that reach it."""

    def __init__(self) -> None:
        self.handler = WSGIHandler()
        self.calls = 0

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        self.calls += 1
        return self.handler(environ, start_response)


@pytest.fixture
def wrapped(
    loaded_directory: LoadReport, kept_pages: None
) -> Iterator[tuple[KeptPagesApplication, Stack]]:
    # As Django's test client: the handler's signals must not close the test's connection.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        stack = Stack()
        yield KeptPagesApplication(stack), stack
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def _page(wrapped: tuple[KeptPagesApplication, Stack]) -> str:
    programme = Programme.objects.filter(in_knowledge=True).order_by("slug").first()
    assert programme is not None
    return f"/programmes/{programme.slug}/"


def _cookie(headers: list[tuple[str, str]]) -> str:
    (value,) = [value for name, value in headers if name == "Set-Cookie"]
    return value


def _normalised(answer: Answer) -> tuple[str, list[tuple[str, str]], bytes]:
    """The answer without what differs per request: the request id, the token and cookie
    value, the cookie's expiry (a second later, at most)."""
    status, headers, body = answer
    kept = []
    for name, value in headers:
        if name == "X-Request-ID":
            value = "id"
        if name == "Set-Cookie":
            value = re.sub(r"csrftoken=\w+; expires=[^;]+;", "csrftoken=…; expires=…;", value)
        kept.append((name, value))
    return status, kept, TOKEN.sub(b"", body)


def test_a_learned_page_is_answered_as_the_stack_answers_it(
    wrapped: tuple[KeptPagesApplication, Stack],
) -> None:
    application, stack = wrapped
    path = _page(wrapped)
    _get(application, path)  # rendered and kept by the stack
    early = _get(application, path)  # answered by PublicPageMiddleware, learned here
    assert stack.calls == 2
    assert len(application.outer) == 1
    answer = _get(application, path)
    assert stack.calls == 2  # the stack was not reached
    assert _normalised(answer) == _normalised(early)
    assert [name for name, _ in answer[1]] == [name for name, _ in early[1]]
    headers = dict(answer[1])
    assert int(headers["Content-Length"]) == len(answer[2])
    assert re.fullmatch(r"[0-9a-f]{32}", headers["X-Request-ID"])
    assert headers["X-Request-ID"] != dict(early[1])["X-Request-ID"]
    secret = re.search(r"csrftoken=(\w+);", _cookie(answer[1]))
    token = TOKEN.search(answer[2])
    assert secret is not None
    assert token is not None
    assert _unmask_cipher_token(token.group(1).decode()) == secret.group(1)
    sane = _get(application, path, HTTP_X_REQUEST_ID="proxy-id-1")
    assert dict(sane[1])["X-Request-ID"] == "proxy-id-1"
    # Another page, once kept with its headers by the stack, is answered here at once.
    other = Programme.objects.filter(in_knowledge=True).order_by("-slug").first()
    assert other is not None
    _get(application, f"/programmes/{other.slug}/")  # rendered by the stack and kept
    calls = stack.calls
    learned_elsewhere = _get(application, f"/programmes/{other.slug}/")
    assert stack.calls == calls
    assert learned_elsewhere[0] == "200 OK"
    assert other.slug.encode() in learned_elsewhere[2]


def test_a_known_visitor_keeps_their_secret(wrapped: tuple[KeptPagesApplication, Stack]) -> None:
    application, _stack = wrapped
    path = _page(wrapped)
    for _ in range(2):
        _get(application, path)
    first = _get(application, path)
    secret = re.search(r"csrftoken=(\w+);", _cookie(first[1]))
    assert secret is not None
    again = _get(application, path, HTTP_COOKIE=f"csrftoken={secret.group(1)}")
    assert f"csrftoken={secret.group(1)};" in _cookie(again[1])
    token = TOKEN.search(again[2])
    assert token is not None
    assert _unmask_cipher_token(token.group(1).decode()) == secret.group(1)


def test_an_edit_a_304_and_a_session_go_through_the_stack(
    wrapped: tuple[KeptPagesApplication, Stack],
) -> None:
    application, stack = wrapped
    path = _page(wrapped)
    for _ in range(2):
        _get(application, path)
    etag = dict(_get(application, path)[1])["ETag"]
    calls = stack.calls
    unchanged = _get(application, path, HTTP_IF_NONE_MATCH=etag)
    assert unchanged[0].startswith("304")
    assert stack.calls == calls + 1
    _get(application, path, HTTP_COOKIE="sessionid=abc")
    assert stack.calls == calls + 2
    programme = Programme.objects.get(slug=path.split("/")[2])
    programme.names = {**programme.names, "nl": "Synthetische nieuwe naam"}
    programme.save()
    edited = _get(application, path)
    assert stack.calls == calls + 3
    assert "Synthetische nieuwe naam" in edited[2].decode()
