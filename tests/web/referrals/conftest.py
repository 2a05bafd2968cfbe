"""Fixtures for referrals: a CPAS refers a 24-year-old refugee to Duo for a Job's mentoring;
a third organisation stands by. Synthetic people only."""

from __future__ import annotations

from tests.support.referrals import Network, consented, make_programme, network  # noqa: F401 (fixtures)
