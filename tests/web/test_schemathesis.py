"""Schemathesis over every operation of the API's OpenAPI document (/api/openapi.json):
HSDS, `POST /api/options`, and the organisations' persons, referrals, matching and
beneficiaries APIs, with a token that has every scope, on a database holding the directory
and a synthetic person file. Whatever it generates from the schema: no 5xx, and answers that
match the schema (documented status codes, content types and bodies).

PASSERELLE_FUZZ_EXAMPLES sets the examples per operation (default 10: about a minute and a
half on two cores; CI may raise it)."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, settings
from tests.support.accounts import actor_of
from tests.support.fuzz import (
    _keep_the_test_connection,  # noqa: F401 (an autouse fixture, used by being here)
    four_hundreds_name_the_field,
)
from tests.support.people import synthetic_file

from passerelle.web.apps.accounts.models import ApiScope
from passerelle.web.apps.people.services import person_create

CHECKS = (
    schemathesis.checks.not_a_server_error,
    schemathesis.checks.status_code_conformance,
    schemathesis.checks.content_type_conformance,
    schemathesis.checks.response_headers_conformance,
    schemathesis.checks.response_schema_conformance,
)

schema = schemathesis.openapi.from_wsgi("/api/openapi.json", get_wsgi_application())

PATHS = {operation.ok().path for operation in schema.get_all_operations()}


def test_the_schema_covers_every_api() -> None:
    """The parametrised test below reaches every API, not only the ones first written."""
    assert {"/api/hsds/services", "/api/options"} <= PATHS
    paths = PATHS
    for prefix in (
        "persons",
        "referrals",
        "matching",
        "beneficiaries",
        "follow-ups",
        "participations",
    ):
        assert any(path.startswith(f"/api/v1/{prefix}") for path in paths), prefix


@pytest.fixture
def api_world(
    request: pytest.FixtureRequest, make_user: Callable[..., Any], token_for: Callable[..., str]
) -> str:
    """The directory (for HSDS and the organisations' programmes) and a person file; the
    token of their organisation, with every scope."""
    request.getfixturevalue("loaded_directory")
    user = make_user("fuzz", "coordinator", "a")
    person_create(actor=actor_of(user), data=synthetic_file())
    return token_for("a", tuple(ApiScope.values))


@schema.parametrize()
@settings(
    max_examples=int(os.environ.get("PASSERELLE_FUZZ_EXAMPLES", "10")),
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
)
@pytest.mark.django_db
def test_no_api_operation_fails_on_any_input(case: Any, api_world: str) -> None:
    # Left out, as in tests/web/people/test_api_fuzz.py: schema-valid bodies may be refused
    # with a 422 naming the field, for rules a schema cannot say (a birth date before 1900, a
    # profile's own fields), and requests the schema does not describe may be answered 2xx.
    # The organisations' APIs (/api/v1) also name the field of every 4xx; HSDS answers an
    # unknown id with its own one-message shape (docs/hsds.md).
    checks = list(CHECKS)
    if case.operation.path.startswith("/api/v1/"):
        checks.append(four_hundreds_name_the_field)
    case.call_and_validate(
        headers={"Authorization": f"Bearer {api_world}", "Accept-Language": "en"},
        checks=checks,
    )
