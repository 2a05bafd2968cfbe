"""Uploads of encodings and participations: validation with clear field errors, atomic
replacement, and the platform encoding an organisation's own person files."""

from __future__ import annotations

import datetime as dt
from typing import Any
from unittest import mock

import polars as pl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from tests.support.beneficiaries import csv_bytes, files

from passerelle.core.linkage import generate_key
from passerelle.web.apps.audit.models import AuditEntry
from passerelle.web.apps.beneficiaries import services
from passerelle.web.apps.beneficiaries.models import (
    EncodedRecord,
    EncodingBatch,
    EncodingsUploadJob,
    Participation,
)
from passerelle.web.apps.beneficiaries.uploads import UploadError, parse_upload

OURS = {"a-jobs": ["job_search_support"]}


def problems(encoded: pl.DataFrame, participations: pl.DataFrame) -> list[tuple[str, str]]:
    with pytest.raises(UploadError) as raised:
        parse_upload(csv_bytes(encoded), csv_bytes(participations), OURS)
    return raised.value.problems


def test_a_valid_upload_parses() -> None:
    encoded, participations = files()
    parsed = parse_upload(csv_bytes(encoded), csv_bytes(participations), OURS)
    assert parsed.encodings.height == encoded.height
    assert {row["measure_type"] for row in parsed.participations} == {"job_search_support"}
    assert all(row["end_date"] is None for row in parsed.participations)


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        (lambda e, p: (e.drop("bf_name"), p), "encodings", "missing column bf_name"),
        (
            lambda e, p: (e.with_columns(given_name=pl.lit("x")), p),
            "encodings",
            "given_name would hold personal data in clear",
        ),
        (
            lambda e, p: (e.with_columns(bf_given=pl.lit("abc")), p),
            "encodings",
            "is not a 512-bit filter",
        ),
        (
            lambda e, p: (pl.concat([e, e.head(1)]), p),
            "encodings",
            "appears more than once",
        ),
        (lambda e, p: (e, p.drop("start_date")), "participations", "missing column start_date"),
        (
            lambda e, p: (e, p.with_columns(programme=pl.lit("b-jobs"))),
            "participations",
            "is not one of your organisation's programmes; allowed: a-jobs",
        ),
        (
            lambda e, p: (e, p.with_columns(measure_type=pl.lit("mentoring"))),
            "participations",
            "allowed: job_search_support",
        ),
        (
            lambda e, p: (e, p.with_columns(start_date=pl.lit("01/02/2025"))),
            "participations",
            "not a date; expected YYYY-MM-DD",
        ),
        (
            lambda e, p: (e, p.with_columns(end_date=pl.lit("2024-01-01"))),
            "participations",
            "end_date on row 1 is before start_date",
        ),
        (
            lambda e, p: (e, p.with_columns(record_id=pl.lit("nobody"))),
            "participations",
            "'nobody' on row 1 is not in the encodings",
        ),
        (lambda e, p: (e, p.tail(-1)), "participations", "has no participation"),
        (
            lambda e, p: (e, p.with_columns(phone=pl.lit("0470"))),
            "participations",
            "column phone would hold personal data in clear",
        ),
    ],
)
def test_invalid_uploads_name_the_field_and_the_problem(
    change: Any, field: str, words: str
) -> None:
    encoded, participations = change(*files())
    found = problems(encoded, participations)
    assert any(name == field and words in message for name, message in found), found


def test_not_a_csv_file() -> None:
    with pytest.raises(UploadError) as raised:
        parse_upload(b"\xff\xfe\x00", b"", OURS)
    assert raised.value.problems[0][0] == "encodings"


def upload(client: Any, encoded: pl.DataFrame, participations: pl.DataFrame) -> Any:
    return client.post(
        "/analysis/beneficiaries/share/",
        {
            "action": "upload",
            "encodings": SimpleUploadedFile("ENCODED.csv", csv_bytes(encoded)),
            "participations": SimpleUploadedFile("participations.csv", csv_bytes(participations)),
        },
    )


def test_an_upload_replaces_the_previous_one_atomically(
    clients: dict[str, Any], organisations: Any, programmes: Any, run_worker: Any
) -> None:
    coordinator = clients["coordinator"]
    first = files(12, seed=3)
    assert upload(coordinator, *first).status_code == 302
    run_worker()  # the worker stores the upload (test_encodings_jobs.py)
    assert EncodedRecord.objects.filter(organisation=organisations["a"]).count() == 12
    second = files(5, seed=4)
    assert upload(coordinator, *second).status_code == 302
    run_worker()
    stored = set(EncodedRecord.objects.values_list("record_id", flat=True))
    assert stored == set(second[0]["record_id"].to_list())
    assert EncodingBatch.objects.count() == 1
    assert Participation.objects.count() == 5
    # an invalid upload changes nothing and its job's page names the problem
    job_page = upload(coordinator, second[0].drop("phone"), second[1])["Location"]
    run_worker()
    assert "missing column phone" in coordinator.get(job_page).content.decode()
    assert set(EncodedRecord.objects.values_list("record_id", flat=True)) == stored
    # a form without its files is refused at once, naming them
    page = coordinator.post("/analysis/beneficiaries/share/", {"action": "upload"})
    assert page.status_code == 400
    assert "This field is required" in page.content.decode()
    # a failure half-way through the writing leaves the previous upload whole
    with (
        mock.patch.object(Participation.objects, "bulk_create", side_effect=RuntimeError("disk")),
        pytest.raises(RuntimeError),
    ):
        services.encodings_upload(
            organisation=organisations["a"],
            user=None,
            encodings=csv_bytes(first[0]),
            participations=csv_bytes(first[1]),
        )
    assert set(EncodedRecord.objects.values_list("record_id", flat=True)) == stored
    assert Participation.objects.count() == 5
    replaced = AuditEntry.objects.filter(action="encodings_replace").order_by("at", "id")
    assert [entry.detail["records"] for entry in replaced] == [12, 5]
    assert replaced.last().detail["replaced_records"] == 12


def test_the_platform_encodes_an_organisation_s_own_files(
    tmp_path: Any, organisations: Any, programmes: Any, make_user: Any
) -> None:
    from tests.support.accounts import actor_of
    from tests.support.people import synthetic_file

    from passerelle.web.apps.people.services import person_create
    from passerelle.web.apps.referrals.models import Referral

    key_file = tmp_path / "sector.key"
    key_file.write_text(generate_key() + "\n")
    coordinator = make_user("coord-a", "coordinator", "a")
    actor = actor_of(coordinator)
    names = [("Mohammed", "Al-Hassan"), ("Abdelrahman", "Yusuf"), ("Amanuel", "Tesfaye")]
    persons = [
        person_create(actor=actor, data=synthetic_file(given=given, family=family))
        for given, family in names
    ]
    for person, state in zip(persons[:2], ("in_progress", "completed"), strict=True):
        Referral.objects.create(
            person=person,
            programme=programmes["a"],
            sender=organisations["b"],
            receiver=organisations["a"],
            state=state,
            planned_start=dt.date(2025, 3, 1),
        )
    with override_settings(LINKAGE_SECTOR_KEY_FILE=str(key_file)):
        batch = services.encodings_from_person_files(actor=actor)
    assert batch.source == "platform"
    assert batch.records == 2  # the third took part in nothing: not shared
    rows = list(EncodedRecord.objects.values_list("record_id", "encoding"))
    assert {record_id for record_id, _encoding in rows} == {str(p.pk) for p in persons[:2]}
    stored = repr(rows).lower()
    for given, family in names:
        assert given.lower() not in stored
        assert family.lower() not in stored
    assert "2001-03-14" not in stored  # the synthetic files' birth date
    assert Participation.objects.filter(programme=programmes["a"]).count() == 2
    with (
        override_settings(LINKAGE_SECTOR_KEY_FILE=""),
        pytest.raises(services.SectorKeyMissingError),
    ):
        services.encodings_from_person_files(actor=actor)


def test_the_encode_button_says_when_the_platform_has_no_key(
    clients: dict[str, Any], programmes: Any
) -> None:
    with override_settings(LINKAGE_SECTOR_KEY_FILE=""):
        response = clients["coordinator"].post(
            "/analysis/beneficiaries/share/", {"action": "encode-files"}, follow=True
        )
    assert "no sector key" in response.content.decode()
    assert not EncodingBatch.objects.exists()


def _on_row(frame: pl.DataFrame, row: int, **values: str) -> pl.DataFrame:
    """`frame` with `values` written into its row `row` (from 0) only."""
    index = pl.int_range(pl.len())
    return frame.with_columns(
        [
            pl.when(index == row).then(pl.lit(value)).otherwise(pl.col(column)).alias(column)
            for column, value in values.items()
        ]
    )


@pytest.mark.parametrize(
    ("values", "words"),
    [
        ({"dob_full": "1979-05-26"}, "column dob_full, row 3 is not a keyed token"),
        ({"phone": "+32 470 12 34 56"}, "column phone, row 3 is not a keyed token"),
        ({"phone": "0470123456"}, "column phone, row 3 is not a keyed token"),
        ({"first_given": "Ahmad"}, "column first_given, row 3 is not a keyed token"),
        ({"postcode": "1030"}, "column postcode, row 3 is not a keyed token"),
        # right length, wrong alphabet; upper case is not what `encode` writes
        ({"name_key": "zzzzzzzzzzzzzzzz"}, "column name_key, row 3 is not a keyed token"),
        ({"name_key": "ABCDEF0123456789"}, "column name_key, row 3 is not a keyed token"),
        ({"dob_year": "0123456789abcdef0"}, "column dob_year, row 3 is not a keyed token"),
        ({"blk_names": "a" * 1_000_000}, "column blk_names, row 3 is not a keyed token"),
        ({"bf_given": "f" * 1_000_000}, "column bf_given, row 3 is not a 512-bit filter"),
        ({"bf_name": "Ahmad Al-Hassan"}, "column bf_name, row 3 is not a 512-bit filter"),
        (
            {"dob_masks": "0123456789abcdef 1979-05-26"},
            "column dob_masks, row 3 is not a list of keyed tokens",
        ),
        (
            {"blk_token": " ".join(["0123456789abcdef"] * 121)},
            "column blk_token, row 3 is not a list of keyed tokens (1 to 120 tokens",
        ),
        (
            {"blk_token": "0123456789abcdef  0123456789abcdef"},
            "column blk_token, row 3 is not a list of keyed tokens",
        ),
        ({"record_id": "r\x003"}, "record_id on row 3 holds a control or invisible character"),
        (
            {"record_id": "r\u202e3"},
            "record_id on row 3 holds a control or invisible character",
        ),
        ({"record_id": "r\u200b3"}, "record_id on row 3 holds a control or invisible"),
        ({"record_id": "r\n3"}, "record_id on row 3 holds a control or invisible character"),
        ({"record_id": "r" * 65}, "record_id on row 3 is longer than 64 characters"),
    ],
)
def test_an_encoding_column_accepts_only_what_encode_writes(
    values: dict[str, str], words: str
) -> None:
    encoded, participations = files()
    if "record_id" in values:  # the participations name the same id
        participations = _on_row(participations, 2, **values)
    found = problems(_on_row(encoded, 2, **values), participations)
    assert any(name == "encodings" and words in message for name, message in found), found
    for value in values.values():  # personal data sent by mistake is not echoed back
        if value.isprintable() and len(value) > 3:
            assert all(value not in message for _name, message in found)


def test_every_malformed_column_is_named_with_its_count_of_rows() -> None:
    encoded, participations = files()
    found = problems(
        encoded.with_columns(dob_full=pl.lit("1979-05-26"), first_given=pl.lit("Ahmad")),
        participations,
    )
    messages = [message for _name, message in found]
    assert any(m.startswith("column dob_full, row 1 (and 11 other rows)") for m in messages)
    assert any(m.startswith("column first_given, row 1 (and 11 other rows)") for m in messages)


def test_an_encoding_upload_with_clear_values_stores_nothing(
    clients: dict[str, Any], programmes: Any, run_worker: Any
) -> None:
    encoded, participations = files()
    assert upload(clients["coordinator"], encoded, participations).status_code == 302
    run_worker()
    stored = sorted(EncodedRecord.objects.values_list("record_id", "encoding"))
    assert len(stored) == encoded.height
    # every row but the last is a valid encoding: the upload is refused whole
    bad = _on_row(encoded, encoded.height - 1, phone="0470123456")
    response = upload(clients["coordinator"], bad, participations)
    run_worker()
    page = clients["coordinator"].get(response["Location"]).content.decode()
    assert "column phone, row 12 is not a keyed token" in page
    assert "0470123456" not in page
    assert sorted(EncodedRecord.objects.values_list("record_id", "encoding")) == stored
    assert "0470123456" not in repr(list(EncodedRecord.objects.values_list("encoding")))
    job = EncodingsUploadJob.objects.order_by("-id").first()
    assert job is not None
    assert (job.status, job.content, job.participations) == ("failed", None, None)


def test_encoding_person_files_without_birth_dates_or_contacts_works(
    tmp_path: Any, clients: dict[str, Any], organisations: Any, programmes: Any, run_worker: Any
) -> None:
    """The "encode person files" action once failed with polars' SchemaError (a 500) when
    no shared file had a birth date: the empty column had no type."""
    from django.contrib.auth import get_user_model
    from tests.support.accounts import actor_of
    from tests.support.people import synthetic_file

    from passerelle.web.apps.people.services import person_create
    from passerelle.web.apps.referrals.models import Referral

    key_file = tmp_path / "sector.key"
    key_file.write_text(generate_key() + "\n")
    actor = actor_of(get_user_model().objects.get(username="coord-a"))
    person = person_create(
        actor=actor, data=synthetic_file(birth_date=None, phone="", given="Abdelrahman")
    )
    Referral.objects.create(
        person=person,
        programme=programmes["a"],
        sender=organisations["b"],
        receiver=organisations["a"],
        state="in_progress",
        planned_start=dt.date(2025, 3, 1),
    )
    with override_settings(LINKAGE_SECTOR_KEY_FILE=str(key_file)):
        queued = clients["coordinator"].post(
            "/analysis/beneficiaries/share/", {"action": "encode-files"}
        )
        assert not EncodedRecord.objects.exists()  # the worker encodes them
        run_worker()
    response = clients["coordinator"].get(queued["Location"])
    assert response.status_code == 200
    assert "1 person files encoded and shared" in response.content.decode()
    record = EncodedRecord.objects.get()
    assert record.record_id == str(person.pk)
    assert record.encoding["dob_full"] is None
    assert record.encoding["bf_given"]
