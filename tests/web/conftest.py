"""Fixtures for the web layer: the directory loaded from the knowledge base."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.contrib.auth.models import User
from tests.support.accounts import PASSWORD
from tests.support.directory import three_organisations

from passerelle.knowledge.loader import load_knowledge
from passerelle.web.apps.accounts.models import ApiToken, Membership, PlatformRole, StaffProfile
from passerelle.web.apps.directory.models import Organisation
from passerelle.web.apps.directory.services import LoadReport, knowledge_load


@pytest.fixture
def loaded_directory(db: None) -> LoadReport:
    return knowledge_load(knowledge=load_knowledge())


@pytest.fixture
def organisations(db: None) -> dict[str, Organisation]:
    return three_organisations()


@pytest.fixture
def make_user(organisations: dict[str, Organisation]) -> Callable[..., User]:
    def make(
        username: str,
        role: str | None = None,
        organisation: str = "a",
        platform_role: str = PlatformRole.NONE,
    ) -> User:
        user = User.objects.create_user(username=username, password=PASSWORD)
        if role is not None:
            Membership.objects.create(
                user=user, organisation=organisations[organisation], role=role
            )
        if platform_role:
            StaffProfile.objects.create(user=user, platform_role=platform_role)
        return user

    return make


@pytest.fixture
def token_for(organisations: dict[str, Organisation]) -> Callable[..., str]:
    def issue(organisation: str = "a", scopes: tuple[str, ...] = ("persons:read",)) -> str:
        _, key = ApiToken.issue(
            organisation=organisations[organisation],
            name=f"system-{organisation}",
            scopes=list(scopes),
        )
        return key

    return issue


@pytest.fixture
def in_english(settings: Any) -> Iterator[None]:
    """Pages and services in English for tests that read their words (the site's default
    language is French): requests without a language choice, and code outside a request."""
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield
