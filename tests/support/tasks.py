"""Fixtures of tests that run queued tasks: tasks stored in the database and a worker in
this process (tests/web/ops/test_faults.py starts real worker processes instead)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django_tasks_db.management.commands import db_worker
from django_tasks_db.management.commands.db_worker import Worker

from passerelle.web.apps.ops.models import ProcessKind
from passerelle.web.apps.ops.worker import beat


@pytest.fixture
def stored_tasks(settings: Any) -> None:
    """Tasks go to the database backend, as in production, instead of running at once."""
    settings.PASSERELLE_TASK_BACKEND = "database"


@pytest.fixture
def run_worker(stored_tasks: None, monkeypatch: pytest.MonkeyPatch) -> Callable[[], None]:
    """Run every task that is due, in this process, as `passerelle worker --batch` would.
    The worker closes connections that are not in autocommit mode, which the test's own
    transaction is not: that check is left out here (the fault tests run real workers)."""
    monkeypatch.setattr(db_worker, "close_old_connections", lambda: None)

    def run() -> None:
        beat(process_id="test-worker", kind=ProcessKind.WORKER)
        Worker(
            queue_names=["default"],
            interval=0,
            batch=True,
            backend_name="database",
            startup_delay=False,
            max_tasks=None,
            worker_id="test-worker",
            excluded_queue_names=[],
        ).run()

    return run
