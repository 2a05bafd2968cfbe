"""Shared fixtures. All people in tests are synthetic: no real personal data."""

from __future__ import annotations

import os

import pytest
from tests.support.splink_parsing import memoize_splink_parsing

from passerelle.knowledge.loader import Knowledge, load_knowledge

# pytest-xdist's workers inherit COLUMNS=80 and LINES=24 (the test run is spread over the
# cores): the CLI's Rich consoles, made when their module is imported, would then fix their
# width at 80 whatever COLUMNS a test gives the command it runs.
for _variable in ("COLUMNS", "LINES"):
    os.environ.pop(_variable, None)


@pytest.fixture(scope="session")
def knowledge() -> Knowledge:
    return load_knowledge()


# Splink re-parses the same SQL thousands of times per model: memoized for the session
# (tests/support/splink_parsing.py says why it is safe; three quarters of a linkage test's CPU).
memoize_splink_parsing()
