"""Bad input never gives a 500 (issue 15, item 7): over-large bodies, JSON nested too deep,
page numbers out of range and junk in the login's `next`. Each case failed on the code
before the fix (400 HTML page, RecursionError, DataError "bigint out of range",
NoReverseMatch)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.test import Client
from tests.support.accounts import PASSWORD

from passerelle.core.validation import MAX_JSON_DEPTH

pytestmark = pytest.mark.django_db

ALL_SCOPES = (
    "persons:read",
    "persons:write",
    "referrals:read",
    "referrals:write",
    "matching:read",
    "matching:write",
    "encodings:write",
    "beneficiaries:read",
)

JSON_ENDPOINTS = [
    "/api/options",
    "/api/v1/persons",
    "/api/v1/referrals",
    "/api/v1/matching/mentors",
    "/api/v1/matching/rounds",
    "/api/v1/beneficiaries/encodings",
]


def _client() -> Client:
    # A 500 is an answer to check, not an exception to re-raise.
    return Client(raise_request_exception=False, HTTP_ACCEPT_LANGUAGE="en")


def _auth(token_for: Callable[..., str]) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token_for('a', ALL_SCOPES)}"}


def _problem(response: Any) -> dict[str, Any]:
    """The one problem of an API error answer, in the API's shape."""
    assert response["Content-Type"].startswith("application/json"), response.content[:200]
    detail = response.json()["detail"]
    assert isinstance(detail, list), detail
    assert len(detail) == 1, detail
    return dict(detail[0])


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


# --- Over-large bodies ---------------------------------------------------------------------------


@pytest.mark.parametrize("path", JSON_ENDPOINTS)
def test_an_over_large_json_body_is_413_in_the_api_shape(
    path: str, token_for: Callable[..., str]
) -> None:
    body = json.dumps({"profile": {"municipality": "x" * settings.DATA_UPLOAD_MAX_MEMORY_SIZE}})
    response = _client().post(path, body, content_type="application/json", **_auth(token_for))
    assert response.status_code == 413
    problem = _problem(response)
    assert problem["loc"] == ["body"]
    assert problem["type"] == "too_large"
    assert problem["msg"] == "body: the request is larger than the 2.5\xa0MB this server accepts"


def test_an_over_large_put_is_413_too(token_for: Callable[..., str]) -> None:
    body = json.dumps({"notes": "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)})
    response = _client().put(
        "/api/v1/persons/00000000-0000-0000-0000-000000000000",
        body,
        content_type="application/json",
        **_auth(token_for),
    )
    assert response.status_code == 413
    assert _problem(response)["loc"] == ["body"]


def test_an_over_large_form_is_a_413_page(db: None) -> None:
    response = _client().post(
        "/staff/login/",
        "username=" + "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1),
        content_type="application/x-www-form-urlencoded",
        HTTP_ACCEPT_LANGUAGE="fr",
    )
    assert response.status_code == 413
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert "La requête a été refusée" in html
    assert "la requête dépasse les 2,5\xa0Mio que ce serveur accepte" in html


def test_an_over_large_multipart_field_is_a_413_page(db: None) -> None:
    """Multipart bodies pass the Content-Length check (their files do not count); Django finds
    the field too large while the view reads it, and its 400 handler makes that a 413."""
    big = "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
    response = _client().post("/staff/login/", {"username": big, "password": "p"})
    assert response.status_code == 413
    assert response["Content-Type"].startswith("text/html")


def test_a_body_under_the_limit_is_read(token_for: Callable[..., str]) -> None:
    response = _client().post(
        "/api/options",
        json.dumps({"profile": {"legal_status": "refugee"}, "on": "2024-01-01"}),
        content_type="application/json",
    )
    assert response.status_code == 200


# --- JSON nested too deep ------------------------------------------------------------------------


@pytest.mark.parametrize("path", JSON_ENDPOINTS)
@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH + 1, 100_000])
def test_json_nested_too_deep_is_422(path: str, depth: int, token_for: Callable[..., str]) -> None:
    response = _client().post(
        path, _nested(depth), content_type="application/json", **_auth(token_for)
    )
    assert response.status_code == 422
    problem = _problem(response)
    assert problem == {
        "loc": ["body"],
        "msg": f"body: nested deeper than {MAX_JSON_DEPTH} levels of arrays and objects",
        "type": "json_too_deep",
    }


def test_json_nested_within_the_bound_reaches_the_endpoint(token_for: Callable[..., str]) -> None:
    """Nesting up to the bound is the endpoint's to judge (a profile field naming what is
    wrong); brackets inside strings do not count."""
    profile = {"languages": json.loads(_nested(MAX_JSON_DEPTH - 2)), "municipality": "[" * 500}
    response = _client().post(
        "/api/options", json.dumps({"profile": profile}), content_type="application/json"
    )
    assert response.status_code == 422
    locations = [item["loc"] for item in response.json()["detail"]]
    assert ["body", "profile", "languages"] in locations


def test_the_matching_api_bounds_depth_when_it_parses(token_for: Callable[..., str]) -> None:
    """The bound holds in the endpoint's own parser too (a JSON body sent as text/plain is
    not checked before the view)."""
    response = _client().post(
        "/api/v1/matching/mentors",
        _nested(100_000),
        content_type="text/plain",
        **_auth(token_for),
    )
    assert response.status_code == 400
    assert _problem(response)["msg"].startswith("body: nested deeper than")


# --- HSDS pages ----------------------------------------------------------------------------------

HSDS_COLLECTIONS = [
    "/api/hsds/services",
    "/api/hsds/organizations",
    "/api/hsds/taxonomies",
    "/api/hsds/taxonomy_terms",
]


@pytest.mark.parametrize("collection", HSDS_COLLECTIONS)
@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("page=99999999999999999999999999", "page"),
        ("page=9223372036854775807", "page"),
        ("page=1000001", "page"),
        ("page=-1", "page"),
        ("page=0", "page"),
        ("page=abc", "page"),
        ("page=1.5", "page"),
        ("per_page=99999999999999999999", "per_page"),
        ("per_page=0", "per_page"),
        ("per_page=-3", "per_page"),
    ],
)
def test_hsds_page_numbers_out_of_range_are_4xx(
    collection: str, query: str, field: str, loaded_directory: Any
) -> None:
    response = _client().get(f"{collection}?{query}")
    assert response.status_code == 422, response.content[:300]
    problem = _problem(response)
    assert problem["loc"] == ["query", field]
    assert problem["msg"].startswith(f"{field}: ")


def test_the_last_allowed_hsds_page_is_an_empty_page(loaded_directory: Any) -> None:
    response = _client().get("/api/hsds/services?page=1000000&per_page=500")
    assert response.status_code == 200
    assert response.json()["empty"] is True


@pytest.mark.parametrize("page", ["99999999999999999999999999", "-4", "abc", "1e9"])
def test_the_directory_page_takes_any_page_number(page: str, loaded_directory: Any) -> None:
    response = _client().get(f"/directory/?page={page}")
    assert response.status_code == 200


# --- The login's `next` ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "next_url",
    [
        "foo",
        "people:list",
        "accounts:logout",
        "//evil.example/",
        "https://evil.example/",
        "javascript:alert(1)",
        "/no/such/page/",
        "\\\\evil.example",
        "/staff/%0A",
        "/staff/persons/\x00",
        "/staff/%00",
        " ",
    ],
)
def test_junk_in_next_is_ignored_and_the_login_holds(
    next_url: str, make_user: Callable[..., User]
) -> None:
    make_user("cw", "caseworker")
    client = _client()
    response = client.post(
        f"/staff/login/?next={next_url}",
        {"username": "cw", "password": PASSWORD, "next": next_url},
    )
    assert response.status_code == 302
    assert response["Location"] == "/staff/persons/"
    assert client.session.get("_auth_user_id")


def test_a_path_of_the_site_in_next_is_followed(make_user: Callable[..., User]) -> None:
    make_user("cw", "caseworker")
    client = _client()
    response = client.post(
        "/staff/login/", {"username": "cw", "password": PASSWORD, "next": "/staff/referrals/inbox/"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/staff/referrals/inbox/"


@pytest.mark.parametrize("path", [path for path in JSON_ENDPOINTS if "encodings" not in path])
def test_a_body_that_is_not_utf8_is_a_4xx(path: str, token_for: Callable[..., str]) -> None:
    """Found by Schemathesis: the matching API's own parser let UnicodeDecodeError out (a
    500), and `POST /api/options` answered in a shape its schema did not document."""
    response = _client().post(
        path, b"\xfb\x17j\x0f1", content_type="application/json", **_auth(token_for)
    )
    assert 400 <= response.status_code < 500
    assert _problem(response)["loc"] == ["body"]


# --- NUL in a page's parameters ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "data", "field"),
    [
        ("/staff/persons/?q=Ahmad%00", None, "q"),
        ("/staff/referrals/inbox/?programme=%00", None, "programme"),
        ("/staff/matching/rounds/start/", {"programme": "duo\x00"}, "programme"),
        ("/directory/?q=%00", None, "q"),
    ],
)
def test_a_nul_in_a_page_parameter_is_a_400_naming_it(
    path: str, data: dict[str, str] | None, field: str, make_user: Callable[..., User]
) -> None:
    """Found by the staff forms' fuzz test: views that pass a parameter to a query made
    PostgreSQL refuse the NUL, a 500."""
    from tests.support.accounts import logged_in

    client = logged_in(make_user("co", "coordinator", "a"))
    client.raise_request_exception = False
    response = (
        client.get(path, HTTP_ACCEPT_LANGUAGE="en")
        if data is None
        else client.post(path, data, HTTP_ACCEPT_LANGUAGE="en")
    )
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    assert f"{field}: contains a NUL character, which cannot be stored" in response.content.decode()
