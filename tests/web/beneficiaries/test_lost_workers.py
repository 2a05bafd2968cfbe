"""A job whose worker dies again and again (issue 19): once the queue's reaper gives up on
its task, the job (or linkage run) ends as failed with the reason, shown on its page and in
the admin's list of tasks, instead of staying "running" for ever; an administrator's retry
of the task queues the job again and the worker finishes it. The deaths are simulated as
the other fault tests do: the import raises what SIGKILL amounts to (no handler runs, the
transaction is abandoned) while the task is claimed by a worker whose heartbeat then stops.
Synthetic encodings only."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib import admin
from django.test import Client
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from tests.support.beneficiaries import csv_bytes, files
from tests.support.outcomes import known_and_stranger_file

from passerelle.web.apps.beneficiaries import services, tasks
from passerelle.web.apps.beneficiaries.models import (
    EncodedRecord,
    EncodingsUploadJob,
    ImportedOutcome,
    LinkageRun,
    OutcomeImportJob,
    Participation,
    RunStatus,
)
from passerelle.web.apps.ops.models import ProcessKind
from passerelle.web.apps.ops.queue import task_retry
from passerelle.web.apps.ops.worker import beat, reap_lost_tasks

Worker = Callable[[], None]


class WorkerKilledError(BaseException):
    """What SIGKILL does to the task: no handler runs, the transaction is abandoned."""


def _die(task: DBTaskResult, worker_id: str, work: Callable[[], Any]) -> None:
    """A worker claims the task, dies in the middle of `work`, and stops beating; the
    reaper then finds the task running well past the time a worker is deemed lost."""
    now = timezone.now()
    beat(process_id=worker_id, kind=ProcessKind.WORKER, now=now - dt.timedelta(minutes=5))
    task.refresh_from_db()
    task.claim(worker_id)
    with pytest.raises(WorkerKilledError):
        work()
    DBTaskResult.objects.filter(pk=task.pk).update(started_at=now - dt.timedelta(minutes=4))
    reap_lost_tasks(now=now)


def test_an_import_whose_worker_dies_three_times_fails_then_an_administrator_retries_it(
    clients: dict[str, Client],
    outcome_run: LinkageRun,
    run_worker: Worker,
    monkeypatch: pytest.MonkeyPatch,
    settings: Any,
) -> None:
    settings.PASSERELLE_TASK_MAX_CLAIMS = 3
    job = tasks.outcomes_import_queue(content=known_and_stranger_file(2), actor_label="t")
    task = DBTaskResult.objects.get()
    real = ImportedOutcome.objects.bulk_create

    def dying(*_args: Any, **_kwargs: Any) -> Any:
        raise WorkerKilledError

    monkeypatch.setattr(ImportedOutcome.objects, "bulk_create", dying)
    for death in (1, 2):
        _die(task, f"dead-{death}", lambda: services.outcomes_job_run(job_id=job.pk))
        task.refresh_from_db()
        assert task.status == "READY"  # put back in the queue
        job.refresh_from_db()
        assert job.status == "running"
    _die(task, "dead-3", lambda: services.outcomes_job_run(job_id=job.pk))
    task.refresh_from_db()
    job.refresh_from_db()
    assert task.status == "FAILED"
    assert (job.status, job.attempts) == ("failed", 3)
    reason = "the worker stopped 3 times during this task; an administrator can retry it"
    assert job.problems == [["", reason]]
    assert job.content is not None  # kept for the retry: the file may well be fine
    assert not ImportedOutcome.objects.exists()
    page = clients["analyst"].get(f"/analysis/beneficiaries/outcomes/imports/{job.pk}/")
    assert reason in page.content.decode()
    assert "Refresh" not in page  # the page stops following a job that ended
    task_admin = admin.site._registry[DBTaskResult]
    assert task_admin.reason(task) == "the worker stopped 3 times during this task"

    monkeypatch.setattr(ImportedOutcome.objects, "bulk_create", real)  # the cause is fixed
    task_retry(result_id=str(task.pk))
    job.refresh_from_db()
    assert (job.status, job.attempts, job.problems) == ("queued", 0, [])
    run_worker()
    job.refresh_from_db()
    assert (job.status, job.attempts, job.content) == ("done", 1, None)
    assert ImportedOutcome.objects.count() == 2


def test_an_encodings_upload_whose_worker_dies_three_times_fails_then_is_retried(
    clients: dict[str, Client],
    organisations: Any,
    programmes: Any,
    run_worker: Worker,
    monkeypatch: pytest.MonkeyPatch,
    settings: Any,
) -> None:
    settings.PASSERELLE_TASK_MAX_CLAIMS = 3
    encoded, participations = files(12, seed=3)
    job = tasks.encodings_upload_queue(
        organisation=organisations["a"],
        encodings=csv_bytes(encoded),
        participations=csv_bytes(participations),
        actor_label="t",
        language="fr",
    )
    task = DBTaskResult.objects.get()
    real = Participation.objects.bulk_create

    def dying(*_args: Any, **_kwargs: Any) -> Any:
        raise WorkerKilledError

    monkeypatch.setattr(Participation.objects, "bulk_create", dying)
    for death in (1, 2, 3):
        _die(task, f"dead-{death}", lambda: services.encodings_job_run(job_id=job.pk))
    task.refresh_from_db()
    job.refresh_from_db()
    assert task.status == "FAILED"
    assert (job.status, job.attempts) == ("failed", 3)
    # in the requester's language (French here)
    assert job.problems[0][1].startswith("le processus de travail s'est arrêté 3 fois")
    assert (job.content is None, job.participations is None) == (False, False)  # kept
    assert not EncodedRecord.objects.exists()
    page = clients["coordinator"].get(f"/analysis/beneficiaries/share/uploads/{job.pk}/")
    assert "arrêté 3 fois pendant cette tâche" in page.content.decode()
    assert "Refresh" not in page

    monkeypatch.setattr(Participation.objects, "bulk_create", real)  # the cause is fixed
    task_retry(result_id=str(task.pk))
    job.refresh_from_db()
    assert (job.status, job.attempts, job.problems) == ("queued", 0, [])
    run_worker()
    job.refresh_from_db()
    assert (job.status, job.attempts, job.content, job.participations) == ("done", 1, None, None)
    assert EncodedRecord.objects.count() == Participation.objects.count() == 12


def test_a_linkage_run_whose_worker_dies_three_times_ends_as_failed(
    clients: dict[str, Client], stored_tasks: None, settings: Any
) -> None:
    settings.LINKAGE_RUN_INLINE = False
    settings.PASSERELLE_TASK_MAX_CLAIMS = 3
    run = services.run_start(actor_label="test")
    tasks.run_in_background(run)
    task = DBTaskResult.objects.get()

    def killed() -> None:
        LinkageRun.objects.filter(pk=run.pk).update(status=RunStatus.RUNNING, step=2)
        raise WorkerKilledError

    for death in (1, 2, 3):
        _die(task, f"dead-{death}", killed)
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED
    assert run.error.startswith("the worker stopped 3 times")
    assert run.finished_at is not None
    page = clients["analyst"].get("/analysis/beneficiaries/runs/")
    assert "the worker stopped 3 times" in page.content.decode()


def test_a_job_that_ended_is_left_as_it_is_by_a_late_reaper(outcome_run: LinkageRun) -> None:
    job = tasks.outcomes_import_queue(content=b"situation\nemployed\n", actor_label="t")
    OutcomeImportJob.objects.filter(pk=job.pk).update(status="done", content=None)
    services.outcomes_job_lost(3, job.pk)
    services.outcomes_job_requeue(job.pk)
    job.refresh_from_db()
    assert (job.status, job.problems) == ("done", [])
    services.encodings_job_lost(3, 404)  # a job since deleted: nothing to end
    assert not EncodingsUploadJob.objects.exists()
