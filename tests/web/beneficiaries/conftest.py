"""Fixtures for unique beneficiaries: three organisations with programmes, synthetic
encodings (`core.linkage.synthetic`, SYNTHETIC DATA ONLY) and logged-in clients."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from tests.support.accounts import logged_in
from tests.support.beneficiaries import constructed_run, programmes, shared  # noqa: F401 (fixtures)
from tests.support.outcomes import outcome_run  # noqa: F401 (fixture)
from tests.support.tasks import run_worker, stored_tasks  # noqa: F401 (fixtures)

from passerelle.web.apps.accounts.models import PlatformRole


@pytest.fixture
def clients(make_user: Callable[..., User], organisations: Any) -> dict[str, Client]:
    return {
        "analyst": logged_in(make_user("analyst", platform_role=PlatformRole.ANALYST)),
        "coordinator": logged_in(make_user("coord-a", "coordinator", "a")),
        "org_admin": logged_in(make_user("admin-b", "org_admin", "b")),
        "caseworker": logged_in(make_user("case-a", "caseworker", "a")),
    }


@pytest.fixture(autouse=True)
def _english(in_english: None) -> None:
    """These tests read the pages' English words."""
