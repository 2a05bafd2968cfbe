"""The organisations' API for unique beneficiaries: upload of encodings under the scope
`encodings:write` (a job the worker runs, as for the page: 202 at once, then its state,
the page's validation and replacement, problems naming their file, only the token's own
organisation), the figures under `beneficiaries:read`, and two simultaneous
uploads of one organisation (PostgreSQL). SYNTHETIC DATA ONLY."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import polars as pl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, connection
from django.test import Client
from tests.support.beneficiaries import csv_bytes, files, parsed_for, synthetic_records
from tests.support.concurrency import at_once

from passerelle.web.apps.audit.models import AuditEntry
from passerelle.web.apps.beneficiaries import services
from passerelle.web.apps.beneficiaries.models import (
    EncodedRecord,
    EncodingBatch,
    EncodingsUploadJob,
    Participation,
)

URL = "/api/v1/beneficiaries/encodings"
FIGURES = "/api/v1/beneficiaries/figures"


def bearer(key: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


def upload(key: str, persons: int = 12, seed: int = 3, **change: Any) -> Any:
    encoded, participations = files(persons, seed)
    data = {
        "encodings": SimpleUploadedFile("ENCODED.csv", csv_bytes(encoded)),
        "participations": SimpleUploadedFile("participations.csv", csv_bytes(participations)),
    }
    data.update(change)
    return Client().post(URL, data, **bearer(key))


Worker = Callable[[], None]


def uploaded(key: str, run_worker: Worker, **change: Any) -> dict[str, Any]:
    """Upload, let the worker run the job, and return the job as the API shows it."""
    response = upload(key, **change)
    assert response.status_code == 202, response.content
    assert response.json()["status"] == "queued"
    run_worker()
    job = Client().get(response.json()["url"], **bearer(key))
    assert job.status_code == 200
    found: dict[str, Any] = job.json()
    return found


def test_an_organisation_uploads_its_encodings_and_replaces_them(
    token_for: Callable[..., str], programmes: Any, organisations: Any, run_worker: Worker
) -> None:
    key = token_for("a", ("encodings:write",))
    queued = upload(key, persons=12)
    assert queued.status_code == 202, queued.content
    assert not EncodedRecord.objects.exists()  # nothing stored in the request
    run_worker()
    body = Client().get(queued.json()["url"], **bearer(key)).json()
    assert (body["status"], body["problems"]) == ("done", [])
    assert body["records"] == EncodedRecord.objects.filter(organisation=organisations["a"]).count()
    assert body["participations"] == body["records"]
    # a second upload replaces the first, whole
    again = uploaded(key, run_worker, persons=20, seed=4)
    assert again["status"] == "done"
    assert EncodingBatch.objects.filter(organisation=organisations["a"]).count() == 1
    records = EncodedRecord.objects.filter(organisation=organisations["a"])
    assert records.count() == again["records"] != body["records"]
    assert (
        Participation.objects.filter(record__organisation=organisations["a"]).count()
        == (again["participations"])
    )
    entry = AuditEntry.objects.filter(action="encodings_replace").order_by("-id").first()
    assert entry is not None
    assert entry.actor_label == "api:system-a"
    assert entry.detail["replaced_records"] == body["records"]
    current = Client().get(URL, **bearer(key)).json()
    assert current["records"] == again["records"]
    assert current["organisation"] == organisations["a"].slug


def test_problems_name_their_file_and_leave_the_previous_upload_whole(
    token_for: Callable[..., str], programmes: Any, organisations: Any, run_worker: Worker
) -> None:
    key = token_for("a", ("encodings:write",))
    assert uploaded(key, run_worker)["status"] == "done"
    before = EncodedRecord.objects.count()
    encoded, participations = files()
    clear = encoded.with_columns(given_name=encoded["record_id"])
    job = uploaded(key, run_worker, encodings=SimpleUploadedFile("e.csv", csv_bytes(clear)))
    assert (job["status"], job["records"]) == ("failed", None)
    assert job["problems"][0]["field"] == "encodings"
    assert "given_name would hold personal data in clear" in job["problems"][0]["message"]
    other = participations.with_columns(programme=participations["programme"].str.replace("a", "b"))
    job = uploaded(key, run_worker, participations=SimpleUploadedFile("p.csv", csv_bytes(other)))
    assert job["problems"][0]["field"] == "participations"
    assert "allowed: a-jobs" in job["problems"][0]["message"]
    # a missing file is named at once, and nothing is queued
    response = Client().post(
        URL,
        {"encodings": SimpleUploadedFile("e.csv", csv_bytes(encoded))},
        **bearer(key),
    )
    assert response.status_code == 422
    assert any("participations" in item["msg"] for item in response.json()["detail"])
    assert EncodingsUploadJob.objects.count() == 3
    assert EncodedRecord.objects.count() == before


@pytest.mark.usefixtures("constructed_run")
def test_scopes_are_required(token_for: Callable[..., str], programmes: Any) -> None:
    reader = token_for("a", ("persons:read", "persons:write", "beneficiaries:read"))
    response = upload(reader)
    assert response.status_code == 403
    assert response.json()["detail"][0]["loc"] == ["scope"]
    assert Client().get(URL, **bearer(reader)).status_code == 403
    assert Client().get(f"{URL}/uploads/1", **bearer(reader)).status_code == 403
    writer = token_for("a", ("encodings:write",))
    assert Client().get(f"{FIGURES}?period=2025", **bearer(writer)).status_code == 403
    assert Client().post(URL, {}).status_code == 401


def test_a_token_only_touches_its_own_organisation(
    token_for: Callable[..., str], programmes: Any, organisations: Any, run_worker: Worker
) -> None:
    records = synthetic_records(30, seed=5)
    services.encodings_replace(
        organisation=organisations["b"], parsed=parsed_for(records, "b-jobs"), source="upload"
    )
    theirs = set(
        EncodedRecord.objects.filter(organisation=organisations["b"]).values_list("pk", flat=True)
    )
    key = token_for("a", ("encodings:write",))
    assert Client().get(URL, **bearer(key)).status_code == 404  # a shared nothing yet
    # a's programme only: naming b's programme is refused
    _encoded, participations = files()
    theirs_programme = participations.with_columns(
        programme=participations["programme"].str.replace("a-", "b-")
    )
    refused = uploaded(
        key, run_worker, participations=SimpleUploadedFile("p.csv", csv_bytes(theirs_programme))
    )
    assert refused["status"] == "failed"
    assert uploaded(key, run_worker)["status"] == "done"
    # b does not see a's job
    b_key = token_for("b", ("encodings:write",))
    assert Client().get(refused["url"], **bearer(b_key)).status_code == 404
    assert Client().get(URL, **bearer(key)).json()["organisation"] == organisations["a"].slug
    # b's batch is untouched by a's uploads
    after = set(
        EncodedRecord.objects.filter(organisation=organisations["b"]).values_list("pk", flat=True)
    )
    assert after == theirs
    assert Client().get(URL, **bearer(b_key)).json()["records"] == len(theirs)


@pytest.mark.usefixtures("constructed_run")
def test_the_figures_are_aggregates_with_withheld_cells_as_null(
    token_for: Callable[..., str],
) -> None:
    key = token_for("c", ("beneficiaries:read",))
    response = Client().get(f"{FIGURES}?period=2025&measure_type=job_search_support", **bearer(key))
    assert response.status_code == 200, response.content
    body = response.json()
    counts = {(r["programme"], r["indicator"]): r for r in body["counts"]}
    assert abs(counts[("*", "people")]["count"] - 31) <= 2  # perturbed (core.disclosure)
    assert counts[("c-jobs", "people")] == {
        "measure_type": "job_search_support",
        "programme": "c-jobs",
        "indicator": "people",
        "count": None,
        "suppressed": True,
    }
    combos = {tuple(c["programmes"]): c for c in body["overlaps"]["combinations"]}
    assert combos[("b-jobs", "c-jobs")]["people"] is None
    assert combos[("b-jobs", "c-jobs")]["suppressed"] is True
    shown = [r["count"] for r in body["counts"] if r["count"] is not None]
    shown += [c["people"] for c in combos.values() if c["people"] is not None]
    assert all(n == 0 or n >= 5 for n in shown)
    assert "record" not in response.content.decode()
    bad = Client().get(f"{FIGURES}?period=last-year", **bearer(key))
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"] == ["period"]
    unknown = Client().get(f"{FIGURES}?period=2025&measure_type=cooking", **bearer(key))
    assert unknown.status_code == 422
    assert "allowed: job_search_support" in unknown.json()["detail"][0]["msg"]


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
def test_two_simultaneous_uploads_of_one_organisation_both_succeed(
    programmes: Any, organisations: Any
) -> None:
    uploads = {
        "small": parsed_for(synthetic_records(15, seed=6), "a-jobs"),
        "large": parsed_for(synthetic_records(40, seed=7), "a-jobs"),
    }
    outcomes = at_once(
        {
            name: lambda parsed=parsed: services.encodings_replace(
                organisation=organisations["a"], parsed=parsed, source="upload"
            )
            for name, parsed in uploads.items()
        },
        IntegrityError,
    )
    assert set(outcomes) == {"small", "large"}
    assert not [o for o in outcomes.values() if isinstance(o, Exception)], outcomes
    batch = EncodingBatch.objects.get(organisation=organisations["a"])
    winner = next(name for name, o in outcomes.items() if o.pk == batch.pk)  # type: ignore[union-attr]
    # the one that committed last replaced the other, whole
    assert batch.records == uploads[winner].encodings.height
    assert EncodedRecord.objects.filter(organisation=organisations["a"]).count() == batch.records
    assert AuditEntry.objects.filter(action="encodings_replace").count() == 2


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("dob_full", "1979-05-26"),
        ("phone", "+32470123456"),
        ("first_given", "Ahmad"),
        ("name_key", "f" * 1_000_000),
    ],
)
def test_clear_values_in_token_columns_are_refused_and_store_nothing(
    token_for: Callable[..., str],
    programmes: Any,
    organisations: Any,
    run_worker: Worker,
    column: str,
    value: str,
) -> None:
    key = token_for("a", ("encodings:write",))
    assert uploaded(key, run_worker)["status"] == "done"
    before = sorted(EncodedRecord.objects.values_list("record_id", "encoding"))
    encoded, _participations = files()
    bad = encoded.with_columns(
        pl.when(pl.int_range(pl.len()) == 4).then(pl.lit(value)).otherwise(column).alias(column)
    )
    job = uploaded(key, run_worker, encodings=SimpleUploadedFile("e.csv", csv_bytes(bad)))
    assert job["status"] == "failed"
    message = job["problems"][0]["message"]
    assert f"column {column}, row 5 is not a keyed token" in message
    assert value[:20] not in message
    assert sorted(EncodedRecord.objects.values_list("record_id", "encoding")) == before


def test_a_record_id_with_a_nul_is_refused(
    token_for: Callable[..., str], programmes: Any, organisations: Any, run_worker: Worker
) -> None:
    key = token_for("a", ("encodings:write",))
    encoded, participations = files()
    first = pl.int_range(pl.len()) == 0
    renamed = pl.when(first).then(pl.lit("r\x00")).otherwise("record_id").alias("record_id")
    job = uploaded(
        key,
        run_worker,
        encodings=SimpleUploadedFile("e.csv", csv_bytes(encoded.with_columns(renamed))),
        participations=SimpleUploadedFile("p.csv", csv_bytes(participations.with_columns(renamed))),
    )
    assert job["status"] == "failed"
    assert "record_id on row 1 holds a control" in job["problems"][0]["message"]
    assert not EncodedRecord.objects.exists()
