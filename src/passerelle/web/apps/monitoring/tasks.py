"""The monitoring's background work (docs/operations.md, "Background work"): the rebuild of
the figures' aggregates (the applier of the changes pending in them is `aggregates.py`'s, the
platform evaluation's task `evaluations.py`'s)."""

from __future__ import annotations

from passerelle.web.apps.monitoring.aggregates import aggregates_rebuild
from passerelle.web.apps.ops.queue import background_task


@background_task(retries=2)
def aggregates_rebuild_task() -> int:
    """Rebuild the aggregates (idempotent: a second run computes the same totals)."""
    return int(aggregates_rebuild().version)
