"""The authorization matrix: every role × every operation on a person file × the file's
relation to the actor's organisation (held, disclosed to it, neither), through the pages and
through the API. The expected table is written out here, independently of common.actors.POLICY,
so that a change of the policy shows up as a failing cell.

"ok" means allowed and done; "absent" means the list answers but without the file; 403
means the actor sees the file but may not; 404 means the file does not exist for the actor.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from tests.support.accounts import logged_in

from passerelle.web.apps.people.access import ALL_FIELDS, visible_data
from passerelle.web.apps.people.forms import PersonForm

OPERATIONS = ("list", "view", "edit", "export", "erase", "consent")
RELATIONS = ("own", "disclosed", "other")

# role: {relation: (list, view, edit, export, erase, consent)}
PAGES: dict[str, dict[str, tuple[Any, ...]]] = {
    "caseworker": {
        "own": ("ok", "ok", "ok", "ok", 403, "ok"),
        "disclosed": ("ok", "ok", 403, 403, 403, 403),
        "other": ("absent", 404, 404, 404, 404, 404),
    },
    "coordinator": {
        "own": ("ok", "ok", "ok", "ok", "ok", "ok"),
        "disclosed": ("ok", "ok", 403, 403, 403, 403),
        "other": ("absent", 404, 404, 404, 404, 404),
    },
    "org_admin": {
        "own": ("ok", "ok", "ok", "ok", "ok", "ok"),
        "disclosed": ("ok", "ok", 403, 403, 403, 403),
        "other": ("absent", 404, 404, 404, 404, 404),
    },
    # Employers and hosts keep offers and vacancies: no person file, even their
    # organisation's own (issue 15); a file elsewhere still does not exist for them.
    "employer": {
        "own": (403,) * 6,
        "disclosed": (403,) * 6,
        "other": (403, 404, 404, 404, 404, 404),
    },
    # Platform roles belong to no organisation: no person file, whatever the id.
    "admin": dict.fromkeys(RELATIONS, (403,) * 6),
    "analyst": dict.fromkeys(RELATIONS, (403,) * 6),
}

# token scopes: {relation: (list, view, edit, export)}; erasure is not offered by the API.
API: dict[str, dict[str, tuple[Any, ...]]] = {
    "persons:read": {
        "own": ("ok", "ok", 403, 403),
        "disclosed": ("ok", "ok", 403, 403),
        "other": ("absent", 404, 404, 404),
    },
    "persons:write": {
        "own": (403, 403, "ok", 403),
        "disclosed": (403, 403, 403, 403),
        "other": (403, 404, 404, 404),
    },
    "persons:export": {
        "own": (403, 403, 403, "ok"),
        "disclosed": (403, 403, 403, 403),
        "other": (403, 404, 404, 404),
    },
    "persons:read persons:write persons:export": {
        "own": ("ok", "ok", "ok", "ok"),
        "disclosed": ("ok", "ok", 403, 403),
        "other": ("absent", 404, 404, 404),
    },
}


def _page_user(make_user: Callable[..., User], role: str) -> User:
    if role in ("admin", "analyst"):
        return make_user(f"platform-{role}", platform_role=role)
    return make_user(f"user-{role}", role, "a")


def _form_post(person: Any) -> dict[str, Any]:
    initial = PersonForm.initial_from(visible_data(person, ALL_FIELDS), person.version)
    initial["given_names"] = "Changed"
    return {
        name: value if isinstance(value, list) else ("" if value is None else str(value))
        for name, value in initial.items()
    }


def _page_outcome(client: Client, operation: str, person: Any) -> Any:
    base = f"/staff/persons/{person.pk}/"
    if operation == "list":
        response = client.get("/staff/persons/")
        if response.status_code != 200:
            return response.status_code
        return "ok" if str(person.pk) in response.content.decode() else "absent"
    if operation == "view":
        response = client.get(base)
    elif operation == "edit":
        response = client.post(base + "edit/", _form_post(person))
    elif operation == "export":
        response = client.get(base + "export.json")
    elif operation == "erase":
        response = client.post(base + "erase/", {"confirm": "erase"})
    else:
        response = client.post(
            base + "consents/",
            {"purpose": "research", "shared_fields": ["profile"], "given_on": "2026-02-01"},
        )
    if response.status_code in (200, 302):
        return "ok"
    return response.status_code


CASES = [
    (role, relation, operation, expected)
    for role, table in PAGES.items()
    for relation, row in table.items()
    for operation, expected in zip(OPERATIONS, row, strict=True)
]


@pytest.mark.parametrize(("role", "relation", "operation", "expected"), CASES)
def test_pages(
    make_user: Callable[..., User],
    files: dict[str, Any],
    role: str,
    relation: str,
    operation: str,
    expected: Any,
) -> None:
    client = logged_in(_page_user(make_user, role))
    person = files[relation]
    assert _page_outcome(client, operation, person) == expected
    person.refresh_from_db()
    if operation == "edit":
        assert (person.given_names == "Changed") == (expected == "ok")
    if operation == "erase":
        assert (person.status == "anonymised") == (expected == "ok")
    if operation == "consent":
        assert person.consents.filter(purpose="research").exists() == (expected == "ok")


def _api_outcome(client: Client, key: str, operation: str, person: Any) -> Any:
    headers = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    url = f"/api/v1/persons/{person.pk}"
    if operation == "list":
        response = client.get("/api/v1/persons", **headers)
        if response.status_code != 200:
            return response.status_code
        ids = {item["id"] for item in response.json()["items"]}
        return "ok" if str(person.pk) in ids else "absent"
    if operation == "view":
        response = client.get(url, **headers)
    elif operation == "edit":
        body = {
            "version": person.version,
            "given_names": "Changed",
            "given_names_latin": "Changed",
            "birth_date": "2001-03-14",
            "profile": person.profile,
            "assessment": person.assessment,
        }
        response = client.put(url, body, content_type="application/json", **headers)
    else:
        response = client.get(url + "/export", **headers)
    if response.status_code == 200:
        return "ok"
    detail = response.json()["detail"]
    assert detail, response.content
    assert all(item["msg"].split(":")[0] for item in detail), detail
    return response.status_code


API_CASES = [
    (scopes, relation, operation, expected)
    for scopes, table in API.items()
    for relation, row in table.items()
    for operation, expected in zip(OPERATIONS[:4], row, strict=True)
]


@pytest.mark.parametrize(("scopes", "relation", "operation", "expected"), API_CASES)
def test_api(
    token_for: Callable[..., str],
    files: dict[str, Any],
    scopes: str,
    relation: str,
    operation: str,
    expected: Any,
) -> None:
    key = token_for("a", tuple(scopes.split()))
    person = files[relation]
    assert _api_outcome(Client(), key, operation, person) == expected
    person.refresh_from_db()
    if operation == "edit":
        assert (person.given_names == "Changed") == (expected == "ok")


def test_the_api_offers_no_erasure(token_for: Callable[..., str], files: dict[str, Any]) -> None:
    key = token_for("a", ("persons:read", "persons:write", "persons:export"))
    response = Client().delete(
        f"/api/v1/persons/{files['own'].pk}", HTTP_AUTHORIZATION=f"Bearer {key}"
    )
    assert response.status_code == 405
    files["own"].refresh_from_db()
    assert files["own"].status == "open"


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("caseworker", 403),
        ("coordinator", 403),
        ("org_admin", 200),
        ("employer", 403),
        ("admin", 403),
        ("analyst", 403),
    ],
)
def test_audit_log_page(
    make_user: Callable[..., User], files: dict[str, Any], role: str, expected: int
) -> None:
    client = logged_in(_page_user(make_user, role))
    assert client.get("/staff/audit/").status_code == expected
    assert client.get("/staff/audit/audit.csv").status_code == expected
