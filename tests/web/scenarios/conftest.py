"""Fixtures for the scenario pages: staff users (from the person-file fixtures) and small
simulation sizes with a cache directory of the test's own."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from django.test import override_settings

SMALL = {"SCENARIO_PERSONS": 2000, "SCENARIO_REPLICATIONS": 3, "SCENARIO_SEED": 7}


@pytest.fixture(scope="session")
def scenario_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One cache for the session: the first comparison computes, the others read it."""
    return tmp_path_factory.mktemp("scenario-cache")


@pytest.fixture
def small_sizes(scenario_cache: Path) -> Iterator[Path]:
    with override_settings(SCENARIO_CACHE_DIR=str(scenario_cache), **SMALL):
        yield scenario_cache
