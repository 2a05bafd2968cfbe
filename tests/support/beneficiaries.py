"""Unique beneficiaries for tests: three organisations' programmes, synthetic encodings
(`core.linkage.synthetic`, SYNTHETIC DATA ONLY), a constructed linkage run, and the pages."""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl
import pytest
from django.utils import timezone

from passerelle.core.linkage import encode
from passerelle.core.linkage.synthetic import generate
from passerelle.web.apps.beneficiaries import services
from passerelle.web.apps.beneficiaries.models import (
    CandidatePair,
    ClusterMember,
    EncodedRecord,
    EncodingBatch,
    LinkageRun,
    Participation,
)
from passerelle.web.apps.beneficiaries.uploads import ParsedUpload
from passerelle.web.apps.directory.models import Organisation, Programme, stable_uuid

KEY = bytes(range(32))
"""A test sector key (never a real one)."""


PROGRAMMES = {
    "a": ("a-jobs", ["job_search_support"]),
    "b": ("b-jobs", ["job_search_support", "mentoring"]),
    "c": ("c-jobs", ["job_search_support"]),
}


@pytest.fixture
def programmes(organisations: dict[str, Organisation]) -> dict[str, Programme]:
    made = {}
    for key, (slug, categories) in PROGRAMMES.items():
        made[key] = Programme.objects.create(
            slug=slug,
            uuid=stable_uuid("programme", slug),
            organisation=organisations[key],
            names={"fr": slug, "nl": slug, "en": slug},
            categories=categories,
        )
    return made


def synthetic_records(persons: int, seed: int = 11) -> pl.DataFrame:
    """Synthetic records (with `person_id`, the truth) spread over organisations a, b, c."""
    records = generate(persons, seed=seed)
    names = sorted(set(records["organisation"].to_list()))
    spread = {name: "abc"[index % 3] for index, name in enumerate(names)}
    return records.with_columns(pl.col("organisation").replace_strict(spread).alias("org"))


def parsed_for(records: pl.DataFrame, programme: str) -> ParsedUpload:
    """The upload of one organisation: its records encoded, one participation each."""
    encoded = encode(records, KEY)
    participations = [
        {
            "record_id": record_id,
            "programme": programme,
            "measure_type": "job_search_support",
            "start_date": dt.date(2025, 1, 1) + dt.timedelta(days=index % 200),
            "end_date": None,
        }
        for index, record_id in enumerate(records["record_id"].to_list())
    ]
    return ParsedUpload(encodings=encoded, participations=participations)


def csv_bytes(frame: pl.DataFrame) -> bytes:
    return frame.write_csv().encode()


@pytest.fixture
def constructed_run(organisations: Any, programmes: Any) -> LinkageRun:
    """A finished run over 3 organisations: 20 people in a-jobs only, 8 in a-jobs and
    b-jobs at once, 3 in b-jobs and c-jobs (a small cell), in 2025; one pair to review."""
    run = LinkageRun.objects.create(
        threshold=0.6,
        review_low=0.3,
        review_high=0.9,
        status="done",
        records=0,
        finished_at=timezone.now(),
    )
    batches = {
        key: EncodingBatch.objects.create(organisation=org, source="upload")
        for key, org in organisations.items()
    }
    made: list[EncodedRecord] = []

    def person(number: int, keys: str) -> None:
        for key in keys:
            record = EncodedRecord.objects.create(
                batch=batches[key],
                organisation=organisations[key],
                record_id=f"{key}-{number}",
                encoding={"bf_name": "0" * 128},
            )
            Participation.objects.create(
                record=record,
                programme=programmes[key],
                measure_type="job_search_support",
                start_date=dt.date(2025, 3, 1),
                end_date=dt.date(2025, 6, 30),
            )
            ClusterMember.objects.create(run=run, record=record, cluster=number)
            made.append(record)

    for number in range(1, 21):
        person(number, "a")
    for number in range(21, 29):
        person(number, "ab")
    for number in range(29, 32):
        person(number, "bc")
    CandidatePair.objects.create(
        run=run,
        record_a=made[0],
        record_b=made[1],
        match_probability=0.55,
        match_weight=0.3,
        comparisons=[
            {"comparison": "name", "level": "name ≥ 0.7", "weight": 2.1},
            {"comparison": "birth_date", "level": "same year", "weight": -1.5},
            {"comparison": "postcode", "level": "missing on one side", "weight": 0.0},
            {"comparison": "phone", "level": "All other comparisons", "weight": -0.4},
        ],
    )
    return run


PAGES = {
    "overview": "/analysis/beneficiaries/?period=2025&measure=job_search_support",
    "csv": "/analysis/beneficiaries/report.csv?period=2025&measure=job_search_support",
    "pdf": "/analysis/beneficiaries/report.pdf?period=2025&measure=job_search_support",
    "runs": "/analysis/beneficiaries/runs/",
    "review": "/analysis/beneficiaries/review/",
    "share": "/analysis/beneficiaries/share/",
    "outcomes": "/analysis/beneficiaries/outcomes/",
}


SHARED_PERSONS = 600
"""How many synthetic people the `shared` encodings hold."""


@pytest.fixture
def shared(organisations: Any, programmes: Any) -> pl.DataFrame:
    """Each organisation's synthetic records, encoded and shared; returns the records."""
    records = synthetic_records(SHARED_PERSONS)
    for key in "abc":
        part = records.filter(pl.col("org") == key)
        services.encodings_replace(
            organisation=organisations[key],
            parsed=parsed_for(part, programmes[key].slug),
            source="upload",
        )
    return records


def files(persons: int = 12, seed: int = 3) -> tuple[pl.DataFrame, pl.DataFrame]:
    records = synthetic_records(persons, seed=seed)
    encoded = encode(records, KEY)
    participations = pl.DataFrame(
        {
            "record_id": records["record_id"],
            "programme": ["a-jobs"] * records.height,
            "start_date": ["2025-02-01"] * records.height,
            "end_date": [""] * records.height,
        }
    )
    return encoded, participations
