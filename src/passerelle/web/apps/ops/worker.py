"""Worker and scheduler processes: heartbeats, and tasks lost with a dead worker put back.

django-tasks' database worker claims a task (status RUNNING) in one transaction and runs
it outside any; a worker killed in the middle (SIGKILL, out of memory, a machine restart)
leaves the row RUNNING for ever. Each process here writes a `Heartbeat` every
`PASSERELLE_HEARTBEAT_SECONDS`; a RUNNING task whose last worker has not beaten for
`PASSERELLE_WORKER_LOST_SECONDS` is queued again (`reap_lost_tasks`), at most
`PASSERELLE_TASK_MAX_CLAIMS` times in all, after which it is failed with `WorkerLostError`
(a task that kills its worker every time must not loop for ever), its job ended as failed
by the task's `lost` hook (`queue.task_lost`), and an administrator retries it once the
cause is fixed.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
from traceback import format_exception
from typing import Any

from django.conf import settings
from django.db import close_old_connections, connections, transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from passerelle.web.apps.ops.models import Heartbeat
from passerelle.web.apps.ops.queue import task_lost

log = logging.getLogger(__name__)


class WorkerLostError(RuntimeError):
    """The worker running this task stopped reporting, too many times."""


def heartbeat_seconds() -> float:
    return float(getattr(settings, "PASSERELLE_HEARTBEAT_SECONDS", 10))


def lost_after() -> dt.timedelta:
    return dt.timedelta(seconds=float(getattr(settings, "PASSERELLE_WORKER_LOST_SECONDS", 60)))


HEARTBEAT_KEPT = dt.timedelta(days=1)
"""Heartbeats of processes gone longer than this are deleted (each start has a new id)."""


def beat(*, process_id: str, kind: str, now: dt.datetime | None = None) -> None:
    """Record that this process is alive."""
    at = now or timezone.now()
    updated = Heartbeat.objects.filter(process_id=process_id).update(seen_at=at)
    if not updated:
        Heartbeat.objects.filter(seen_at__lt=at - HEARTBEAT_KEPT).delete()
        Heartbeat.objects.create(
            process_id=process_id,
            kind=kind,
            host=socket.gethostname()[:200],
            pid=os.getpid(),
            started_at=at,
            seen_at=at,
        )


def reap_lost_tasks(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Queue again (or fail, past the claim limit) the RUNNING tasks whose worker has not
    beaten within `lost_after()`. Returns {"requeued": n, "failed": m}."""
    at = now or timezone.now()
    cutoff = at - lost_after()
    live = set(
        Heartbeat.objects.filter(kind="worker", seen_at__gte=cutoff).values_list(
            "process_id", flat=True
        )
    )
    max_claims = int(getattr(settings, "PASSERELLE_TASK_MAX_CLAIMS", 3))
    counts = {"requeued": 0, "failed": 0}
    with transaction.atomic():
        running = DBTaskResult.objects.select_for_update(skip_locked=True).filter(
            status="RUNNING", started_at__lt=cutoff
        )
        for result in running:
            if result.worker_ids and result.worker_ids[-1] in live:
                continue
            if len(result.worker_ids) >= max_claims:
                _fail_lost(result, at)
                counts["failed"] += 1
            else:
                result.status = "READY"
                result.run_after = at
                result.save(update_fields=["status", "run_after"])
                counts["requeued"] += 1
    if counts["requeued"] or counts["failed"]:
        log.warning(
            "tasks of lost workers: %s queued again, %s failed",
            counts["requeued"],
            counts["failed"],
        )
    return counts


def _fail_lost(result: DBTaskResult[Any, Any], at: dt.datetime) -> None:
    """Fail a task whose workers all died, and the work it stood for (its `lost` hook)."""
    lost = WorkerLostError(f"the worker stopped {len(result.worker_ids)} times during this task")
    result.status = "FAILED"
    result.finished_at = at
    result.exception_class_path = f"{__name__}.WorkerLostError"
    result.traceback = "".join(format_exception(lost))
    result.save(update_fields=["status", "finished_at", "exception_class_path", "traceback"])
    task_lost(result, len(result.worker_ids))


class Heartbeats:
    """A thread of a worker or scheduler process that beats, and for workers reaps, every
    `heartbeat_seconds()` (in the process that does the work, never in a web process)."""

    def __init__(self, *, process_id: str, kind: str) -> None:
        self.process_id = process_id
        self.kind = kind
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self.loop, name=f"heartbeat-{kind}", daemon=True)

    def once(self) -> None:
        beat(process_id=self.process_id, kind=self.kind)
        if self.kind == "worker":
            reap_lost_tasks()

    def start(self) -> None:
        self.once()  # before the first task is claimed: the reaper must see this worker
        connections.close_all()
        self.thread.start()

    def loop(self) -> None:
        while not self.stopping.wait(heartbeat_seconds()):
            try:
                close_old_connections()
                self.once()
            except Exception:  # a database away for a moment: beat again next time
                log.exception("heartbeat of %s %s failed", self.kind, self.process_id)
        connections.close_all()

    def stop(self) -> None:
        self.stopping.set()
