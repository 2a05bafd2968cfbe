"""The platform's records as the indicators' frames (`core.indicators.platform`), on
hand-written rows whose mapping is known. Synthetic people only."""

from __future__ import annotations

import datetime as dt
import uuid

import polars as pl
import pytest

from passerelle.core.indicators.employment import employed_on
from passerelle.core.indicators.platform import (
    FILES_SCHEMA,
    FOLLOW_UPS_SCHEMA,
    PARTICIPATIONS_SCHEMA,
    ReferralEventRow,
    VersionRow,
    evaluation_sample,
    file_state_on,
    files_on,
    participation_events_of,
    persons_frame,
    persons_frame_of,
    referral_frames,
    restrict,
    right_to_work_date,
    stable_id,
)

PERSON, REFERRAL = uuid.UUID(int=7 << 70), uuid.UUID(int=9 << 90)
DAY = dt.date(2026, 3, 2)


def _row(before: str, after: str, day: dt.date, **extra: str) -> ReferralEventRow:
    fields = {"rejection_reason": "", "outcome": ""} | extra
    return ReferralEventRow(
        REFERRAL, PERSON, "cpas", "duo", "duo-mentoring", before, after, day, **fields
    )


def test_a_referral_through_its_life_gives_participation_job_and_referral_events() -> None:
    rows = [
        _row("draft", "sent", DAY),
        _row("sent", "accepted", DAY + dt.timedelta(days=3)),
        _row("accepted", "in_progress", DAY + dt.timedelta(days=10)),
        _row("in_progress", "completed", DAY + dt.timedelta(days=90), outcome="job_found"),
    ]
    events, referrals = referral_frames(rows)
    assert referrals["event"].cast(str).to_list() == ["sent", "accepted", "started", "closed"]
    assert set(referrals["person_id"]) == {stable_id(PERSON)}
    assert set(referrals["referral_id"]) == {stable_id(REFERRAL)}
    assert events.select(pl.col("kind").cast(str), "date", "programme").rows() == [
        ("programme_start", DAY + dt.timedelta(days=10), "duo-mentoring"),
        ("programme_end", DAY + dt.timedelta(days=90), "duo-mentoring"),
        ("job_start", DAY + dt.timedelta(days=90), None),
    ]


def test_a_rejection_keeps_its_reason_and_no_participation() -> None:
    events, referrals = referral_frames(
        [_row("draft", "sent", DAY), _row("sent", "rejected", DAY, rejection_reason="no_capacity")]
    )
    assert events.height == 0
    assert referrals["reason"].to_list() == [None, "no_capacity"]


def test_a_completion_without_a_job_is_no_job_event() -> None:
    events, _ = referral_frames([_row("in_progress", "completed", DAY, outcome="finished")])
    assert events["kind"].cast(str).to_list() == ["programme_end"]


def _follow_ups(*rows: tuple[dt.date, str]) -> pl.DataFrame:
    return pl.DataFrame(
        [(str(REFERRAL), str(PERSON), day, situation) for day, situation in rows],
        schema=FOLLOW_UPS_SCHEMA,
        orient="row",
    )


COMPLETED_WITH_A_JOB = [
    _row("accepted", "in_progress", DAY),
    _row("in_progress", "completed", DAY + dt.timedelta(days=90), outcome="job_found"),
]
SIX_MONTHS, TWELVE_MONTHS = dt.date(2026, 11, 30), dt.date(2027, 5, 31)


def test_follow_ups_replace_the_completions_job_assumption() -> None:
    # Found a job at completion, looking for work at 6 months, employed at 12 months.
    follow_ups = _follow_ups((SIX_MONTHS, "looking_for_work"), (TWELVE_MONTHS, "employed"))
    events, _ = referral_frames(COMPLETED_WITH_A_JOB, follow_ups)
    assert events.select(pl.col("kind").cast(str), "date").rows() == [
        ("programme_start", DAY),
        ("programme_end", DAY + dt.timedelta(days=90)),
        ("job_end", SIX_MONTHS),
        ("job_start", TWELVE_MONTHS),
    ]  # no job start on the completion day: the follow-ups say what happened
    for day, employed in ((SIX_MONTHS, 0), (TWELVE_MONTHS, 1), (DAY + dt.timedelta(days=91), 0)):
        assert employed_on(events, day).collect().height == employed, day


def test_moved_away_or_unreachable_keeps_the_assumption_and_adds_nothing() -> None:
    events, _ = referral_frames(COMPLETED_WITH_A_JOB, _follow_ups((SIX_MONTHS, "unreachable")))
    assert events["kind"].cast(str).to_list() == ["programme_start", "programme_end", "job_start"]


def test_persons_without_names_and_the_right_to_work_of_the_rules() -> None:
    profile = {
        "legal_status": "asylum_seeker",
        "asylum_application_date": "2020-01-10",
        "languages": {"fr": "B1", "ti": "C2"},
    }
    frame = persons_frame([(PERSON, dt.date(1990, 5, 1), profile, {"diplomas": [{"isced": 4}]})])
    (row,) = frame.to_dicts()
    assert set(row) >= {"person_id", "birth_date", "legal_status"}
    assert "given_names" not in row
    assert row["language_fr"] == 3
    assert row["education_isced"] == 4
    # Four months' waiting in force on 2020-01-10 (knowledge base, from 2015-11-09).
    assert row["right_to_work_date"] == dt.date(2020, 5, 10)
    refugee = {"legal_status": "refugee", "asylum_decision_date": "2019-02-03"}
    assert right_to_work_date(refugee) == dt.date(2019, 2, 3)
    assert right_to_work_date({"legal_status": "eu_citizen"}) is None


def test_an_organisation_counts_what_it_sent_received_or_holds() -> None:
    other = uuid.UUID(int=5 << 80)
    persons = persons_frame([(PERSON, None, {}, {}), (other, None, {}, {})])
    holders = pl.DataFrame(
        {"person_id": [stable_id(PERSON), stable_id(other)], "organisation": ["cpas", "bapa"]}
    )
    events, referrals = referral_frames(
        [_row("accepted", "in_progress", DAY), _row("draft", "sent", DAY)]
    )
    capacity = pl.DataFrame(
        {"programme": ["duo-mentoring"], "organisation": ["duo"], "places": [10]}
    )
    for organisation in ("cpas", "duo"):
        part = restrict(persons, holders, events, referrals, capacity, [organisation])
        assert part.persons["person_id"].to_list() == [stable_id(PERSON)]
        assert part.referrals.height == 2
    bapa = restrict(persons, holders, events, referrals, capacity, ["bapa"])
    assert bapa.persons["person_id"].to_list() == [stable_id(other)]
    assert bapa.referrals.height == 0
    assert bapa.events.height == 0
    assert bapa.capacity.height == 0


def test_the_evaluation_sample_follows_participants_and_referred_others_12_months() -> None:
    started, other, recent = (
        uuid.UUID(int=1 << 100),
        uuid.UUID(int=2 << 100),
        uuid.UUID(int=3 << 100),
    )
    profile = {"legal_status": "refugee", "languages": {"nl": "A2"}, "education_isced": 3}
    persons = persons_frame(
        [(person, dt.date(1990, 1, 1), profile, {}) for person in (started, other, recent)]
    )

    def row(
        person: uuid.UUID, programme: str, before: str, after: str, day: dt.date, **extra: str
    ) -> ReferralEventRow:
        fields = {"rejection_reason": "", "outcome": ""} | extra
        return ReferralEventRow(
            person, person, "cpas", "duo", programme, before, after, day, **fields
        )

    start = dt.date(2024, 1, 10)
    events, referrals = referral_frames(
        [
            row(started, "duo-mentoring", "draft", "sent", start - dt.timedelta(days=20)),
            row(started, "duo-mentoring", "accepted", "in_progress", start),
            row(
                started,
                "duo-mentoring",
                "in_progress",
                "completed",
                start + dt.timedelta(days=200),
                outcome="job_found",
            ),
            row(other, "language-course", "draft", "sent", start),
            row(recent, "language-course", "draft", "sent", dt.date(2025, 6, 1)),
        ]
    )
    sample = evaluation_sample(persons, events, referrals, "duo-mentoring", dt.date(2025, 12, 31))
    by_person = {r["person_id"]: r for r in sample.to_dicts()}
    assert set(by_person) == {stable_id(started), stable_id(other)}  # recent: not followed
    assert by_person[stable_id(started)]["treated"] == 1
    assert by_person[stable_id(started)]["outcome"] == 1  # the job 200 days after the start
    assert by_person[stable_id(other)]["treated"] == 0
    assert by_person[stable_id(other)]["outcome"] == 0
    assert by_person[stable_id(other)]["french_or_dutch"] == 2.0
    assert by_person[stable_id(started)]["age"] == pytest.approx(34.0, abs=0.1)


def test_person_files_read_column_wise_give_the_same_frame() -> None:
    """`persons_frame_of` (what the platform runs, from the database's text) against
    `persons_frame` (one file at a time, from the JSON documents)."""
    import json

    files = [
        (
            uuid.UUID(int=11 << 99),
            dt.date(1990, 5, 1),
            {
                "legal_status": "asylum_seeker",
                "asylum_application_date": "2015-01-31",
                "languages": {"fr": "C1", "en": "A1"},
            },
            {"diplomas": [{"isced": 3}, {"isced": 6}]},
        ),
        (
            uuid.UUID(int=12 << 99),
            None,
            {"legal_status": "asylum_seeker", "asylum_application_date": "2020-08-31"},
            {},
        ),
        (
            uuid.UUID(int=13 << 99),
            dt.date(2000, 1, 2),
            {
                "legal_status": "refugee",
                "asylum_decision_date": "2019-02-03",
                "arrival_in_belgium": "2018-01-01",
                "first_registration_brussels": "2019-03-01",
                "education_isced": 2,
                "languages": {"nl": "B2"},
            },
            {"diplomas": [{"isced": 7}]},
        ),
        (uuid.UUID(int=14 << 99), None, {}, {}),
    ]
    table = pl.DataFrame(
        [
            (
                str(person),
                birth,
                profile.get("legal_status"),
                profile.get("asylum_application_date"),
                profile.get("asylum_decision_date"),
                profile.get("arrival_in_belgium"),
                profile.get("first_registration_brussels"),
                *((profile.get("languages") or {}).get(code) for code in ("fr", "nl", "en")),
                None if profile.get("education_isced") is None else str(profile["education_isced"]),
                json.dumps(assessment["diplomas"]) if "diplomas" in assessment else None,
            )
            for person, birth, profile, assessment in files
        ],
        schema=FILES_SCHEMA,
        orient="row",
    )
    expected = persons_frame(files)
    assert persons_frame_of(table).equals(expected)
    assert expected["right_to_work_date"].to_list()[:2] == [
        dt.date(2015, 7, 31),
        dt.date(2020, 12, 31),
    ]


def test_a_recorded_participation_is_a_start_and_an_end_at_its_organisation() -> None:
    participations = pl.DataFrame(
        [(str(PERSON), "cpas-coaching", "cpas", DAY, DAY + dt.timedelta(days=30))],
        schema=PARTICIPATIONS_SCHEMA,
        orient="row",
    )
    events = participation_events_of(participations)
    assert events.select(pl.col("kind").cast(str), "date", "organisation", "person_id").rows() == [
        ("programme_start", DAY, "cpas", stable_id(PERSON)),
        ("programme_end", DAY + dt.timedelta(days=30), "cpas", stable_id(PERSON)),
    ]


def test_a_file_is_read_as_it_was_at_the_end_of_a_day_from_its_versions() -> None:
    """Versions apply in order up to the day (a change on the day counts, the next day's
    does not); a file created after the day is not there; names never enter."""
    file, late = str(uuid.UUID(int=21 << 99)), str(uuid.UUID(int=22 << 99))
    created = {"legal_status": "asylum_seeker", "languages": {"fr": "A1"}}
    recognised = {**created, "legal_status": "refugee", "asylum_decision_date": "2024-03-01"}
    fluent = {**recognised, "languages": {"fr": "C1"}}
    versions: list[VersionRow] = [
        (file, 3, dt.date(2024, 6, 2), {"profile": [recognised, fluent]}),
        (
            file,
            1,
            dt.date(2024, 1, 5),
            {
                "birth_date": [None, "1999-04-01"],
                "profile": [None, created],
                "diplomas": [None, [{"title": "Secondary school", "isced": 3}]],
            },
        ),
        (file, 2, dt.date(2024, 3, 4), {"profile": [created, recognised]}),
        (late, 1, dt.date(2024, 7, 1), {"profile": [None, fluent]}),
    ]
    assert file_state_on(versions[:3], dt.date(2024, 1, 4)) is None
    assert file_state_on(versions[:3], dt.date(2024, 3, 4))["profile"] == recognised  # type: ignore[index]
    table = files_on(versions, {file: dt.date(2024, 6, 1), late: dt.date(2024, 6, 1)})
    assert table.columns == list(FILES_SCHEMA)
    (row,) = table.to_dicts()  # the late file did not exist on that day
    assert row["legal_status"] == "refugee"
    assert row["language_fr"] == "A1"  # C1 came the next day
    assert row["birth_date"] == dt.date(1999, 4, 1)
    persons = persons_frame_of(table)
    assert persons["education_isced"].to_list() == [3]  # from the diplomas of that day
    assert persons["right_to_work_date"].to_list() == [dt.date(2024, 3, 1)]
