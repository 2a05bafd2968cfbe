"""Background work of unique beneficiaries: a linkage run, an import of outcomes, an
organisation's upload of its encodings and participations (docs/operations.md)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings
from django.db import transaction

from passerelle.web.apps.beneficiaries.jobs import IMPORT_ATTEMPTS
from passerelle.web.apps.beneficiaries.models import (
    EncodingsUploadJob,
    ImportJob,
    LinkageRun,
    OutcomeImportJob,
    RunStatus,
)
from passerelle.web.apps.beneficiaries.services import (
    encodings_job_create,
    encodings_job_lost,
    encodings_job_requeue,
    encodings_job_run,
    outcomes_job_create,
    outcomes_job_lost,
    outcomes_job_requeue,
    outcomes_job_run,
    run_execute,
    run_lost,
)
from passerelle.web.apps.ops.queue import background_task, enqueue

Job = TypeVar("Job", bound=ImportJob)


@background_task(retries=0, lost=run_lost)
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


@background_task(
    retries=IMPORT_ATTEMPTS - 1,
    backoff=dt.timedelta(seconds=30),
    lost=outcomes_job_lost,
    retried=outcomes_job_requeue,
)
def outcomes_import_job(job_id: int) -> str:
    """Import a job's file of outcomes (`services.outcomes_job_run`). Safe to run again:
    a job that ended is left as it is; one left running by a worker that died stored
    nothing (one transaction) and is imported again; the file was deleted when it ended."""
    return outcomes_job_run(job_id=job_id)


def _queued(target: Any, key: str, create: Callable[[], Job]) -> Job:
    """Keep the upload (`create`) and queue its import (once per job), in one transaction:
    the job exists if and only if its task does."""
    with transaction.atomic():
        job = create()
        enqueue(target, job.pk, key=f"{key}:{job.pk}")
    return job


def outcomes_import_queue(
    *,
    content: bytes,
    user: Any = None,
    actor_label: str = "",
    dry_run: bool = False,
    language: str = "",
) -> OutcomeImportJob:
    """Keep a file of outcomes and queue its import (`_queued`)."""
    return _queued(
        outcomes_import_job,
        "outcomes-import",
        lambda: outcomes_job_create(
            content=content,
            user=user,
            actor_label=actor_label,
            dry_run=dry_run,
            language=language,
        ),
    )


@background_task(
    retries=IMPORT_ATTEMPTS - 1,
    backoff=dt.timedelta(seconds=30),
    lost=encodings_job_lost,
    retried=encodings_job_requeue,
)
def encodings_upload_job(job_id: int) -> str:
    """Store an organisation's uploaded encodings and participations
    (`services.encodings_job_run`). Safe to run again, as `outcomes_import_job` is."""
    return encodings_job_run(job_id=job_id)


def encodings_upload_queue(**arguments: Any) -> EncodingsUploadJob:
    """Keep an organisation's files and queue their import (`_queued`); the keywords of
    `services.encodings_job_create`."""
    return _queued(
        encodings_upload_job, "encodings-upload", lambda: encodings_job_create(**arguments)
    )
