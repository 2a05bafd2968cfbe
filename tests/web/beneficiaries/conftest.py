"""Fixtures for unique beneficiaries: three organisations with programmes, synthetic
encodings (`core.linkage.synthetic`, SYNTHETIC DATA ONLY) and logged-in clients."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import polars as pl
import pytest
from django.contrib.auth.models import User
from django.test import Client
from tests.web.people.conftest import logged_in

from passerelle.core.linkage import encode
from passerelle.core.linkage.synthetic import generate
from passerelle.web.apps.accounts.models import PlatformRole
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
def clients(make_user: Callable[..., User], organisations: Any) -> dict[str, Client]:
    return {
        "analyst": logged_in(make_user("analyst", platform_role=PlatformRole.ANALYST)),
        "coordinator": logged_in(make_user("coord-a", "coordinator", "a")),
        "org_admin": logged_in(make_user("admin-b", "org_admin", "b")),
        "caseworker": logged_in(make_user("case-a", "caseworker", "a")),
    }


@pytest.fixture(autouse=True)
def _english(in_english: None) -> None:
    """These tests read the pages' English words."""
