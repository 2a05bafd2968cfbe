"""Outcome imports as tasks (issue 19): the upload is kept, queued and imported by the
worker; the job shows its state, then its report or its problems; the file is deleted when
the import ends; a worker that dies in the middle leaves nothing stored and the task run
again finishes the import, once. Synthetic encodings only (`core.linkage.synthetic`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from tests.support.dying_worker import WorkerKilledError, die_mid_bulk_create
from tests.support.outcomes import (
    known_and_stranger_file,
)

from passerelle.web.apps.beneficiaries import services, tasks
from passerelle.web.apps.beneficiaries.jobs import IMPORT_ATTEMPTS
from passerelle.web.apps.beneficiaries.models import (
    ImportedOutcome,
    LinkageRun,
    OutcomeImport,
    OutcomeImportJob,
)

Worker = Callable[[], None]


def _upload(content: bytes) -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("outcomes.csv", content, content_type="text/csv")


def test_an_upload_is_queued_then_the_worker_imports_it_and_deletes_the_file(
    clients: dict[str, Client], outcome_run: LinkageRun, run_worker: Worker
) -> None:
    analyst = clients["analyst"]
    response = analyst.post(
        "/analysis/beneficiaries/outcomes/", {"file": _upload(known_and_stranger_file())}
    )
    job = OutcomeImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/analysis/beneficiaries/outcomes/imports/{job.pk}/"
    assert bytes(job.content) == known_and_stranger_file()
    assert DBTaskResult.objects.get().task_path.endswith("outcomes_import_job")
    waiting = analyst.get(response["Location"])
    assert "queued" in waiting.content.decode()
    assert waiting["Refresh"] == "3"  # the page follows the task
    assert not ImportedOutcome.objects.exists()
    run_worker()
    job.refresh_from_db()
    assert (job.status, job.content, job.attempts) == ("done", None, 1)
    assert job.report is not None
    assert (job.report["stored"], job.report["unmatched_rows"]) == (2, [3])
    assert job.outcome_import == OutcomeImport.objects.get()
    done = analyst.get(response["Location"])
    assert "2 outcomes stored" in done.content.decode()
    assert "Refresh" not in done
    listed = analyst.get("/analysis/beneficiaries/outcomes/").content.decode()
    assert f"/analysis/beneficiaries/outcomes/imports/{job.pk}/" in listed


def test_a_wrong_file_fails_its_job_naming_the_column_and_is_deleted(
    outcome_run: LinkageRun, run_worker: Worker
) -> None:
    job = tasks.outcomes_import_queue(content=b"situation\nemployed\n", actor_label="t")
    run_worker()
    job.refresh_from_db()
    assert (job.status, job.content) == ("failed", None)
    assert any("missing column bf_given" in message for _field, message in job.problems)
    # a wrong file is not retried: nothing more is queued
    assert [r.status for r in DBTaskResult.objects.all()] == ["SUCCESSFUL"]
    assert not OutcomeImport.objects.exists()


def test_a_worker_dying_mid_import_stores_nothing_and_the_retry_finishes_once(
    outcome_run: LinkageRun, run_worker: Worker, monkeypatch: pytest.MonkeyPatch
) -> None:
    job = tasks.outcomes_import_queue(content=known_and_stranger_file(3), actor_label="t")

    real = die_mid_bulk_create(monkeypatch, ImportedOutcome.objects)
    with pytest.raises(WorkerKilledError):
        services.outcomes_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert (job.status, job.attempts) == ("running", 1)
    assert job.content is not None  # kept for the retry
    assert not ImportedOutcome.objects.exists()
    assert not OutcomeImport.objects.exists()
    monkeypatch.setattr(ImportedOutcome.objects, "bulk_create", real)
    run_worker()  # the task, still queued, as the reaper puts back a dead worker's task
    job.refresh_from_db()
    assert (job.status, job.attempts, job.content) == ("done", 2, None)
    assert ImportedOutcome.objects.count() == 3
    # the task run once more (a second worker, an administrator's retry): nothing changes
    assert services.outcomes_job_run(job_id=job.pk) == "done"
    assert ImportedOutcome.objects.count() == 3
    assert OutcomeImport.objects.count() == 1


def test_an_unexpected_error_is_retried_then_fails_the_job_and_deletes_the_file(
    outcome_run: LinkageRun, run_worker: Worker, monkeypatch: pytest.MonkeyPatch
) -> None:
    job = tasks.outcomes_import_queue(content=known_and_stranger_file(), actor_label="t")

    def broken(*_args: Any, **_kwargs: Any) -> Any:
        raise ConnectionError("the database went away")

    monkeypatch.setattr(services, "outcome_matches", broken)
    for _attempt in range(IMPORT_ATTEMPTS):
        DBTaskResult.objects.filter(status="READY").update(run_after=timezone.now())
        run_worker()
    job.refresh_from_db()
    assert (job.status, job.attempts, job.content) == ("failed", 3, None)
    assert "the list of tasks says why" in job.problems[0][1]
    assert [r.status for r in DBTaskResult.objects.order_by("enqueued_at")] == ["FAILED"] * 3
    assert not OutcomeImport.objects.exists()
