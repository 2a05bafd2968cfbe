"""Reads: the latest run, its clustered participations as a frame, the review queue, the
organisations' batches. No name exists in this app to be read."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from typing import Any

import polars as pl
from django.db.models import Count, Max, QuerySet
from django.utils import timezone

from passerelle.core.indicators.beneficiaries import INPUT_SCHEMA
from passerelle.web.apps.beneficiaries.models import (
    BatchSource,
    CandidatePair,
    ClusterMember,
    EncodingBatch,
    EncodingsUploadJob,
    ImportedOutcome,
    LinkageRun,
    OutcomeImport,
    OutcomeImportJob,
    Participation,
    ReviewDecision,
    RunStatus,
)


def latest_run() -> LinkageRun | None:
    """The latest finished run: the one every figure comes from."""
    return LinkageRun.objects.filter(status=RunStatus.DONE).order_by("-started_at", "-id").first()


def current_run() -> LinkageRun | None:
    """The latest run, finished or not."""
    return LinkageRun.objects.order_by("-started_at", "-id").first()


RUN_TIMEOUT = dt.timedelta(hours=2)
"""A run still "running" after this long was interrupted (the process stopped)."""


def run_is_going_on(run: LinkageRun | None) -> bool:
    return (
        run is not None
        and run.status == RunStatus.RUNNING
        and run.started_at > timezone.now() - RUN_TIMEOUT
    )


def run_is_stale(run: LinkageRun) -> bool:
    """True when an organisation's encodings changed after the run started."""
    return EncodingBatch.objects.filter(created_at__gt=run.started_at).exists()


def _persons(run: LinkageRun) -> tuple[dict[int, int], dict[int, str], dict[tuple[int, str], int]]:
    """The run's cluster of each record (by pk and by organisation id and record id) and
    each cluster's `person`: the smallest organisation/record id among its records, which
    stays the same from run to run while the person's records do."""
    members = ClusterMember.objects.filter(run=run).values_list(
        "record_id",
        "cluster",
        "record__organisation__slug",
        "record__organisation_id",
        "record__record_id",
    )
    cluster_of: dict[int, int] = {}
    person: dict[int, str] = {}
    by_record: dict[tuple[int, str], int] = {}
    for record_pk, cluster, organisation, organisation_id, record_id in members:
        cluster_of[record_pk] = cluster
        by_record[(organisation_id, record_id)] = cluster
        name = f"{organisation}/{record_id}"
        person[cluster] = min(person.get(cluster, name), name)
    return cluster_of, person, by_record


def participations_frame(run: LinkageRun) -> pl.DataFrame:
    """One row per participation of a record of the run, with the record's cluster and the
    cluster's `person`: the smallest organisation/record id among its records, which stays
    the same from run to run while the person's records do (the cell keys of published
    counts derive from it; cluster numbers change with every run)."""
    cluster_of, person, _by_record = _persons(run)
    rows = [
        {
            "cluster": cluster_of[record_id],
            "organisation": organisation,
            "programme": programme,
            "measure_type": measure,
            "start_date": start,
            "end_date": end,
            "person": person[cluster_of[record_id]],
        }
        for record_id, organisation, programme, measure, start, end in Participation.objects.filter(
            record_id__in=list(cluster_of)
        ).values_list(
            "record_id",
            "record__organisation__slug",
            "programme__slug",
            "measure_type",
            "start_date",
            "end_date",
        )
    ]
    return pl.DataFrame(rows, schema=INPUT_SCHEMA | {"person": pl.String})


def _decided() -> set[tuple[int, str, int, str]]:
    return set(
        ReviewDecision.objects.values_list(
            "organisation_a_id", "record_id_a", "organisation_b_id", "record_id_b"
        )
    )


def pair_decision(pair: CandidatePair) -> ReviewDecision | None:
    first, second = sorted(
        (pair.record_a, pair.record_b), key=lambda r: (r.organisation_id, r.record_id)
    )
    return ReviewDecision.objects.filter(
        organisation_a_id=first.organisation_id,
        record_id_a=first.record_id,
        organisation_b_id=second.organisation_id,
        record_id_b=second.record_id,
    ).first()


def review_queue(run: LinkageRun) -> list[CandidatePair]:
    """The run's pairs to review that have no decision yet, the most uncertain first
    (closest to a probability of one half)."""
    decided = _decided()
    pending = []
    for pair in CandidatePair.objects.filter(run=run).select_related("record_a", "record_b"):
        first, second = sorted(
            (pair.record_a, pair.record_b), key=lambda r: (r.organisation_id, r.record_id)
        )
        key = (first.organisation_id, first.record_id, second.organisation_id, second.record_id)
        if key not in decided:
            pending.append(pair)
    return sorted(pending, key=lambda pair: (abs(pair.match_probability - 0.5), pair.pk))


def batches() -> QuerySet[EncodingBatch]:
    return EncodingBatch.objects.select_related("organisation").order_by("organisation__slug")


def batch_of(organisation: Any) -> EncodingBatch | None:
    return EncodingBatch.objects.filter(organisation=organisation).first()


def recent_runs(limit: int = 10) -> list[LinkageRun]:
    return list(LinkageRun.objects.all()[:limit])


IMPORTED_OUTCOMES_SCHEMA = {
    "person": pl.String,
    "outcome_date": pl.Date,
    "situation": pl.String,
    "contract_type": pl.String,
    "hours": pl.Float64,
    "source": pl.String,
    "import_id": pl.Int64,
}


def imported_outcomes(
    run: LinkageRun | None = None,
    *,
    start: dt.date | None = None,
    end: dt.date | None = None,
    sources: Collection[str] | None = None,
) -> pl.DataFrame:
    """The administrative outcomes imported (docs/outcomes.md), one row per outcome, with
    the `person` of `run` (the latest finished run by default) that their record belongs
    to: the same key as `participations_frame`'s, so the two join. Outcomes dated from
    `start` to `end` (both included) of the given `sources`; those whose record is in no
    cluster of the run (a record shared again under another id, or erased) are left out.
    `contract_type` is empty and `hours` null unless the situation is employed; `hours`
    may be null then too (unknown)."""
    run = run if run is not None else latest_run()
    if run is None:
        return pl.DataFrame(schema=IMPORTED_OUTCOMES_SCHEMA)
    _cluster_of, person, by_record = _persons(run)
    outcomes = ImportedOutcome.objects.all()
    if start is not None:
        outcomes = outcomes.filter(outcome_date__gte=start)
    if end is not None:
        outcomes = outcomes.filter(outcome_date__lte=end)
    if sources is not None:
        outcomes = outcomes.filter(source__in=list(sources))
    rows = []
    for (
        organisation_id,
        record_id,
        date,
        situation,
        contract,
        hours,
        source,
        import_id,
    ) in outcomes.order_by("outcome_date", "id").values_list(
        "organisation_id",
        "record_id",
        "outcome_date",
        "situation",
        "contract_type",
        "hours",
        "source",
        "outcome_import_id",
    ):
        cluster = by_record.get((organisation_id, record_id))
        if cluster is None:
            continue
        rows.append(
            {
                "person": person[cluster],
                "outcome_date": date,
                "situation": situation,
                "contract_type": contract,
                "hours": float(hours) if hours is not None else None,
                "source": source,
                "import_id": import_id,
            }
        )
    return pl.DataFrame(rows, schema=IMPORTED_OUTCOMES_SCHEMA)


def outcome_imports(limit: int = 20) -> list[OutcomeImport]:
    return list(OutcomeImport.objects.all()[:limit])


def outcome_import_jobs(limit: int = 10) -> list[OutcomeImportJob]:
    """The latest files given to import, with their state (the files themselves are not
    read: only the task reads them)."""
    return list(OutcomeImportJob.objects.defer("content")[:limit])


def outcome_import_job(job_id: int) -> OutcomeImportJob | None:
    return OutcomeImportJob.objects.defer("content").filter(pk=job_id).first()


def encodings_upload_jobs(organisation: Any, limit: int = 5) -> list[EncodingsUploadJob]:
    """The organisation's latest uploads, with their state (the files are not read)."""
    found = EncodingsUploadJob.objects.defer("content", "participations")
    return list(found.filter(organisation=organisation)[:limit])


def encodings_upload_job(organisation: Any, job_id: int) -> EncodingsUploadJob | None:
    """One of the organisation's uploads: another organisation's is not found."""
    found = EncodingsUploadJob.objects.defer("content", "participations")
    return found.filter(organisation=organisation, pk=job_id).first()


def file_links_version() -> tuple[int, str, int] | None:
    """What the person files' links depend on: the latest finished run and the latest
    encodings (a new batch replaces records, and with them their clusters); None while no
    run has finished."""
    run = latest_run()
    if run is None:
        return None
    batches = EncodingBatch.objects.aggregate(n=Count("pk"), last=Max("created_at"))
    return (run.pk, str(batches["last"]), batches["n"])


def file_links(version: tuple[int, str, int]) -> list[tuple[str, str]]:
    """(person file id, representative file id) for every person file that the run of
    `version` put in a cluster with other person files: the platform's own encodings
    (`services.encodings_from_person_files`), whose record ids are the files' ids. The
    representative is the cluster's smallest file id, so the same cluster keeps the same
    person id (and cell key) from view to view."""
    members = ClusterMember.objects.filter(
        run_id=version[0], record__batch__source=BatchSource.PLATFORM
    ).values_list("cluster", "record__record_id")
    clusters: dict[int, set[str]] = {}
    for cluster, record_id in members.iterator():
        clusters.setdefault(cluster, set()).add(record_id)
    return [
        (record_id, min(files))
        for files in clusters.values()
        if len(files) > 1
        for record_id in sorted(files)
    ]


def file_links_finished_on(version: tuple[int, str, int]) -> dt.date | None:
    run = LinkageRun.objects.filter(pk=version[0]).values_list("finished_at", flat=True).first()
    return timezone.localdate(run) if run is not None else None
