"""Fixtures of the CLI tests that work on the platform's database."""

from __future__ import annotations

import pytest
from tests.support.beneficiaries import programmes  # noqa: F401 (fixture)
from tests.support.directory import three_organisations
from tests.support.outcomes import outcome_run  # noqa: F401 (fixture)

from passerelle.web.apps.directory.models import Organisation


@pytest.fixture
def organisations(db: None) -> dict[str, Organisation]:
    return three_organisations()
