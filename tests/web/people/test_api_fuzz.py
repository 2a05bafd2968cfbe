"""Schemathesis against the organisations' person API: for any input it generates from the
OpenAPI schema, no 5xx, responses that match the schema, and every 4xx naming the field at
fault. Runs with a token that has every scope, on a database holding synthetic files."""

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
)
from tests.support.people import synthetic_file

from passerelle.web.apps.people.services import person_create

# pytest-django has set Django up before test modules are imported; the schema view reads
# no database.
schema = schemathesis.openapi.from_wsgi("/api/openapi.json", get_wsgi_application()).include(
    path_regex="^/api/v1/"
)


@schema.parametrize()
@settings(
    max_examples=int(os.environ.get("PASSERELLE_FUZZ_EXAMPLES", "30")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@pytest.mark.django_db
def test_the_person_api_never_fails_and_names_fields(
    case: Any, make_user: Callable[..., Any], token_for: Callable[..., str]
) -> None:
    user = make_user_once(make_user)
    person_create(actor=actor_of(user), data=synthetic_file())
    key = token_for("a", ("persons:read", "persons:write", "persons:export"))
    # Left out: requests the schema does not describe (an unknown query parameter, say) may
    # be answered 2xx, as most web APIs do; and schema-valid bodies may still be refused with
    # a 422 naming the field, for rules a schema cannot say (a birth date in the future, a
    # profile's own fields).
    case.call_and_validate(
        headers={"Authorization": f"Bearer {key}"},
        excluded_checks=[
            schemathesis.checks.negative_data_rejection,
            schemathesis.checks.positive_data_acceptance,
        ],
    )


def make_user_once(make_user: Callable[..., Any]) -> Any:
    from django.contrib.auth.models import User

    return User.objects.filter(username="fuzz").first() or make_user("fuzz", "caseworker", "a")
