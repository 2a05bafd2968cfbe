"""Fixtures for the analysts' pages: users in every relevant role, logged in through the
real login page and second factor; a small synthetic cohort (synthetic data only)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from django.contrib.auth.models import User
from django.test import Client, override_settings
from tests.support.monitoring import SMALL, logged_in

from passerelle.web.apps.accounts.models import PlatformRole


@pytest.fixture(autouse=True)
def small_cohort() -> Iterator[None]:
    with override_settings(**SMALL):
        yield


@pytest.fixture
def login() -> Callable[[User], Client]:
    return logged_in


@pytest.fixture
def analyst(make_user: Callable[..., User]) -> Client:
    return logged_in(make_user("analyst", platform_role=PlatformRole.ANALYST))
