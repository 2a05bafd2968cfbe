"""The input frames of the indicators, and reading them from CSV.

Three plain frames (polars), one concept each; extra columns are ignored:

persons (one row per person)
    person_id (Int64), sex ("F"/"M"/null), birth_date (Date), legal_status (String: the
    values of `passerelle.knowledge.criteria.LegalStatus`), arrival_date (Date: arrival in
    Belgium), status_date (Date: recognition, null when none), registration_date (Date:
    national register), actiris_registration_date (Date: registration as a job seeker),
    right_to_work_date (Date), language_fr, language_nl, language_en (Int8: CEFR rank,
    0 = not spoken, 1 = A1 ... 6 = C2, as `criteria.cefr_rank`), education_isced (Int8: ISCED
    2011 level 0-8).

events (one row per dated event of a person)
    person_id (Int64), date (Date), kind ("job_start", "job_end", "programme_start",
    "programme_end"), programme (String: a programme id of the knowledge base; null for
    jobs), organisation (String: the organisation id; null for jobs).
    A person is employed on a day when their last job event on or before it is a start.

referrals (one row per event of a referral between organisations)
    referral_id (Int64), person_id (Int64), from_organisation, to_organisation, programme
    (String), event ("sent", "accepted", "rejected", "started", "closed"), date (Date),
    reason (String: why a referral was rejected; null otherwise).

capacity (optional; one row per programme)
    programme (String), organisation (String), places (Int64: concurrent places).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import polars as pl

from passerelle.core.validation import EARLIEST_BIRTH_DATE, birth_date_problem, check_allowed

PERSONS_SCHEMA: dict[str, Any] = {
    "person_id": pl.Int64,
    "sex": pl.String,
    "birth_date": pl.Date,
    "legal_status": pl.String,
    "arrival_date": pl.Date,
    "status_date": pl.Date,
    "registration_date": pl.Date,
    "actiris_registration_date": pl.Date,
    "right_to_work_date": pl.Date,
    "language_fr": pl.Int8,
    "language_nl": pl.Int8,
    "language_en": pl.Int8,
    "education_isced": pl.Int8,
}
EVENT_KINDS = ("job_start", "job_end", "programme_start", "programme_end")
EVENTS_SCHEMA: dict[str, Any] = {
    "person_id": pl.Int64,
    "date": pl.Date,
    "kind": pl.Enum(EVENT_KINDS),
    "programme": pl.String,
    "organisation": pl.String,
}
REFERRAL_EVENTS = ("sent", "accepted", "rejected", "started", "closed")
REFERRALS_SCHEMA: dict[str, Any] = {
    "referral_id": pl.Int64,
    "person_id": pl.Int64,
    "from_organisation": pl.String,
    "to_organisation": pl.String,
    "programme": pl.String,
    "event": pl.Enum(REFERRAL_EVENTS),
    "date": pl.Date,
    "reason": pl.String,
}
CAPACITY_SCHEMA: dict[str, Any] = {
    "programme": pl.String,
    "organisation": pl.String,
    "places": pl.Int64,
}
REQUIRED: dict[str, tuple[str, ...]] = {
    "persons": ("person_id", "birth_date", "legal_status", "arrival_date"),
    "events": ("person_id", "date", "kind"),
    "referrals": ("referral_id", "from_organisation", "to_organisation", "event", "date"),
    "capacity": ("programme", "places"),
}
SCHEMAS: dict[str, dict[str, Any]] = {
    "persons": PERSONS_SCHEMA,
    "events": EVENTS_SCHEMA,
    "referrals": REFERRALS_SCHEMA,
    "capacity": CAPACITY_SCHEMA,
}


class IndicatorInputError(ValueError):
    """An input frame lacks a column or holds a value outside the allowed ones."""


def conform(frame: pl.DataFrame, kind: str) -> pl.DataFrame:
    """The frame with the documented columns and types (missing optional columns as nulls).

    Raises `IndicatorInputError` naming the missing required columns or the column that does not
    convert, with the allowed values for the enumerations."""
    schema = SCHEMAS[kind]
    missing = [name for name in REQUIRED[kind] if name not in frame.columns]
    if missing:
        raise IndicatorInputError(f"{kind}: missing column(s) {', '.join(missing)}")
    columns: list[pl.Expr] = []
    for name, dtype in schema.items():
        if name not in frame.columns:
            columns.append(pl.lit(None, dtype=dtype).alias(name))
            continue
        source = frame[name]
        if isinstance(dtype, pl.Enum):
            allowed = set(dtype.categories.to_list())
            bad = set(source.drop_nulls().cast(pl.String).unique().to_list()) - allowed
            if bad:
                raise IndicatorInputError(
                    f"{kind}.{name}: {sorted(bad)[0]!r} is not allowed; allowed values: "
                    + ", ".join(dtype.categories.to_list())
                )
        try:
            if source.dtype == dtype:
                converted = source
            elif dtype == pl.Date and source.dtype == pl.String:
                converted = source.str.to_date("%Y-%m-%d", strict=False)
            else:
                converted = source.cast(dtype)
        except pl.exceptions.PolarsError as error:
            raise IndicatorInputError(f"{kind}.{name}: cannot read as {dtype}: {error}") from None
        if converted.null_count() > source.null_count():
            raise IndicatorInputError(f"{kind}.{name}: some values do not read as {dtype}")
        if name == "birth_date":
            _check_birth_dates(kind, converted)
        columns.append(pl.lit(converted).alias(name))
    return pl.select(columns) if frame.height else pl.DataFrame(schema=schema)


def _check_birth_dates(kind: str, dates: pl.Series) -> None:
    """The one birth-date rule (`core.validation.birth_date_problem`) on a column, naming the
    first row at fault (found by polars: inputs run to millions of rows)."""
    # A plausibility bound, not a rule's date: the machine's today (`birth_date_problem`).
    outside = (dates < EARLIEST_BIRTH_DATE) | (dates > dt.date.today())  # noqa: DTZ011
    if not outside.any():
        return
    row = int(outside.arg_max() or 0)
    problem = birth_date_problem(dates[row])
    raise IndicatorInputError(f"{kind}.birth_date: row {row + 1}: {problem}")


def read_csv(path: Path | str, kind: str) -> pl.DataFrame:
    """Read a CSV input of the given kind ("persons", "events", "referrals", "capacity");
    dates as YYYY-MM-DD."""
    check_allowed("kind", kind, SCHEMAS, IndicatorInputError)
    frame = pl.read_csv(path, infer_schema_length=0)  # every column as text, then conform
    return conform(frame, kind)
