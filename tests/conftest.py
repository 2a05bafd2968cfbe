"""Shared fixtures. All people in tests are synthetic: no real personal data."""

from __future__ import annotations

import pytest

from passerelle.knowledge.loader import Knowledge, load_knowledge


@pytest.fixture(scope="session")
def knowledge() -> Knowledge:
    return load_knowledge()
