"""The organisations' API for unique beneficiaries (under /api/v1/beneficiaries), for their
own systems. Same tokens as person files (`Authorization: Bearer <token>`):

- `encodings:write`: upload the organisation's encodings (the output of `passerelle
  encode`) with its participations, as the page does: a job the worker runs, with the same
  validation, and the upload replaces the organisation's previous one in one transaction;
  follow the job; read what is shared now.
  A token only ever touches its own organisation's batch.
- `beneficiaries:read`: the sector's figures of the latest linkage run (distinct people,
  registrations, overlaps), aggregates only, withheld cells as null with `suppressed`.

Errors name their field: {"detail": [{"loc": [field], "msg": "field: message"}]}.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import File, Router, Schema, Status
from ninja.files import UploadedFile

from passerelle.core.indicators import beneficiaries as figures
from passerelle.core.indicators import parse_period
from passerelle.web.apps.accounts.models import ApiScope
from passerelle.web.apps.beneficiaries import selectors, tasks
from passerelle.web.apps.beneficiaries.uploads import MAX_BYTES
from passerelle.web.apps.monitoring import data
from passerelle.web.common.api import ERRORS, ApiError, OrganisationToken, api_actor

router = Router(auth=OrganisationToken(), tags=["unique beneficiaries (organisations)"])


class BatchOut(Schema):
    organisation: str
    source: str
    records: int
    participations: int
    created_at: dt.datetime


def _batch(batch: Any, organisation: Any) -> dict[str, Any]:
    return {
        "organisation": organisation.slug,
        "source": batch.source,
        "records": batch.records,
        "participations": batch.participations,
        "created_at": batch.created_at,
    }


def _content(upload: UploadedFile, field: str) -> bytes:
    if upload.size is not None and upload.size > MAX_BYTES:
        raise ApiError(422, {field: "the file is larger than 50 MB"})
    return bytes(upload.read())


class UploadProblem(Schema):
    field: str
    message: str


class UploadJobOut(Schema):
    job: int
    status: str
    url: str
    requested_at: dt.datetime
    finished_at: dt.datetime | None = None
    records: int | None = None
    participations: int | None = None
    problems: list[UploadProblem]


def _job(job: Any) -> dict[str, Any]:
    report = job.report or {}
    return {
        "job": job.pk,
        "status": job.status,
        "url": f"/api/v1/beneficiaries/encodings/uploads/{job.pk}",
        "requested_at": job.requested_at,
        "finished_at": job.finished_at,
        "records": report.get("records"),
        "participations": report.get("participations"),
        "problems": [{"field": field, "message": message} for field, message in job.problems],
    }


@router.post("/beneficiaries/encodings", response={202: UploadJobOut, **ERRORS})
def encodings_upload(
    request: HttpRequest,
    encodings: File[UploadedFile],
    participations: File[UploadedFile],
) -> Any:
    """Multipart form with two CSV files: `encodings` (ENCODED.csv of `passerelle encode`)
    and `participations` (record_id, programme, start_date, end_date[, measure_type]).
    Answers at once, 202 with the job that checks and stores them (the worker's task, as
    for the page): follow its `url` until `status` is `done` (the files replace the
    organisation's previous upload) or `failed` (`problems`, each naming its file; nothing
    stored). docs/linkage.md, "In the platform"."""
    actor = api_actor(request, ApiScope.ENCODINGS_WRITE)
    job = tasks.encodings_upload_queue(
        organisation=actor.organisation,
        encodings=_content(encodings, "encodings"),
        participations=_content(participations, "participations"),
        actor_label=actor.label,
    )
    return Status(202, _job(job))


@router.get("/beneficiaries/encodings/uploads/{job_id}", response={200: UploadJobOut, **ERRORS})
def encodings_upload_job(request: HttpRequest, job_id: int) -> Any:
    """An upload's job: `queued`, `running`, `done` (with the records and participations
    now shared) or `failed` (with its problems). Another organisation's is not found."""
    actor = api_actor(request, ApiScope.ENCODINGS_WRITE)
    job = selectors.encodings_upload_job(actor.organisation, job_id)
    if job is None:
        raise ApiError(404, {"job": "no such upload of your organisation"})
    return _job(job)


@router.get("/beneficiaries/encodings", response={200: BatchOut, **ERRORS})
def encodings_current(request: HttpRequest) -> Any:
    """What the organisation shares now (counts only)."""
    actor = api_actor(request, ApiScope.ENCODINGS_WRITE)
    batch = selectors.batch_of(actor.organisation)
    if batch is None:
        raise ApiError(404, {"encodings": "your organisation has shared no encodings yet"})
    return _batch(batch, actor.organisation)


def _count(value: Any) -> int | None:
    return None if value is None else int(value)


@router.get("/beneficiaries/figures", response={200: dict[str, Any], **ERRORS})
def beneficiaries_figures(
    request: HttpRequest, period: str, measure_type: str = "job_search_support"
) -> Any:
    """The figures of the latest linkage run for a calendar period (`2025`, `2025-Q2` or
    `2025-06`): distinct people and registrations per measure type and programme, and the
    overlaps of the programmes of `measure_type`. Withheld cells are null with `suppressed:
    true`; the counts are perturbed by cell key (docs/indicators.md, "Differencing")."""
    api_actor(request, ApiScope.BENEFICIARIES_READ)
    try:
        span = parse_period(period)
    except ValueError:
        raise ApiError(
            422, {"period": "write a year, a quarter or a month: 2025, 2025-Q2 or 2025-06"}
        ) from None
    run = selectors.latest_run()
    if run is None:
        raise ApiError(404, {"run": "no linkage run yet"})
    frame = selectors.participations_frame(run)
    measures = sorted(set(frame["measure_type"].to_list()))
    if measure_type not in measures:
        allowed = ", ".join(measures) or "—"
        raise ApiError(422, {"measure_type": f"{measure_type!r}; allowed: {allowed}"})
    threshold = data.threshold()
    secret = data.cell_key_secret()
    counts = figures.unique_beneficiaries(frame, span, threshold=threshold, secret=secret)
    result = figures.overlaps(frame, span, measure_type, threshold=threshold, secret=secret)
    counts = figures.withhold_as_overlaps(counts, result, measure_type)
    return {
        "run": {
            "id": run.pk,
            "finished_at": run.finished_at.isoformat() if run.finished_at else None,
            "stale": selectors.run_is_stale(run),
        },
        "period": {"start": span[0].isoformat(), "end": span[1].isoformat()},
        "threshold": threshold,
        "counts": [
            {
                "measure_type": row["measure_type"],
                "programme": row["programme"],
                "indicator": row["indicator"],
                "count": _count(row["count"]),
                "suppressed": bool(row["suppressed"]),
            }
            for row in counts.iter_rows(named=True)
        ],
        "overlaps": _overlaps_json(result, measure_type),
    }


def _overlaps_json(result: figures.Overlaps, measure_type: str) -> dict[str, Any]:
    """The programmes of `measure_type` and their combinations, withheld ones null."""
    return {
        "measure_type": measure_type,
        "programmes": [
            {"programme": programme, "people": size, "suppressed": size is None}
            for programme, size in zip(result.programmes, result.sizes, strict=True)
        ],
        "combinations": [
            {
                "programmes": [result.programmes[i] for i in combo],
                "people": count,
                "suppressed": count is None,
            }
            for combo, count in result.combinations
        ],
    }
