"""What the schemathesis tests share: the check that every 4xx names its field, and the
fixture that keeps the test's database connection open while schemathesis calls the WSGI
application. A module of its own, imported once, since schemathesis registers a check by
name and refuses a second registration."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections


@schemathesis.check
def four_hundreds_name_the_field(ctx: Any, response: Any, case: Any) -> None:
    if not 400 <= response.status_code < 500 or response.status_code in (405,):
        return None
    body = response.json()
    detail = body.get("detail")
    assert isinstance(detail, list), f"4xx without a list of problems: {body}"
    assert detail, f"4xx without a problem: {body}"
    for item in detail:
        field, _, message = str(item.get("msg", "")).partition(": ")
        assert field, f"4xx problem without its field: {item}"
        assert message, f"4xx problem without a message: {item}"
        assert item.get("loc"), f"4xx problem without loc: {item}"
    return None


@pytest.fixture(autouse=True)
def _keep_the_test_connection() -> Iterator[None]:
    """Schemathesis calls the WSGI application directly, whose request signals would close
    the database connection holding the test's transaction; Django's test client unhooks
    them the same way."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)
