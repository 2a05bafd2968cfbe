"""An organisation's upload of its encodings and participations as a task (issue 19): the
page keeps the two files in a job, queues it and answers at once; the worker checks and
stores them, all or nothing, once; the job's page follows it (queued, running, then what
was stored or what is wrong, each problem naming its file) in the requester's language;
the files are deleted when the job ends. PostgreSQL in CI. SYNTHETIC DATA ONLY."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import polars as pl
import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from tests.support.beneficiaries import csv_bytes, files
from tests.support.dying_worker import WorkerKilledError, die_mid_bulk_create

from passerelle.web.apps.audit.models import AuditEntry
from passerelle.web.apps.beneficiaries import services, tasks
from passerelle.web.apps.beneficiaries.jobs import IMPORT_ATTEMPTS
from passerelle.web.apps.beneficiaries.models import (
    EncodedRecord,
    EncodingBatch,
    EncodingsUploadJob,
    Participation,
)

Worker = Callable[[], None]
SHARE = "/analysis/beneficiaries/share/"


def _post(client: Client, encoded: pl.DataFrame, participations: pl.DataFrame, **extra: Any) -> Any:
    return client.post(
        SHARE,
        {
            "action": "upload",
            "encodings": SimpleUploadedFile("ENCODED.csv", csv_bytes(encoded)),
            "participations": SimpleUploadedFile("participations.csv", csv_bytes(participations)),
        },
        **extra,
    )


def _queue(organisations: Any, persons: int = 12, seed: int = 3, **change: Any) -> Any:
    encoded, participations = files(persons, seed)
    contents = {"encodings": csv_bytes(encoded), "participations": csv_bytes(participations)}
    return tasks.encodings_upload_queue(
        organisation=organisations["a"], actor_label="t", **{**contents, **change}
    )


def test_an_upload_is_queued_then_the_worker_stores_it_and_deletes_the_files(
    clients: dict[str, Client], organisations: Any, programmes: Any, run_worker: Worker
) -> None:
    coordinator = clients["coordinator"]
    encoded, participations = files(12, seed=3)
    response = _post(coordinator, encoded, participations)
    job = EncodingsUploadJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/analysis/beneficiaries/share/uploads/{job.pk}/"
    assert bytes(job.content) == csv_bytes(encoded)
    assert bytes(job.participations) == csv_bytes(participations)
    assert (job.organisation, job.requested_by_label) == (organisations["a"], "coord-a")
    assert DBTaskResult.objects.get().task_path.endswith("encodings_upload_job")
    assert not EncodedRecord.objects.exists()  # nothing stored in the request
    waiting = coordinator.get(response["Location"])
    assert "Waiting for the worker" in waiting.content.decode()
    assert waiting["Refresh"] == "3"
    run_worker()
    job.refresh_from_db()
    assert (job.status, job.content, job.participations, job.attempts) == ("done", None, None, 1)
    assert job.report == {"records": 12, "participations": 12}
    assert job.batch == EncodingBatch.objects.get(organisation=organisations["a"])
    assert EncodedRecord.objects.filter(organisation=organisations["a"]).count() == 12
    assert Participation.objects.count() == 12
    done = coordinator.get(response["Location"])
    assert "12 encoded records and 12 participations now replace" in done.content.decode()
    assert "Refresh" not in done
    listed = coordinator.get(SHARE).content.decode()
    assert f"/analysis/beneficiaries/share/uploads/{job.pk}/" in listed
    # another organisation does not see the job, nor may a caseworker open it
    assert clients["org_admin"].get(response["Location"]).status_code == 404
    assert clients["caseworker"].get(response["Location"]).status_code == 403


@pytest.mark.parametrize(
    ("field", "change", "words"),
    [
        ("encodings", lambda e, p: (e.drop("phone"), p), "missing column phone"),
        (
            "participations",
            lambda e, p: (e, p.with_columns(programme=pl.lit("b-jobs"))),
            "is not one of your organisation's programmes; allowed: a-jobs",
        ),
    ],
)
def test_a_wrong_file_fails_its_job_naming_the_file_and_stores_nothing(
    clients: dict[str, Client],
    organisations: Any,
    programmes: Any,
    run_worker: Worker,
    field: str,
    change: Callable[..., tuple[pl.DataFrame, pl.DataFrame]],
    words: str,
) -> None:
    _queue(organisations, persons=5, seed=4)
    run_worker()
    before = sorted(EncodedRecord.objects.values_list("record_id", "encoding"))
    assert len(before) == 5
    encoded, participations = change(*files(12, seed=3))
    response = _post(clients["coordinator"], encoded, participations)
    assert response.status_code == 302  # the files are checked by the worker
    run_worker()
    job = EncodingsUploadJob.objects.order_by("-id").first()
    assert job is not None
    assert (job.status, job.content, job.participations, job.batch) == ("failed", None, None, None)
    assert any(name == field and words in message for name, message in job.problems), job.problems
    # nothing stored: the previous upload is still shared, whole
    assert sorted(EncodedRecord.objects.values_list("record_id", "encoding")) == before
    assert Participation.objects.count() == 5
    assert AuditEntry.objects.filter(action="encodings_replace").count() == 1
    # a wrong file is not retried: it would fail again
    assert DBTaskResult.objects.filter(status="READY").count() == 0
    page = clients["coordinator"].get(response["Location"]).content.decode()
    assert f"{field}: " in page
    assert "your previous upload is still shared" in page


def test_a_task_run_again_stores_the_upload_once(
    organisations: Any, programmes: Any, run_worker: Worker, monkeypatch: pytest.MonkeyPatch
) -> None:
    job = _queue(organisations)

    real = die_mid_bulk_create(monkeypatch, Participation.objects)
    with pytest.raises(WorkerKilledError):
        services.encodings_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert (job.status, job.attempts) == ("running", 1)
    assert (job.content is None, job.participations is None) == (False, False)  # kept
    assert not EncodedRecord.objects.exists()
    assert not Participation.objects.exists()
    monkeypatch.setattr(Participation.objects, "bulk_create", real)
    run_worker()  # the task, still queued, as the reaper puts back a dead worker's task
    job.refresh_from_db()
    assert (job.status, job.attempts, job.content) == ("done", 2, None)
    batch = EncodingBatch.objects.get()
    # the task run once more (a second worker, an administrator's retry): nothing changes
    assert services.encodings_job_run(job_id=job.pk) == "done"
    assert tasks.encodings_upload_job.call(job.pk) == "done"
    assert EncodingBatch.objects.get().pk == batch.pk
    assert (EncodedRecord.objects.count(), Participation.objects.count()) == (12, 12)
    assert AuditEntry.objects.filter(action="encodings_replace").count() == 1


def test_an_unexpected_error_is_retried_then_fails_the_job_and_deletes_the_files(
    organisations: Any, programmes: Any, run_worker: Worker, monkeypatch: pytest.MonkeyPatch
) -> None:
    job = _queue(organisations)

    def broken(*_args: Any, **_kwargs: Any) -> Any:
        raise ConnectionError("the database went away")

    monkeypatch.setattr(services, "encodings_replace", broken)
    for _attempt in range(IMPORT_ATTEMPTS):
        DBTaskResult.objects.filter(status="READY").update(run_after=timezone.now())
        run_worker()
    job.refresh_from_db()
    assert (job.status, job.attempts, job.content, job.participations) == ("failed", 3, None, None)
    assert "the list of tasks says why" in job.problems[0][1]
    assert [r.status for r in DBTaskResult.objects.order_by("enqueued_at")] == ["FAILED"] * 3
    assert not EncodingBatch.objects.exists()


# The job page's words in the staff languages; the problems in the requester's language.
WORDS = {
    "fr": {
        "queued": "En attente du processus de fond",
        "running": "Vérification et enregistrement depuis",
        "failed": "Rien n'a été enregistré ; votre envoi précédent reste partagé",
        "done": "12 enregistrements codés et 12 participations remplacent",
        "problem": "colonne phone manquante",
    },
    "nl": {
        "queued": "Wacht op het achtergrondproces",
        "running": "Controleren en opslaan sinds",
        "failed": "Er is niets opgeslagen; uw vorige upload blijft gedeeld",
        "done": "12 gecodeerde records en 12 deelnames vervangen",
        "problem": "kolom phone ontbreekt",
    },
    "ar": {
        "queued": "في انتظار العملية الخلفية",
        "running": "جارٍ التحقق والحفظ منذ",
        "failed": "لم يُحفظ شيء؛ ما زال ما رفعتموه سابقًا مشارَكًا",
        "done": "تحلّ الآن 12 سجلًا مرمّزًا و12 مشاركة",
        "problem": "العمود phone مفقود",
    },
}


@pytest.mark.parametrize("language", ["fr", "nl", "ar"])
def test_the_job_page_shows_each_state_in_the_requester_s_language(
    clients: dict[str, Client],
    organisations: Any,
    programmes: Any,
    run_worker: Worker,
    language: str,
) -> None:
    coordinator = clients["coordinator"]
    words = WORDS[language]
    encoded, participations = files(12, seed=3)
    good = _post(coordinator, encoded, participations, HTTP_ACCEPT_LANGUAGE=language)
    bad = _post(coordinator, encoded.drop("phone"), participations, HTTP_ACCEPT_LANGUAGE=language)
    assert EncodingsUploadJob.objects.filter(language=language).count() == 2

    def page(response: Any) -> str:
        shown = coordinator.get(response["Location"], HTTP_ACCEPT_LANGUAGE=language)
        return str(shown.content.decode())

    assert words["queued"] in page(good)
    EncodingsUploadJob.objects.filter(status="queued").update(
        status="running", started_at=timezone.now()
    )
    assert words["running"] in page(good)
    EncodingsUploadJob.objects.update(status="queued", started_at=None)
    run_worker()
    assert words["done"] in page(good)
    failed = page(bad)
    assert words["failed"] in failed
    assert words["problem"] in failed
    assert EncodingsUploadJob.objects.get(status="failed").problems[0][0] == "encodings"


def test_a_file_over_the_limit_is_refused_at_once_and_not_kept(
    clients: dict[str, Client], programmes: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from passerelle.web.apps.beneficiaries import forms

    monkeypatch.setattr(forms, "MAX_BYTES", 100)  # the small files below are over it
    response = _post(clients["coordinator"], *files(12, seed=3))
    assert response.status_code == 400
    assert "the file is larger than 50 MB" in response.content.decode()
    assert not EncodingsUploadJob.objects.exists()


def test_encode_and_share_is_the_same_job_without_a_file(
    tmp_path: Any,
    clients: dict[str, Client],
    organisations: Any,
    programmes: Any,
    run_worker: Worker,
    settings: Any,
) -> None:
    from tests.support.accounts import actor_of
    from tests.support.people import synthetic_file

    from passerelle.core.linkage import generate_key
    from passerelle.web.apps.people.services import person_create
    from passerelle.web.apps.referrals.models import Referral

    key_file = tmp_path / "sector.key"
    key_file.write_text(generate_key() + "\n")
    settings.LINKAGE_SECTOR_KEY_FILE = str(key_file)
    coordinator = clients["coordinator"]
    person = person_create(
        actor=actor_of(User.objects.get(username="coord-a")), data=synthetic_file()
    )
    Referral.objects.create(
        person=person,
        programme=programmes["a"],
        sender=organisations["b"],
        receiver=organisations["a"],
        state="in_progress",
        planned_start=dt.date(2025, 3, 1),
    )
    response = coordinator.post(SHARE, {"action": "encode-files"})
    job = EncodingsUploadJob.objects.get()
    assert response["Location"] == f"/analysis/beneficiaries/share/uploads/{job.pk}/"
    assert (job.from_person_files, job.role, job.content) == (True, "coordinator", None)
    waiting = coordinator.get(response["Location"]).content.decode()
    assert "Encoding of our person files asked" in waiting
    run_worker()
    job.refresh_from_db()
    assert (job.status, job.report) == ("done", {"records": 1, "participations": 1})
    assert EncodedRecord.objects.get().record_id == str(person.pk)
    done = coordinator.get(response["Location"]).content.decode()
    assert "1 person files encoded and shared (1 participations)" in done
    # the key gone before the worker runs: the job fails naming it, and is not retried
    again = tasks.encodings_upload_queue(
        organisation=organisations["a"], from_person_files=True, role="coordinator"
    )
    settings.LINKAGE_SECTOR_KEY_FILE = ""
    run_worker()
    again.refresh_from_db()
    assert again.status == "failed"
    no_key = "The platform has no sector key: ask the platform administrator."
    assert again.problems == [["key", no_key]]
    assert DBTaskResult.objects.filter(status="READY").count() == 0
    assert EncodedRecord.objects.count() == 1
