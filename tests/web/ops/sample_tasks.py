"""Tasks for the queue's tests: one that fails a set number of times, one that counts."""

from __future__ import annotations

import datetime as dt

from passerelle.web.apps.ops.models import TaskKey
from passerelle.web.apps.ops.queue import background_task

FAILURES: dict[str, int] = {}
"""How many more times `flaky(name)` fails (set by the test, in the worker's process)."""


@background_task(retries=2, backoff=dt.timedelta(seconds=30))
def flaky(name: str) -> str:
    left = FAILURES.get(name, 0)
    if left > 0:
        FAILURES[name] = left - 1
        raise RuntimeError(f"{name}: failing on purpose, {left - 1} more to go")
    return f"{name} done"


@background_task(retries=0)
def mark(name: str) -> None:
    """Leaves a row behind (a TaskKey named `ran:<name>:<n>`) each time it runs."""
    runs = TaskKey.objects.filter(key__startswith=f"ran:{name}:").count()
    TaskKey.objects.create(key=f"ran:{name}:{runs + 1}")
