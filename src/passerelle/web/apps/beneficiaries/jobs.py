"""The life of an import's job, the same for every import (outcomes, an organisation's
encodings with its participations; docs/operations.md, "Imports"): queued, running, then
done with its report or failed with its problems, the upload deleted when it ends.

- `job_run(model, job_id, work)`: what the task runs. The import (`work(job)`, which
  returns the job's report fields) and the job's end are one transaction under the job's
  row lock: the job is done if and only if what it imports is stored, a worker killed in
  the middle leaves nothing stored and the job running (to be run again), and a task run
  twice finds the job ended and changes nothing.
- A wrong file (`UploadError`) fails the job at once, each problem naming its field; an
  unexpected error is raised again for the queue's retry and fails the job on the last
  attempt. Both go through `job_failed`, the one place a failure is written and logged.
- `job_lost` and `job_requeue`: the queue's hooks when the workers of a job's task died
  too often (failed, the upload kept) and when an administrator retries that task.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext, ngettext

from passerelle.core.i18n import language_of
from passerelle.web.apps.beneficiaries.models import ImportJob, ImportStatus
from passerelle.web.apps.beneficiaries.uploads import UploadError

logger = logging.getLogger(__name__)

IMPORT_ATTEMPTS = 3
"""Tries of an import that fails unexpectedly (the database went away, say) before its job
is failed; a file that is wrong fails at once."""

Job = TypeVar("Job", bound=ImportJob)


def job_requester(user: Any, actor_label: str) -> dict[str, Any]:
    """The job's `requested_by` and `requested_by_label` for a user or a system's label."""
    is_authenticated = getattr(user, "is_authenticated", False)
    return {
        "requested_by": user if is_authenticated else None,
        "requested_by_label": actor_label or (user.get_username() if is_authenticated else ""),
    }


def _job_start(model: type[Job], job_id: int) -> Job | None:
    """Mark the job running (committed, so that the page shows it), or None when it has
    already ended (a task run twice)."""
    with transaction.atomic():
        job = model._default_manager.select_for_update().get(pk=job_id)
        if job.finished:
            return None
        job.status, job.started_at = ImportStatus.RUNNING, timezone.now()
        job.attempts += 1
        job.save(update_fields=["status", "started_at", "attempts"])
    return job


def _job_end(job: ImportJob, status: str, **fields: Any) -> None:
    """The job's last write: its state, and the upload deleted."""
    job.status, job.finished_at = status, timezone.now()
    for name in job.CONTENT_FIELDS:
        setattr(job, name, None)
    for name, value in fields.items():
        setattr(job, name, value)
    job.save(update_fields=["status", "finished_at", *job.CONTENT_FIELDS, *fields])


def job_run(
    model: type[Job],
    job_id: int,
    work: Callable[[Job], dict[str, Any]],
    *,
    last_attempt: bool = False,
) -> str:
    """Run the job's import (see the module) in the requester's language and return the
    job's status."""
    if _job_start(model, job_id) is None:
        return str(model._default_manager.get(pk=job_id).status)
    language = model._default_manager.values_list("language", flat=True).get(pk=job_id)
    with translation.override(language or None), language_of(language or "en"):
        try:
            with transaction.atomic():
                job = model._default_manager.select_for_update().get(pk=job_id)
                if job.finished:  # another worker finished it while this one waited
                    return str(job.status)
                _job_end(job, ImportStatus.DONE, **work(job))
        except UploadError as error:
            job_failed(model, job_id, [list(problem) for problem in error.problems])
        except Exception:
            attempts = model._default_manager.values_list("attempts", flat=True).get(pk=job_id)
            if last_attempt or attempts >= IMPORT_ATTEMPTS:
                failure = gettext("the import failed; the list of tasks says why")
                job_failed(model, job_id, [["", failure]])
            raise
    return str(model._default_manager.get(pk=job_id).status)


def job_failed(
    model: type[ImportJob], job_id: int, problems: list[list[str]], *, keep_upload: bool = False
) -> None:
    """End the job as failed with its problems, in its own transaction (or the reaper's),
    and log it with the fields named (never a message: it may quote a row). The upload is
    deleted, unless `keep_upload` (a lost worker: the file may be fine)."""
    with transaction.atomic():
        job = model._default_manager.select_for_update().filter(pk=job_id).first()
        if job is None or job.finished:
            return
        if keep_upload:
            job.status, job.finished_at = ImportStatus.FAILED, timezone.now()
            job.problems = problems
            job.save(update_fields=["status", "finished_at", "problems"])
        else:
            _job_end(job, ImportStatus.FAILED, problems=problems)
    logger.warning(
        "%s import job %s failed (%s problems; fields: %s)",
        model.KIND,
        job_id,
        len(problems),
        ", ".join(sorted({str(field) for field, _message in problems if field})) or "-",
    )


def worker_stopped(times: int) -> str:
    """Why a task's work ended when its worker died `times` times (queue's `lost` hooks)."""
    return ngettext(
        "the worker stopped %(count)d time during this task; an administrator can retry it",
        "the worker stopped %(count)d times during this task; an administrator can retry it",
        times,
    ) % {"count": times}


def job_lost(model: type[ImportJob], times: int, job_id: int) -> None:
    """The job of a task failed by the queue's reaper (its workers died `times` times):
    failed, with the reason, and its upload kept for an administrator's retry (the only
    failure that keeps it: the file may be fine and the machine at fault)."""
    language = model._default_manager.filter(pk=job_id).values_list("language", flat=True).first()
    with translation.override(language or None):
        reason = worker_stopped(times)
    job_failed(model, job_id, [["", reason]], keep_upload=True)


def job_requeue(model: type[ImportJob], job_id: int) -> None:
    """An administrator retries the task of a job its workers left: the job is queued again,
    with all its attempts (a job whose upload was deleted has nothing to import again)."""
    job = model._default_manager.select_for_update().filter(pk=job_id).first()
    if job is None or job.status != ImportStatus.FAILED or not job.has_upload():
        return
    job.status, job.finished_at, job.attempts, job.problems = ImportStatus.QUEUED, None, 0, []
    job.save(update_fields=["status", "finished_at", "attempts", "problems"])
