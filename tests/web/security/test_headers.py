"""Every page sends a Content-Security-Policy without 'unsafe-inline' and carries no inline
script, style or event handler that the policy would block (issue 15, item 8)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from tests.support.accounts import logged_in

from passerelle.web.apps.accounts.models import PlatformRole

INLINE = {
    "inline script": re.compile(
        r"<script\b(?![^>]*\b(?:src|nonce)=)(?![^>]*type=\"application/(?:ld\+)?json\")[^>]*>"
    ),
    "inline style element": re.compile(r"<style\b(?![^>]*\bnonce=)[^>]*>"),
    "style attribute": re.compile(r"<[^>]+\sstyle=[\"']"),
    "event handler attribute": re.compile(r"<[^>]+\son[a-z]+=[\"']"),
    "javascript: address": re.compile(r"(?:href|src|action)=[\"']\s*javascript:", re.I),
}


def parameterless_paths(
    patterns: list[URLPattern | URLResolver] | None = None, prefix: str = ""
) -> Iterator[str]:
    """Every URL of the site that needs no parameter, found from the URL configuration (a
    new page is covered without editing this test)."""
    for pattern in patterns if patterns is not None else get_resolver().url_patterns:
        route = str(pattern.pattern)
        if "<" in route or "(?P" in route or "\\" in route:
            continue
        route = route.lstrip("^").rstrip("$")
        if isinstance(pattern, URLResolver):
            yield from parameterless_paths(pattern.url_patterns, prefix + route)
        else:
            yield "/" + prefix + route


def policy_of(response: object) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]  # type: ignore[index]
    directives = [part.strip().split() for part in header.split(";") if part.strip()]
    return {name: values for name, *values in directives}


def assert_strict(path: str, response: object) -> None:
    policy = policy_of(response)
    for directive in ("script-src", "style-src", "default-src"):
        values = policy.get(directive, policy.get("default-src", []))
        assert "'self'" in values, (path, directive)
        assert "'unsafe-inline'" not in values, (path, directive)
        assert "'unsafe-eval'" not in values, (path, directive)
    assert policy["object-src"] == ["'none'"], path
    assert policy["frame-ancestors"] == ["'none'"], path
    content_type = response["Content-Type"]  # type: ignore[index]
    if content_type.startswith("text/html"):
        html = response.content.decode()  # type: ignore[attr-defined]
        for what, pattern in INLINE.items():
            found = pattern.search(html)
            assert found is None, f"{path}: {what}: {found.group(0)[:120] if found else ''}"


@pytest.fixture
def visitors(make_user: Callable[..., User], organisations: object) -> dict[str, Client]:
    return {
        "anonymous": Client(raise_request_exception=False),
        "coordinator": logged_in(make_user("coord-a", "coordinator", "a")),
        "org_admin": logged_in(make_user("admin-b", "org_admin", "b")),
        "analyst": logged_in(make_user("analyst", platform_role=PlatformRole.ANALYST)),
    }


def test_the_url_walk_finds_the_pages(db: None) -> None:
    paths = set(parameterless_paths())
    for expected in ("/", "/directory/", "/staff/login/", "/staff/persons/", "/api/docs"):
        assert expected in paths, sorted(paths)


def test_every_page_sends_a_strict_policy_for_every_visitor(
    visitors: dict[str, Client],
) -> None:
    paths = [*sorted(set(parameterless_paths())), "/organisations/cpas-anderlecht/", "/404/"]
    seen = 0
    for name, client in visitors.items():
        client.raise_request_exception = False
        for path in paths:
            response = client.get(path)
            assert "Content-Security-Policy" in response, (name, path, response.status_code)
            assert_strict(f"{name} {path}", response)
            seen += 1
    assert seen == len(visitors) * len(paths)


def test_a_page_that_uses_the_nonce_puts_it_in_the_header(
    make_user: Callable[..., User], organisations: object
) -> None:
    from tests.support.accounts import actor_of
    from tests.support.people import synthetic_file

    from passerelle.web.apps.people.services import person_create

    user = make_user("case-n", "caseworker", "a")
    person = person_create(actor=actor_of(user), data=synthetic_file())
    response = logged_in(user).get(f"/staff/persons/{person.pk}/export/")
    assert response.status_code == 200
    nonce = re.search(r'<style nonce="([^"]+)">', response.content.decode())
    assert nonce is not None
    assert f"'nonce-{nonce.group(1)}'" in policy_of(response)["style-src"]
    assert_strict("export", response)
    again = logged_in(user).get(f"/staff/persons/{person.pk}/export/")
    assert nonce.group(1) not in again.content.decode()  # a new nonce per response
