"""Helpers and fixtures for person files (the organisations, accounts and tokens are in
tests/web/conftest.py), with synthetic person files only (no real personal data)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from tests.support.accounts import actor_of
from tests.support.people import synthetic_file

from passerelle.web.apps.directory.models import Organisation
from passerelle.web.apps.people.services import consent_record, person_create, person_disclose


@pytest.fixture
def files(organisations: dict[str, Organisation], make_user: Callable[..., User]) -> dict[str, Any]:
    """A file held by A, one held by B and disclosed to A (profile only, under consent), one
    held by C and not shared."""
    writers = {key: make_user(f"writer-{key}", "coordinator", key) for key in "abc"}
    held = {
        key: person_create(actor=actor_of(writers[key]), data=synthetic_file(given=f"Person{key}"))
        for key in "abc"
    }
    consent_record(
        actor=actor_of(writers["b"]),
        person_id=held["b"].pk,
        purpose="referral",
        recipient=organisations["a"],
        fields=["identity", "profile"],
        given_on=dt.date(2026, 1, 5),
    )
    person_disclose(
        actor=actor_of(writers["b"]),
        person_id=held["b"].pk,
        recipient=organisations["a"],
        fields=["identity", "profile"],
    )
    return {"own": held["a"], "disclosed": held["b"], "other": held["c"], "writers": writers}
