"""Administrative outcomes for tests (issue 17, item 2): a finished linkage run over
synthetic encodings (`core.linkage.synthetic`, SYNTHETIC DATA ONLY) with a model trained by
the engine, and an outside source's files of outcomes encoded with a key."""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any

import polars as pl
import pytest
from django.utils import timezone
from tests.support.beneficiaries import KEY, csv_bytes, synthetic_records
from tests.support.linkage_model import trained_model

from passerelle.core.linkage import encode
from passerelle.web.apps.beneficiaries.models import (
    ClusterMember,
    EncodedRecord,
    EncodingBatch,
    LinkageRun,
    Participation,
)

OTHER_KEY = bytes(range(100, 132))
"""A key that is not the platform's (another sector, or a source that used the wrong one)."""
TODAY = dt.date(2026, 6, 30)
IDENTITY = ("given_name", "surname", "birth_date", "postcode", "phone")
# Two different people with the same names and birth date, living apart (SYNTHETIC).
TWINS = [
    ("twin-1", "Samira", "Haddadine", "1991-04-17", "1030", "0470111222"),
    ("twin-2", "Samira", "Haddadine", "1991-04-17", "1080", "0488333444"),
]


@functools.cache
def platform_records() -> pl.DataFrame:
    """The synthetic records the organisations share (with `person_id`, the truth)."""
    return synthetic_records(240, seed=5)


@pytest.fixture
def outcome_run(organisations: Any, programmes: Any) -> LinkageRun:
    """A finished run as `run_execute` stores it, with a model trained by the engine and the
    persons of the synthetic truth as its clusters; the twins are two persons (a
    coordinator decided so). Each record took part in its organisation's programme."""
    records = platform_records()
    made = LinkageRun.objects.create(
        threshold=0.5,
        review_low=0.3,
        review_high=0.9,
        status="done",
        finished_at=timezone.now(),
        model=trained_model(),
    )
    twins = pl.DataFrame([dict(zip(("record_id", *IDENTITY), twin, strict=True)) for twin in TWINS])
    encoded = pl.concat([encode(records, KEY), encode(twins, KEY)])
    org_of = dict(zip(records["record_id"], records["org"], strict=True))
    person_of = dict(zip(records["record_id"], records["person_id"], strict=True))
    org_of |= {"twin-1": "a", "twin-2": "b"}
    person_of |= {"twin-1": "twin-1", "twin-2": "twin-2"}
    batches = {
        key: EncodingBatch.objects.create(organisation=org, source="upload")
        for key, org in organisations.items()
    }
    stored = EncodedRecord.objects.bulk_create(
        [
            EncodedRecord(
                batch=batches[org_of[row["record_id"]]],
                organisation=organisations[org_of[row["record_id"]]],
                record_id=row["record_id"],
                encoding={k: v for k, v in row.items() if k != "record_id"},
            )
            for row in encoded.iter_rows(named=True)
        ]
    )
    numbers: dict[str, int] = {}
    ClusterMember.objects.bulk_create(
        ClusterMember(
            run=made,
            record=record,
            cluster=numbers.setdefault(person_of[record.record_id], len(numbers) + 1),
        )
        for record in stored
    )
    Participation.objects.bulk_create(
        Participation(
            record=record,
            programme=programmes[org_of[record.record_id]],
            measure_type="job_search_support",
            start_date=dt.date(2025, 3, 1),
        )
        for record in stored
    )
    return made


def outcome_file(
    identities: pl.DataFrame, outcomes: list[dict[str, str]], key: bytes = KEY
) -> bytes:
    """The source's file: identities encoded with `key` (`passerelle encode`) joined to the
    outcomes by the source's row reference."""
    encoded = encode(identities.select("record_id", *IDENTITY), key)
    extra = pl.DataFrame(outcomes, schema=dict.fromkeys(OUTCOME_FIELDS, pl.String))
    return csv_bytes(pl.concat([encoded, extra], how="horizontal"))


OUTCOME_FIELDS = ("outcome_date", "situation", "contract_type", "hours", "source")
EMPLOYED = {
    "outcome_date": "2026-03-31",
    "situation": "employed",
    "contract_type": "article_60",
    "hours": "38",
    "source": "actiris-2026q1",
}
LOOKING = {
    "outcome_date": "2026-03-31",
    "situation": "looking_for_work",
    "contract_type": "",
    "hours": "",
    "source": "actiris-2026q1",
}


def persons_on_platform(count: int) -> pl.DataFrame:
    """One record of each of `count` synthetic persons of the platform, as the source holds
    them (renumbered: the source's references are its own)."""
    records = platform_records()
    one_each = records.unique("person_id", keep="first", maintain_order=True).head(count)
    return one_each.with_columns(
        pl.col("record_id").alias("platform_record"),
        pl.format("src-{}", pl.int_range(1, count + 1)).alias("record_id"),
    )


def stranger() -> pl.DataFrame:
    return pl.DataFrame(
        [
            {
                "record_id": "src-x",
                "given_name": "Oskarina",
                "surname": "Wielopolska-Tremblay",
                "birth_date": "1958-11-02",
                "postcode": "1170",
                "phone": "0499876543",
            }
        ]
    )


def twin_row() -> pl.DataFrame:
    """The source knows the twins' name and birth date only: both fit it as well."""
    return pl.DataFrame(
        [
            {
                "record_id": "src-t",
                "given_name": "Samira",
                "surname": "Haddadine",
                "birth_date": "1991-04-17",
                "postcode": None,
                "phone": None,
            }
        ],
        schema=dict.fromkeys(("record_id", *IDENTITY), pl.String),
    )


def known_and_stranger_file(known: int = 2) -> bytes:
    """An outcome file of `known` persons on the platform and one stranger, all looking for
    work: what the outcome-import job tests upload."""
    rows = pl.concat([persons_on_platform(known).select("record_id", *IDENTITY), stranger()])
    return outcome_file(rows, [LOOKING] * (known + 1))
