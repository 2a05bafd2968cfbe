"""`python manage.py worker` (also `passerelle worker`): django-tasks' database worker with
a heartbeat and the reaper of tasks lost with a dead worker (ops.worker)."""

from __future__ import annotations

from typing import Any

from django_tasks_db.management.commands import db_worker

from passerelle.web.apps.ops.models import ProcessKind
from passerelle.web.apps.ops.worker import Heartbeats


class Command(db_worker.Command):
    help = "Run the background tasks (with a heartbeat; see docs/operations.md)"

    def handle(self, *args: Any, **options: Any) -> None:
        beats = Heartbeats(process_id=options["worker_id"], kind=ProcessKind.WORKER)
        beats.start()
        try:
            super().handle(*args, **options)
        finally:
            beats.stop()
