"""What the queue needs beside django-tasks' own table (docs/operations.md).

- `TaskKey`: one row per idempotency key, written in the transaction that enqueues the
  task, so that one piece of work is queued once however often it is asked for.
- `Heartbeat`: each worker and scheduler process writes its row every few seconds; a task
  left "running" by a process whose heartbeat stopped is put back in the queue, and
  `/readyz` answers 503 when no worker has reported within a minute.
- `ScheduleSlot`: one row per scheduled job and time slot, so that a slot is enqueued once
  even when two schedulers run or one restarts in the middle of a tick.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class TaskKey(models.Model):
    key = models.CharField(max_length=200, unique=True)
    task_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("task idempotency key")
        verbose_name_plural = _("task idempotency keys")

    def __str__(self) -> str:
        return self.key


class ProcessKind(models.TextChoices):
    WORKER = "worker", _("worker")
    SCHEDULER = "scheduler", _("scheduler")


class Heartbeat(models.Model):
    process_id = models.CharField(max_length=64, primary_key=True)
    kind = models.CharField(max_length=16, choices=ProcessKind.choices)
    host = models.CharField(max_length=200, blank=True)
    pid = models.IntegerField(default=0)
    started_at = models.DateTimeField()
    seen_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = _("process heartbeat")
        verbose_name_plural = _("process heartbeats")

    def __str__(self) -> str:
        return f"{self.kind} {self.process_id}"


class ScheduleSlot(models.Model):
    job = models.CharField(max_length=64)
    slot = models.DateTimeField()
    task_id = models.CharField(max_length=64, blank=True)
    enqueued_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("scheduled run")
        verbose_name_plural = _("scheduled runs")
        constraints = (
            models.UniqueConstraint(fields=("job", "slot"), name="ops_one_run_per_slot"),
        )

    def __str__(self) -> str:
        return f"{self.job} {self.slot:%Y-%m-%d %H:%M}"
