"""The queue's own task: a probe that does nothing but come back, to check the queue end to
end (enqueue it and watch it succeed) and to measure it (benchmarks/operations.py)."""

from __future__ import annotations

from django.utils import timezone

from passerelle.web.apps.ops.queue import background_task


@background_task(retries=0)
def queue_probe() -> str:
    return timezone.now().isoformat()
