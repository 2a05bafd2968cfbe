"""Scheduled jobs: the schedules are in settings (`PASSERELLE_SCHEDULES`, documented there
and in docs/operations.md, "Schedules"); the scheduler process enqueues each job once per
time slot, and the worker runs it like any task.

A job is either `{"task": path, "every": seconds}` (slots start at multiples of `every`
since the epoch) or `{"task": path, "daily_at": "HH:MM"}` (in TIME_ZONE). A slot is
enqueued at most once whatever the number of schedulers and restarts (`ScheduleSlot` is
unique per job and slot); after a stop only the latest missed slot runs, not every one.
The time is a parameter (`now`), so tests advance a clock instead of waiting.
"""

from __future__ import annotations

import datetime as dt
import logging
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django_tasks.base import Task

from passerelle.web.apps.ops.models import ScheduleSlot
from passerelle.web.apps.ops.queue import backend_alias

log = logging.getLogger(__name__)

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


class ScheduleError(ValueError):
    """A schedule in settings that cannot run; the message names the job and the field."""


@dataclass(frozen=True)
class Job:
    name: str
    task: str
    every: dt.timedelta | None = None
    daily_at: dt.time | None = None

    def slot(self, now: dt.datetime, zone: dt.tzinfo) -> dt.datetime:
        """The start of the slot `now` falls in (an aware datetime in UTC)."""
        if self.every is not None:
            seconds = self.every.total_seconds()
            elapsed = (now - EPOCH).total_seconds()
            return EPOCH + dt.timedelta(seconds=elapsed - elapsed % seconds)
        if self.daily_at is None:
            raise RuntimeError("a schedule has either `every` or `daily_at`")
        local = now.astimezone(zone)
        today = dt.datetime.combine(local.date(), self.daily_at, tzinfo=zone)
        start = today if today <= local else today - dt.timedelta(days=1)
        return start.astimezone(dt.UTC)


def jobs_from(schedules: Mapping[str, Mapping[str, Any]]) -> list[Job]:
    """The jobs of a PASSERELLE_SCHEDULES mapping; ScheduleError naming the job and the
    field when one is wrong."""
    jobs = []
    for name, spec in schedules.items():
        path = spec.get("task")
        if not isinstance(path, str) or "." not in path:
            raise ScheduleError(f"{name}: task: a dotted path to a task, got {path!r}")
        every, daily = spec.get("every"), spec.get("daily_at")
        if (every is None) == (daily is None):
            raise ScheduleError(f"{name}: give exactly one of every (seconds) or daily_at (HH:MM)")
        if every is not None:
            if not isinstance(every, int | float) or not 10 <= every <= 7 * 86400:
                raise ScheduleError(f"{name}: every: seconds from 10 to 604800, got {every!r}")
            jobs.append(Job(name, path, every=dt.timedelta(seconds=every)))
        else:
            try:
                at = dt.time.fromisoformat(str(daily))
            except ValueError:
                raise ScheduleError(f"{name}: daily_at: HH:MM, got {daily!r}") from None
            jobs.append(Job(name, path, daily_at=at))
    return jobs


def configured_jobs() -> list[Job]:
    return jobs_from(getattr(settings, "PASSERELLE_SCHEDULES", {}))


def scheduler_tick(*, now: dt.datetime | None = None, jobs: list[Job] | None = None) -> list[str]:
    """Enqueue every job whose current slot has not been enqueued; the names enqueued."""
    at = now or timezone.now()
    zone = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    enqueued = []
    for job in configured_jobs() if jobs is None else jobs:
        slot = job.slot(at, zone)
        try:
            with transaction.atomic():
                made = ScheduleSlot.objects.create(job=job.name, slot=slot)
                target: Task[..., Any] = import_string(job.task)
                result = target.using(backend=backend_alias()).enqueue()
                made.task_id = str(result.id)
                made.save(update_fields=["task_id"])
        except IntegrityError:
            continue  # this slot is already enqueued (by this scheduler or another)
        log.info("scheduled job %s enqueued for %s", job.name, slot.isoformat())
        enqueued.append(job.name)
    return enqueued
