"""Fixtures of the queue's tests."""

from __future__ import annotations

from tests.support.referrals import consented, network  # noqa: F401 (fixtures)
from tests.support.tasks import run_worker, stored_tasks  # noqa: F401 (fixtures)
