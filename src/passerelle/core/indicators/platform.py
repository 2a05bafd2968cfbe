"""The platform's own records as the indicators' input frames (`schema.py`), without names.

The web side reads the tables (person files, referrals and their events, capacities) and
hands plain rows to these functions; everything here is pure, so the mapping is tested
without a database and the CLI and the web share it.

- persons: one row per person file: a stable integer id derived from the file's UUID,
  the birth date and, from the profile, status, dates, languages (CEFR rank) and education.
  `right_to_work_date` is derived as the rules do: the decision date for refugees and
  subsidiary protection, the application date plus the waiting period in force on that day
  (the knowledge base's dated parameter `right_to_work.asylum_seeker.waiting_months`) for
  asylum seekers; unknown otherwise.
- events: a referral that started is a programme start (receiving organisation, programme),
  one that ended (completed, or withdrawn while in progress) a programme end. Employment
  comes from the follow-ups recorded 6 and 12 months after the end (`follow_up_events_of`):
  employed is a job start on the day of the situation, in training, looking or not looking
  for work a job end; moved away and unreachable say nothing of work. Only for a completed
  referral with no recorded follow-up does the assumption remain that the outcome "found a
  job" is a job start on the day of completion.
- participations an organisation records on a file without a referral
  (`participation_events_of`): a programme start on the first day and an end on the last.
- referrals: sent, accepted, rejected (with the reason), started and closed (completed, did
  not come, withdrawn after it was sent).
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import polars as pl

from passerelle.core.indicators.schema import (
    CAPACITY_SCHEMA,
    EVENTS_SCHEMA,
    PERSONS_SCHEMA,
    REFERRALS_SCHEMA,
)
from passerelle.knowledge.criteria import CEFR_LEVELS, cefr_rank
from passerelle.knowledge.loader import load_knowledge

PROTECTED_STATUSES = frozenset({"refugee", "subsidiary_protection"})
WAITING_PARAMETER = "right_to_work.asylum_seeker.waiting_months"

REFERRAL_EVENT_OF_STATE: dict[str, str] = {
    "sent": "sent",
    "accepted": "accepted",
    "rejected": "rejected",
    "in_progress": "started",
    "completed": "closed",
    "no_show": "closed",
    "withdrawn": "closed",
}
"""Referral states (the referrals app's `State`) as the engine's referral events; a draft
and the waiting list are no event of the engine (a waitlisted referral that is admitted
later appears as accepted then)."""
JOB_OUTCOME = "job_found"
FOLLOW_UP_JOB_EVENTS: dict[str, str] = {
    "employed": "job_start",
    "training": "job_end",
    "looking_for_work": "job_end",
    "not_looking": "job_end",
}
"""Situations recorded at a follow-up (`web.common.outcomes.Situation`) as job events; moved
away and unreachable are no event (nothing is known of work)."""
FOLLOW_UPS_SCHEMA: dict[str, Any] = {
    "referral": pl.String,
    "person": pl.String,
    "on": pl.Date,
    "situation": pl.String,
}
"""Recorded follow-ups as a table: the referral whose end they follow (text UUID, null for
a participation recorded without a referral), the person, the day and the situation."""


def stable_id(value: uuid.UUID | str) -> int:
    """A positive 63-bit integer of a UUID: the same on every read, so that the cell keys
    of published counts (`core.disclosure`) stay the same from one view to the next."""
    return (value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))).int >> 65


@dataclass(frozen=True)
class ReferralEventRow:
    """One transition of a referral, as the web side reads it (no person data)."""

    referral: uuid.UUID | str
    person: uuid.UUID | str
    sender: str
    receiver: str
    programme: str
    from_state: str
    to_state: str
    on: dt.date
    rejection_reason: str
    outcome: str


def _date(value: Any) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        return None


def _rank(languages: Mapping[str, Any], code: str) -> int:
    level = languages.get(code)
    return cefr_rank(level) if level in CEFR_LEVELS else 0


def _waiting_months(application: dt.date) -> float | None:
    value = load_knowledge().parameters[WAITING_PARAMETER].value_on(application)
    return (
        float(value.value) if value is not None and isinstance(value.value, int | float) else None
    )


def _add_months(day: dt.date, months: float) -> dt.date:
    whole = int(months)
    month = day.month - 1 + whole
    year, month = day.year + month // 12, month % 12 + 1
    last = (dt.date(year + (month == 12), month % 12 + 1, 1) - dt.timedelta(days=1)).day
    return dt.date(year, month, min(day.day, last))


def right_to_work_date(profile: Mapping[str, Any]) -> dt.date | None:
    status = profile.get("legal_status")
    if status in PROTECTED_STATUSES:
        return _date(profile.get("asylum_decision_date"))
    if status == "asylum_seeker":
        application = _date(profile.get("asylum_application_date"))
        if application is None:
            return None
        months = _waiting_months(application)
        return None if months is None else _add_months(application, months)
    return None


def education_level(profile: Mapping[str, Any], assessment: Mapping[str, Any]) -> int | None:
    """The profile's ISCED level, else the highest ISCED level of the needs assessment's
    diplomas; None when neither says."""
    level = profile.get("education_isced")
    if isinstance(level, int):
        return level
    levels: list[int] = [
        int(diploma["isced"])
        for diploma in assessment.get("diplomas") or []
        if isinstance(diploma, Mapping) and isinstance(diploma.get("isced"), int)
    ]
    return max(levels) if levels else None


PersonRow = tuple[uuid.UUID | str, dt.date | None, Mapping[str, Any], Mapping[str, Any]]
"""A person file as read for the figures: id, birth date, profile, needs assessment."""


def persons_frame(rows: Iterable[PersonRow]) -> pl.DataFrame:
    """Person files as the persons frame; names and contacts never enter."""
    records = []
    for person, birth_date, profile, assessment in rows:
        languages = profile.get("languages") or {}
        education = education_level(profile, assessment)
        records.append(
            {
                "person_id": stable_id(person),
                "sex": None,  # the person file records no sex
                "birth_date": birth_date,
                "legal_status": profile.get("legal_status"),
                "arrival_date": _date(profile.get("arrival_in_belgium")),
                "status_date": _date(profile.get("asylum_decision_date"))
                if profile.get("legal_status") in PROTECTED_STATUSES
                else None,
                "registration_date": _date(profile.get("first_registration_brussels")),
                "actiris_registration_date": None,  # not on the person file
                "right_to_work_date": right_to_work_date(profile),
                "language_fr": _rank(languages, "fr"),
                "language_nl": _rank(languages, "nl"),
                "language_en": _rank(languages, "en"),
                "education_isced": education,
            }
        )
    frame = pl.DataFrame(records, schema=PERSONS_SCHEMA)
    return frame.unique("person_id", keep="first", maintain_order=True)


TRANSITIONS_SCHEMA: dict[str, Any] = {
    "referral": pl.String,
    "person": pl.String,
    "sender": pl.String,
    "receiver": pl.String,
    "programme": pl.String,
    "from_state": pl.String,
    "to_state": pl.String,
    "on": pl.Date,
    "rejection_reason": pl.String,
    "outcome": pl.String,
}
"""Referral transitions as a table (the fields of `ReferralEventRow`; UUIDs as text)."""


def stable_id_expr(column: str) -> pl.Expr:
    """`stable_id` column-wise: the UUID's first 64 bits, halved (its top 63 bits)."""
    first = pl.col(column).str.replace_all("-", "").str.slice(0, 16)
    return (first.str.to_integer(base=16, dtype=pl.UInt64) // 2).cast(pl.Int64)


def referral_frames(
    rows: Iterable[ReferralEventRow], follow_ups: pl.DataFrame | None = None
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Referral transitions as (events, referrals); see `referral_frames_of`."""
    table = pl.DataFrame(
        [
            (
                str(r.referral),
                str(r.person),
                r.sender,
                r.receiver,
                r.programme,
                r.from_state,
                r.to_state,
                r.on,
                r.rejection_reason,
                r.outcome,
            )
            for r in rows
        ],
        schema=TRANSITIONS_SCHEMA,
        orient="row",
    )
    return referral_frames_of(table, follow_ups)


def follow_up_events_of(follow_ups: pl.DataFrame) -> pl.DataFrame:
    """Recorded follow-ups (`FOLLOW_UPS_SCHEMA`) as job events (`EVENTS_SCHEMA`), by
    `FOLLOW_UP_JOB_EVENTS`."""
    kind = pl.col("situation").replace_strict(FOLLOW_UP_JOB_EVENTS, default=None)
    return (
        follow_ups.with_columns(kind=kind)
        .filter(pl.col("kind").is_not_null())
        .select(
            person_id=stable_id_expr("person"),
            date="on",
            kind="kind",
            programme=pl.lit(None, pl.String),
            organisation=pl.lit(None, pl.String),
        )
        .select(list(EVENTS_SCHEMA))
        .cast(EVENTS_SCHEMA)  # type: ignore[arg-type]
    )


PARTICIPATIONS_SCHEMA: dict[str, Any] = {
    "person": pl.String,
    "programme": pl.String,
    "organisation": pl.String,
    "started_on": pl.Date,
    "ended_on": pl.Date,
}
"""Participations an organisation recorded on a file (not through a referral): the person
(text UUID), the programme, the organisation running it, the first and last day."""


def participation_events_of(participations: pl.DataFrame) -> pl.DataFrame:
    """Recorded participations (`PARTICIPATIONS_SCHEMA`) as a `programme_start` on their first
    day and a `programme_end` on their last, at the organisation that recorded them."""
    common = {
        "person_id": stable_id_expr("person"),
        "programme": pl.col("programme"),
        "organisation": pl.col("organisation"),
    }
    frames = [
        participations.select(**common, date=day, kind=pl.lit(kind))
        for day, kind in (
            (pl.col("started_on"), "programme_start"),
            (pl.col("ended_on"), "programme_end"),
        )
    ]
    return pl.concat(
        [frame.select(list(EVENTS_SCHEMA)).cast(EVENTS_SCHEMA) for frame in frames]  # type: ignore[arg-type]
    )


def referral_frames_of(
    table: pl.DataFrame, follow_ups: pl.DataFrame | None = None
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Referral transitions (`TRANSITIONS_SCHEMA`) as (events, referrals): participations
    and job outcomes, and the referral events with rejection reasons (waiting times are
    sent → started). Column-wise: a million transitions take about a second.

    With `follow_ups` (`FOLLOW_UPS_SCHEMA`, recorded ones), employment comes from them: a
    completion "found a job" counts as a job start only for a referral none of whose
    follow-ups recorded a situation that says something of work (moved away and
    unreachable do not)."""
    base = table.with_columns(
        person_id=stable_id_expr("person"), referral_id=stable_id_expr("referral")
    )
    ended = (pl.col("from_state") == "in_progress") & pl.col("to_state").is_in(
        ["completed", "withdrawn"]
    )
    participation = {"person_id": "person_id", "date": "on", "programme": "programme"}
    starts = base.filter(pl.col("to_state") == "in_progress").select(
        **participation, kind=pl.lit("programme_start"), organisation="receiver"
    )
    ends = base.filter(ended).select(
        **participation, kind=pl.lit("programme_end"), organisation="receiver"
    )
    completed_with_job = (
        ended & (pl.col("to_state") == "completed") & (pl.col("outcome") == JOB_OUTCOME)
    )
    if follow_ups is not None and follow_ups.height:
        # Moved away or unreachable says nothing of work: the assumption stays for those.
        informative = follow_ups.filter(pl.col("situation").is_in(list(FOLLOW_UP_JOB_EVENTS)))
        followed = informative["referral"].drop_nulls().unique().to_list()
        completed_with_job = completed_with_job & ~pl.col("referral").is_in(followed)
    jobs = base.filter(completed_with_job).select(
        "person_id",
        date="on",
        programme=pl.lit(None, pl.String),
        kind=pl.lit("job_start"),
        organisation=pl.lit(None, pl.String),
    )
    columns = list(EVENTS_SCHEMA)
    frames = [frame.select(columns).cast(EVENTS_SCHEMA) for frame in (starts, ends, jobs)]  # type: ignore[arg-type]
    if follow_ups is not None:
        frames.append(follow_up_events_of(follow_ups))
    events = pl.concat(frames)
    return events, _referral_events(base)


def _referral_events(base: pl.DataFrame) -> pl.DataFrame:
    """The referral events (`REFERRALS_SCHEMA`) of transitions with stable ids: one per
    transition into a state that is an event, with the rejection reason where one was given."""
    event = pl.col("to_state").replace_strict(REFERRAL_EVENT_OF_STATE, default=None)
    referrals = (
        base.with_columns(event=event)
        .filter(pl.col("event").is_not_null())
        .select(
            "referral_id",
            "person_id",
            from_organisation="sender",
            to_organisation="receiver",
            programme="programme",
            event=pl.col("event").cast(REFERRALS_SCHEMA["event"]),
            date="on",
            reason=pl.when((pl.col("event") == "rejected") & (pl.col("rejection_reason") != ""))
            .then(pl.col("rejection_reason"))
            .otherwise(None),
        )
    )
    return referrals.cast(REFERRALS_SCHEMA)  # type: ignore[arg-type]


def capacity_frame(rows: Iterable[tuple[str, str, int]]) -> pl.DataFrame:
    """(programme, organisation, places) rows: one per programme, the places of its current
    (or latest) period."""
    frame = pl.DataFrame(list(rows), schema=CAPACITY_SCHEMA, orient="row")
    return frame.unique("programme", keep="first", maintain_order=True)


@dataclass(frozen=True)
class Restricted:
    persons: pl.DataFrame
    events: pl.DataFrame
    referrals: pl.DataFrame
    capacity: pl.DataFrame


def restrict(
    persons: pl.DataFrame,
    holders: pl.DataFrame,
    events: pl.DataFrame,
    referrals: pl.DataFrame,
    capacity: pl.DataFrame,
    organisations: Iterable[str],
) -> Restricted:
    """What a set of organisations may count: referrals they sent or received, their
    programmes' participations, the capacity of their programmes, and the persons whose file
    they hold or who took part in those (with those persons' job events)."""
    slugs = sorted(set(organisations))
    sent_or_received = referrals.filter(
        pl.col("from_organisation").is_in(slugs) | pl.col("to_organisation").is_in(slugs)
    )
    participations = events.filter(pl.col("organisation").is_in(slugs))
    ids = pl.concat(
        [
            holders.filter(pl.col("organisation").is_in(slugs))["person_id"],
            sent_or_received["person_id"],
            participations["person_id"],
        ]
    ).unique()
    jobs = events.filter(
        pl.col("kind").is_in(["job_start", "job_end"]) & pl.col("person_id").is_in(ids.to_list())
    )
    return Restricted(
        persons=persons.filter(pl.col("person_id").is_in(ids.to_list())),
        events=pl.concat([participations, jobs]).sort("person_id", "date"),
        referrals=sent_or_received,
        capacity=capacity.filter(pl.col("organisation").is_in(slugs)),
    )


EVALUATION_COVARIATES = ("age", "french_or_dutch", "english", "education", "protected")
"""Covariates of an evaluation on the platform's records: the person file and the needs
assessment as they were at the end of each person's index date (`files_on`), age on it."""


def evaluation_index(
    events: pl.DataFrame,
    referrals: pl.DataFrame,
    programme: str,
    as_of: dt.date,
    horizon_days: int = 365,
) -> pl.DataFrame:
    """One row per person followed `horizon_days` after their index date: participants of
    `programme` (index: their first start) and persons referred on the platform who never
    started it (index: their first referral event); `person_id`, `index`, `treated` and
    `outcome` (a job start within the horizon after the index)."""
    starts = (
        events.filter((pl.col("kind") == "programme_start") & (pl.col("programme") == programme))
        .group_by("person_id")
        .agg(index=pl.col("date").min())
        .with_columns(treated=pl.lit(1, pl.Int8))
    )
    controls = (
        referrals.group_by("person_id")
        .agg(index=pl.col("date").min())
        .join(starts.select("person_id"), on="person_id", how="anti")
        .with_columns(treated=pl.lit(0, pl.Int8))
    )
    horizon = pl.duration(days=horizon_days)
    sample = pl.concat([starts, controls]).filter(pl.col("index") + horizon <= as_of)
    jobs = events.filter(pl.col("kind") == "job_start").select("person_id", job="date")
    found = (
        sample.join(jobs, on="person_id", how="inner")
        .filter((pl.col("job") > pl.col("index")) & (pl.col("job") <= pl.col("index") + horizon))
        .select("person_id")
        .unique()
        .with_columns(outcome=pl.lit(1, pl.Int8))
    )
    return sample.join(found, on="person_id", how="left").with_columns(
        outcome=pl.col("outcome").fill_null(0)
    )


def evaluation_sample_of(index: pl.DataFrame, persons: pl.DataFrame) -> pl.DataFrame:
    """The index (`evaluation_index`) with `EVALUATION_COVARIATES` from `persons` (the
    persons frame, as the files were on each person's index date, or as they are now);
    persons with a covariate unknown are left out."""
    return (
        index.join(persons, on="person_id", how="inner")
        .select(
            "person_id",
            "treated",
            "outcome",
            age=((pl.col("index") - pl.col("birth_date")).dt.total_days() / 365.25),
            french_or_dutch=pl.max_horizontal("language_fr", "language_nl").cast(pl.Float64),
            english=pl.col("language_en").cast(pl.Float64),
            education=pl.col("education_isced").cast(pl.Float64),
            protected=pl.col("legal_status").is_in(list(PROTECTED_STATUSES)).cast(pl.Float64),
        )
        .drop_nulls()
        .sort("person_id")
    )


def evaluation_sample(
    persons: pl.DataFrame,
    events: pl.DataFrame,
    referrals: pl.DataFrame,
    programme: str,
    as_of: dt.date,
    horizon_days: int = 365,
    *,
    persons_on: Callable[[pl.DataFrame], pl.DataFrame] | None = None,
) -> pl.DataFrame:
    """`evaluation_index` with the covariates of `persons` as given (the synthetic cohort,
    whose covariates do not change). With `persons_on`, `persons` says only who may be
    counted and the covariates come from the persons frame `persons_on(index)` gives: the
    platform's records read the files as they were on the index date
    (`web.apps.monitoring.versions.persons_on_index`)."""
    index = evaluation_index(events, referrals, programme, as_of, horizon_days)
    if persons_on is None:
        return evaluation_sample_of(index, persons)
    index = index.join(persons.select("person_id"), on="person_id", how="semi")
    return evaluation_sample_of(index, persons_on(index))


VERSIONED_FIELDS = ("birth_date", "profile", "diplomas")
"""The fields of a file's versions (`PersonVersion.changes`) the covariates come from: the
birth date, the profile (status, dates, languages, education) and the needs assessment's
diplomas. Names and contacts are never read."""

VersionRow = tuple[str, int, dt.date, Mapping[str, Any]]
"""A version of a file: its id (text UUID), number, day of the change, and the changes of
`VERSIONED_FIELDS` it made ({field: [old, new]})."""


def file_state_on(versions: Iterable[VersionRow], day: dt.date) -> dict[str, Any] | None:
    """The versioned fields of one file as they were at the end of `day`: the changes of
    every version made on or before that day, in order; None when the file did not exist
    yet (its first version is later)."""
    state: dict[str, Any] = {}
    known = False
    for _file, _number, changed_on, changes in sorted(versions, key=lambda row: row[1]):
        if changed_on > day:
            break
        known = True
        for name in VERSIONED_FIELDS:
            change = changes.get(name)
            if isinstance(change, list | tuple) and len(change) == 2:
                state[name] = change[1]
    return state if known else None


def files_on(versions: Iterable[VersionRow], days: Mapping[str, dt.date]) -> pl.DataFrame:
    """Each file of `days` (file id -> its person's index date) as it was at the end of that
    day (`file_state_on`), as `FILES_SCHEMA`; files that did not exist yet are left out."""
    by_file: dict[str, list[VersionRow]] = {}
    for row in versions:
        by_file.setdefault(row[0], []).append(row)
    rows = []
    for file, day in days.items():
        state = file_state_on(by_file.get(file, []), day)
        if state is None:
            continue
        profile = state.get("profile") or {}
        languages = profile.get("languages") or {}
        rows.append(
            (
                file,
                _date(state.get("birth_date")),
                *(_text(profile.get(key)) for key in FILE_PROFILE_KEYS),
                *(_text(languages.get(code)) for code in ("fr", "nl", "en")),
                _text(profile.get("education_isced")),
                json.dumps(state.get("diplomas") or []),
            )
        )
    return pl.DataFrame(rows, schema=FILES_SCHEMA, orient="row")


FILE_PROFILE_KEYS = (
    "legal_status",
    "asylum_application_date",
    "asylum_decision_date",
    "arrival_in_belgium",
    "first_registration_brussels",
)


def _text(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)


FILES_SCHEMA: dict[str, Any] = {
    "person": pl.String,
    "birth_date": pl.Date,
    "legal_status": pl.String,
    "asylum_application_date": pl.String,
    "asylum_decision_date": pl.String,
    "arrival_in_belgium": pl.String,
    "first_registration_brussels": pl.String,
    "language_fr": pl.String,
    "language_nl": pl.String,
    "language_en": pl.String,
    "education_isced": pl.String,
    "diplomas": pl.String,
}
"""Person files as the database gives them for the figures: the profile's keys as text, the
needs assessment's diplomas as JSON text; no name, no contact."""


def _waiting_table() -> pl.DataFrame:
    values = load_knowledge().parameters[WAITING_PARAMETER].values
    return pl.DataFrame(
        [
            (value.valid_from, int(value.value))
            for value in values
            if isinstance(value.valid_from, dt.date) and isinstance(value.value, int | float)
        ],
        schema={"valid_from": pl.Date, "waiting_months": pl.Int64},
        orient="row",
    ).sort("valid_from")


def persons_frame_of(table: pl.DataFrame) -> pl.DataFrame:
    """`persons_frame` column-wise, from `FILES_SCHEMA` (the same frame; a test checks it)."""

    def day(column: str) -> pl.Expr:
        return pl.col(column).str.to_date("%Y-%m-%d", strict=False)

    ranks = {level: cefr_rank(level) for level in CEFR_LEVELS}
    read = table.with_columns(
        application=day("asylum_application_date"),
        decision=day("asylum_decision_date"),
        row=pl.int_range(pl.len()),
    )
    waiting = (
        read.select("row", "application")
        .drop_nulls()
        .sort("application")
        .join_asof(_waiting_table(), left_on="application", right_on="valid_from")
        .select("row", "waiting_months")
    )
    read = read.join(waiting, on="row", how="left").sort("row")
    protected = pl.col("legal_status").is_in(list(PROTECTED_STATUSES))
    after_waiting = pl.col("application").dt.offset_by(pl.format("{}mo", pl.col("waiting_months")))
    diplomas = (
        pl.col("diplomas")
        .str.extract_all(r'"isced":\s*\d')
        .list.eval(pl.element().str.extract(r"(\d)$").cast(pl.Int8))
        .list.max()
    )
    frame = read.select(
        person_id=stable_id_expr("person"),
        sex=pl.lit(None, pl.String),
        birth_date="birth_date",
        legal_status="legal_status",
        arrival_date=day("arrival_in_belgium"),
        status_date=pl.when(protected).then(pl.col("decision")),
        registration_date=day("first_registration_brussels"),
        actiris_registration_date=pl.lit(None, pl.Date),
        right_to_work_date=pl.when(protected)
        .then(pl.col("decision"))
        .when(pl.col("legal_status") == "asylum_seeker")
        .then(after_waiting),
        **{
            f"language_{code}": pl.col(f"language_{code}").replace_strict(
                ranks, default=0, return_dtype=pl.Int8
            )
            for code in ("fr", "nl", "en")
        },
        education_isced=pl.coalesce(
            pl.col("education_isced").cast(pl.Int8, strict=False), diplomas
        ),
    )
    return frame.cast(PERSONS_SCHEMA).unique("person_id", keep="first", maintain_order=True)  # type: ignore[arg-type]


LINKS_SCHEMA: dict[str, Any] = {"file": pl.String, "representative": pl.String}
"""Which person files are one person (the linkage's clusters): each file of a cluster of
two or more files, with the cluster's representative file (its smallest file id)."""


def linked(
    table: pl.DataFrame,
    links: pl.DataFrame,
    column: str = "person",
    *,
    representative_first: bool = False,
) -> pl.DataFrame:
    """`table` with each file id of `column` replaced by its person's representative file
    (`LINKS_SCHEMA`), so that a person with files at several organisations is counted once;
    files the linkage did not join keep their own id. `representative_first`: the
    representative's own row first (stable otherwise), so that a frame keeping the first
    row per person keeps that file's data."""
    if links.is_empty():
        return table
    joined = table.join(links, left_on=column, right_on="file", how="left", maintain_order="left")
    if representative_first:
        joined = joined.sort(
            pl.col("representative").is_null() | (pl.col("representative") == pl.col(column)),
            descending=True,
            maintain_order=True,
        )
    return joined.with_columns(pl.coalesce("representative", column).alias(column)).drop(
        "representative"
    )
