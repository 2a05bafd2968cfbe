"""The task queue: django-tasks with its database backend, and what the platform adds on
top (docs/operations.md, "Background work").

- `background_task(retries=…, backoff=…)`: a django-tasks task that, when it raises, is
  queued again after `backoff × 2^(attempt − 1)` (at most `BACKOFF_CAP`) until it has
  been tried `retries + 1` times. Each attempt is its own row, so the failed one stays
  visible with its traceback; the attempt number is the `_attempt` keyword.
- `enqueue(task, *args, key=…, **kwargs)`: queues in the caller's transaction when the
  backend stores tasks in the same database (a transactional outbox: the task exists if and
  only if the change that asked for it was committed), after the commit otherwise (the
  immediate backend of the tests runs the task at once). With `key`, a second request for
  the same key queues nothing (`TaskKey`).
- `task_retry(result_id)`: what the administrator's "retry" does: the failed task queued
  again, as a new row, with the same arguments.

Every task must be safe to run twice: a worker killed in the middle of a task leaves it
"running", and `worker.reap_lost_tasks` puts it back in the queue. A task whose workers
died too often is failed by the reaper; `background_task(lost=…)` names what then ends the
work the task stood for (a job's or a run's state, which would otherwise stay "running"),
and `retried=…` what puts it back when an administrator retries the task.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django_tasks import task, task_backends
from django_tasks.base import Task
from django_tasks_db import DatabaseBackend
from django_tasks_db.models import DBTaskResult

from passerelle.web.apps.ops.models import TaskKey

log = logging.getLogger(__name__)

BACKOFF_CAP = dt.timedelta(hours=1)
ATTEMPT = "_attempt"
"""The keyword that carries the attempt number (1 for the first) of a retried task."""

LostHook = Callable[..., None]
"""`hook(times, *args, **kwargs)`: how many times its workers died, then the task's own
arguments."""
_LOST: dict[str, LostHook] = {}
_RETRIED: dict[str, Callable[..., None]] = {}


def backend_alias() -> str:
    """The backend tasks go to (settings.PASSERELLE_TASK_BACKEND, default "default")."""
    return str(getattr(settings, "PASSERELLE_TASK_BACKEND", "default"))


def stores_tasks() -> bool:
    """Whether the current backend keeps tasks in the database (a worker runs them)."""
    return isinstance(task_backends[backend_alias()], DatabaseBackend)


def retry_wait(attempt: int, backoff: dt.timedelta) -> dt.timedelta:
    """The wait after failed attempt number `attempt` (1, 2, 4 … × backoff, capped)."""
    wait: dt.timedelta = backoff * 2 ** max(attempt - 1, 0)
    return min(wait, BACKOFF_CAP)


def background_task(
    *,
    retries: int = 3,
    backoff: dt.timedelta = dt.timedelta(seconds=30),
    priority: int = 0,
    lost: LostHook | None = None,
    retried: Callable[..., None] | None = None,
) -> Callable[[Callable[..., Any]], Task[..., Any]]:
    """Make `function` a queued task retried with exponential backoff (see the module);
    `lost(times, *args, **kwargs)` runs when the reaper fails it for its dead workers,
    `retried(*args, **kwargs)` when an administrator queues it again."""
    if retries < 0:
        raise ValueError(f"retries: {retries}; must be 0 or more")

    def decorate(function: Callable[..., Any]) -> Task[..., Any]:
        @functools.wraps(function)
        def run(*args: Any, **kwargs: Any) -> Any:
            attempt = int(kwargs.pop(ATTEMPT, 1))
            try:
                return function(*args, **kwargs)
            except Exception:
                if attempt <= retries and stores_tasks():
                    wait = retry_wait(attempt, backoff)
                    queued = task_of(run).using(
                        backend=backend_alias(), run_after=timezone.now() + wait
                    )
                    queued.enqueue(*args, **{**kwargs, ATTEMPT: attempt + 1})
                    log.warning(
                        "task %s attempt %s failed; retried in %ss",
                        function.__qualname__,
                        attempt,
                        int(wait.total_seconds()),
                    )
                raise

        made: Task[..., Any] = task(priority=priority)(run)
        run.__passerelle_task__ = made  # type: ignore[attr-defined]
        if lost is not None:
            _LOST[made.module_path] = lost
        if retried is not None:
            _RETRIED[made.module_path] = retried
        return made

    return decorate


def task_of(function: Callable[..., Any]) -> Task[..., Any]:
    found: Task[..., Any] = function.__passerelle_task__  # type: ignore[attr-defined]
    return found


def _key_claimed(key: str) -> bool:
    """Claim the idempotency key `key`: False if it was claimed before. One statement (INSERT
    ... ON CONFLICT DO NOTHING), where catching the unique violation would cost a savepoint
    and its release around it, two more round trips for every task queued."""
    quote = connection.ops.quote_name
    table = quote(TaskKey._meta.db_table)
    # The model's columns are its fields' names (no db_column).
    columns = ", ".join(quote(name) for name in ("key", "task_id", "created_at"))
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:
        cursor.execute(
            # Only the table's and columns' names from code; the values are parameters.
            f"INSERT INTO {table} ({columns}) VALUES (%s, '', %s) "  # noqa: S608
            f"ON CONFLICT ({quote('key')}) DO NOTHING RETURNING id",
            [key, now],
        )
        return cursor.fetchone() is not None


def enqueue(target: Task[..., Any], *args: Any, key: str | None = None, **kwargs: Any) -> bool:
    """Queue `target(*args, **kwargs)` (see the module). False when `key` was already used."""
    bound = target.using(backend=backend_alias())
    if key is not None and not _key_claimed(key[:200]):
        return False
    if stores_tasks():
        result = bound.enqueue(*args, **kwargs)
        if key is not None:
            TaskKey.objects.filter(key=key[:200]).update(task_id=str(result.id))
    else:
        transaction.on_commit(lambda: bound.enqueue(*args, **kwargs))
    return True


def task_lost(result: DBTaskResult[..., Any], times: int) -> None:
    """End the work of a task the reaper failed (its `lost` hook), in the reaper's
    transaction: the task and its job are failed together."""
    result.task  # noqa: B018 (imports the task's module, which registers its hooks)
    hook = _LOST.get(result.task_path)
    if hook is None:
        return
    arguments = dict(result.args_kwargs.get("kwargs", {}))
    arguments.pop(ATTEMPT, None)
    hook(times, *result.args_kwargs.get("args", []), **arguments)


class TaskNotRetriableError(ValueError):
    """Only a failed task can be retried."""


def task_retry(*, result_id: str) -> DBTaskResult[..., Any]:
    """Queue a failed task again (a new row, attempt 1, the same arguments)."""
    with transaction.atomic():
        failed = DBTaskResult.objects.select_for_update().get(pk=result_id)
        if failed.status != "FAILED":
            raise TaskNotRetriableError(f"task {result_id}: status {failed.status}; only FAILED")
        arguments = dict(failed.args_kwargs.get("kwargs", {}))
        arguments.pop(ATTEMPT, None)
        positional = failed.args_kwargs.get("args", [])
        target = failed.task  # imports the task's module, which registers its hooks
        hook = _RETRIED.get(failed.task_path)
        if hook is not None:
            hook(*positional, **arguments)
        again = target.using(run_after=None).enqueue(*positional, **arguments)
    fresh: DBTaskResult[..., Any] = DBTaskResult.objects.get(pk=again.id)
    return fresh
