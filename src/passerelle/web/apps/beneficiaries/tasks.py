"""Background work of unique beneficiaries: a linkage run (docs/operations.md)."""

from __future__ import annotations

from django.conf import settings

from passerelle.web.apps.beneficiaries.models import LinkageRun, RunStatus
from passerelle.web.apps.beneficiaries.services import run_execute
from passerelle.web.apps.ops.queue import background_task, enqueue


@background_task(retries=0)
def linkage_run(run_id: int) -> str:
    """Execute a run. Safe to run again: a run already done is left as it is; a run left
    running by a worker that died starts over (nothing of it was stored: its results are
    written in one transaction at the end); a failed run is run again when an administrator
    retries its task."""
    run = LinkageRun.objects.get(pk=run_id)
    if run.status == RunStatus.DONE:
        return str(run.status)
    LinkageRun.objects.filter(pk=run_id).update(
        status=RunStatus.RUNNING, step=0, error="", finished_at=None
    )
    return str(run_execute(run_id=run_id).status)


def run_in_background(run: LinkageRun) -> None:
    """Queue the run for the worker (task `beneficiaries.tasks.linkage_run`, once per run),
    or execute it at once when settings.LINKAGE_RUN_INLINE is true (tests)."""
    if settings.LINKAGE_RUN_INLINE:
        run_execute(run_id=run.pk)
        return
    enqueue(linkage_run, run.pk, key=f"linkage-run:{run.pk}")
