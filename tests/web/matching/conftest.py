"""Fixtures for matching in the platform: Duo for a Job (organisation b) runs the mentoring
programme and keeps two mentors; a CPAS (a) and BAPA (c) hold the candidates' files; an
employer (acme) has a vacancy. Synthetic people only."""

from __future__ import annotations

import pytest
from tests.support.matching import (
    setting,  # noqa: F401 (fixture)
)


@pytest.fixture(autouse=True)
def _english(in_english: None) -> None:
    """These tests read the pages' English words."""
