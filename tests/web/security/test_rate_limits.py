"""Rate limits (issue 15, item 8): logins and the public `POST /api/options` per address,
the token APIs per token; over the limit, 429 with Retry-After, in the API's JSON error
shape on the API and a page in the site's layout elsewhere. Counted by django-ratelimit in
a real cache (locmem in the tests)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import caches
from django.test import Client

from passerelle.web.apps.accounts.models import LoginThrottle

PROFILE = json.loads(
    (Path(__file__).resolve().parents[3] / "examples" / "profile-refugee.json").read_text()
)


@pytest.fixture(autouse=True)
def limits(settings: Any) -> Iterator[None]:
    settings.RATELIMIT_ENABLE = True
    settings.RATE_LIMITS = {"login": "3/m", "options": "4/m", "token_api": "5/m"}
    caches["ratelimit"].clear()
    yield
    caches["ratelimit"].clear()


def test_logins_are_limited_per_address_with_a_page(db: None) -> None:
    client = Client(REMOTE_ADDR="203.0.113.7")
    for attempt in range(3):
        response = client.post("/staff/login/", {"username": f"u{attempt}", "password": "x"})
        assert response.status_code == 200  # the form again, with its error
    refused = client.post(
        "/staff/login/", {"username": "u9", "password": "x"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert refused.status_code == 429
    retry_after = int(refused["Retry-After"])
    assert 1 <= retry_after <= 60
    page = refused.content.decode()
    assert "Too many requests" in page
    assert 'href="/static/passerelle/site.css"' in page  # the site's layout
    assert "Content-Security-Policy" in refused
    # The refused attempt never reached the login: no throttle row for its user name.
    assert LoginThrottle.objects.filter(username="u1").exists()
    assert not LoginThrottle.objects.filter(username="u9").exists()
    # Another address is counted apart; reading the page is not limited.
    assert (
        Client(REMOTE_ADDR="203.0.113.8")
        .post("/staff/login/", {"username": "u1", "password": "x"})
        .status_code
        == 200
    )
    assert client.get("/staff/login/").status_code == 200


def test_the_admin_login_shares_the_login_limit(db: None) -> None:
    client = Client(REMOTE_ADDR="203.0.113.9")
    for _attempt in range(3):
        client.post("/staff/login/", {"username": "a", "password": "x"})
    assert client.post("/admin/login/", {"username": "a", "password": "x"}).status_code == 429


def test_public_options_are_limited_per_address_in_the_api_shape(db: None) -> None:
    client = Client(REMOTE_ADDR="198.51.100.20")
    body = {"profile": PROFILE, "on": "2026-01-15"}
    for _attempt in range(4):
        response = client.post("/api/options", body, content_type="application/json")
        assert response.status_code == 200, response.content[:300]
    refused = client.post("/api/options", body, content_type="application/json")
    assert refused.status_code == 429
    assert refused["Content-Type"] == "application/json"
    assert int(refused["Retry-After"]) >= 1
    assert refused.json()["detail"].startswith("too many requests")
    other = Client(REMOTE_ADDR="198.51.100.21")
    assert other.post("/api/options", body, content_type="application/json").status_code == 200


def test_token_apis_are_limited_per_token(token_for: Callable[..., str]) -> None:
    first, second = token_for("a"), token_for("b")
    client = Client(REMOTE_ADDR="192.0.2.50")
    for _attempt in range(5):
        assert (
            client.get("/api/v1/persons", HTTP_AUTHORIZATION=f"Bearer {first}").status_code == 200
        )
    refused = client.get("/api/v1/persons", HTTP_AUTHORIZATION=f"Bearer {first}")
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) >= 1
    (problem,) = refused.json()["detail"]
    assert problem["loc"] == ["request"]
    assert problem["type"] == "rate_limited"
    assert problem["msg"].startswith("request: too many requests")
    # The same address with another organisation's token is counted apart.
    assert client.get("/api/v1/persons", HTTP_AUTHORIZATION=f"Bearer {second}").status_code == 200


def test_without_a_token_the_api_counts_per_address(db: None) -> None:
    client = Client(REMOTE_ADDR="192.0.2.60")
    statuses = [client.get("/api/v1/persons").status_code for _attempt in range(6)]
    assert statuses == [401] * 5 + [429]


def test_the_limits_are_settings(settings: Any, db: None) -> None:
    settings.RATE_LIMITS = {"login": "1/m", "options": "4/m", "token_api": "5/m"}
    client = Client(REMOTE_ADDR="203.0.113.77")
    assert client.post("/staff/login/", {"username": "z", "password": "x"}).status_code == 200
    assert client.post("/staff/login/", {"username": "z", "password": "x"}).status_code == 429
