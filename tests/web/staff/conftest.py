"""Fixtures of the staff pages' tests: the referral network of tests/support/referrals."""

from __future__ import annotations

from tests.support.referrals import Network, consented, make_programme, network  # noqa: F401 (fixtures)
