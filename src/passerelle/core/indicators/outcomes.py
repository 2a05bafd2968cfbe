"""Programme outcomes at 6 and 12 months after the start.

For each programme start (the first start of a person in a programme), two outcomes at each
horizon h: `employed` (employed on the day h months after the start) and `found_job` (a job
started after the start and at most h months later). Only starts whose follow-up is complete
on `as_of` count (`participants` is the denominator); `follow_up_incomplete` says how many
are not counted yet.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import polars as pl

from passerelle.core.disclosure import key_sum

OUTCOME_COLUMNS = (
    "participants",
    "employed",
    "employed_rate",
    "found_job",
    "found_job_rate",
    "follow_up_incomplete",
)
"""The figures of an outcome row, in their published order (before the cell keys)."""
OUTCOME_KEYS = ("participants_key", "employed_key", "found_job_key")


def programme_starts(events: pl.DataFrame | pl.LazyFrame) -> pl.LazyFrame:
    """`person_id`, `programme`, `start`: the first start of each person in each programme."""
    return (
        events.lazy()
        .filter(pl.col("kind") == "programme_start")
        .group_by("person_id", "programme")
        .agg(start=pl.col("date").min())
    )


def job_changes(events: pl.DataFrame | pl.LazyFrame) -> pl.LazyFrame:
    """`person_id`, `job_event` (its day), `is_start`: every job start and end, by day."""
    return (
        events.lazy()
        .filter(pl.col("kind").is_in(["job_start", "job_end"]))
        .select("person_id", job_event=pl.col("date"), is_start=pl.col("kind") == "job_start")
        .sort("job_event")
    )


def with_target(starts: pl.LazyFrame, months: int) -> pl.LazyFrame:
    """`starts` with `target`, the day `months` months after the start."""
    return starts.with_columns(target=pl.col("start").dt.offset_by(f"{months}mo"))


def employed_on_target(targets: pl.LazyFrame, jobs: pl.LazyFrame) -> pl.LazyFrame:
    """`targets` (a `target` day a row) with the person's last job change on or before it:
    `is_start` is true when the person was employed on the target day (null: no job yet)."""
    return targets.sort("target").join_asof(
        jobs,
        left_on="target",
        right_on="job_event",
        by="person_id",
        strategy="backward",
        check_sortedness=False,  # sorted on the date as a whole, hence within each person
    )


def programme_outcomes(
    events: pl.DataFrame | pl.LazyFrame,
    as_of: dt.date,
    *,
    horizons: Sequence[int] = (6, 12),
    programmes: Sequence[str] | None = None,
    by_year: bool = True,
) -> pl.DataFrame:
    """Columns: `programme`, `start_year` (when `by_year`), `horizon_months`, `participants`,
    `employed`, `employed_rate`, `found_job`, `found_job_rate`, `follow_up_incomplete`.
    When `events` has a `record_key` column (`core.disclosure`), also the cell keys
    `participants_key`, `employed_key` and `found_job_key`."""
    keyed = "record_key" in events.lazy().collect_schema().names()
    starts = programme_starts(events)
    if keyed:
        person_keys = events.lazy().select("person_id", "record_key").unique("person_id")
        starts = starts.join(person_keys, on="person_id", how="left")
    if programmes is not None:
        starts = starts.filter(pl.col("programme").is_in(list(programmes)))
    jobs = job_changes(events)
    keys = ["programme", *(["start_year"] if by_year else [])]
    frames = [
        _horizon_outcomes(starts, jobs, months, as_of, keys, keyed=keyed) for months in horizons
    ]
    result = pl.concat(frames).with_columns(
        employed_rate=pl.col("employed") / pl.col("participants"),
        found_job_rate=pl.col("found_job") / pl.col("participants"),
    )
    return (
        result.select(*keys, "horizon_months", *OUTCOME_COLUMNS, *(OUTCOME_KEYS if keyed else ()))
        .sort([*keys, "horizon_months"])
        .collect()
    )


def _horizon_outcomes(
    starts: pl.LazyFrame,
    jobs: pl.LazyFrame,
    months: int,
    as_of: dt.date,
    keys: list[str],
    *,
    keyed: bool,
) -> pl.LazyFrame:
    """The counts of one horizon by `keys`: employed on the day `months` after the start,
    and a job found by then, of the starts whose day has passed on `as_of`."""
    job_starts = jobs.filter(pl.col("is_start")).select("person_id", job_date=pl.col("job_event"))
    targets = with_target(starts, months).with_columns(start_year=pl.col("start").dt.year())
    next_job = (
        employed_on_target(targets, jobs)
        .sort("start")
        .join_asof(
            job_starts.sort("job_date"),
            left_on="start",
            right_on="job_date",
            by="person_id",
            strategy="forward",
            allow_exact_matches=False,
            check_sortedness=False,
        )
    )
    complete = pl.col("target") <= as_of
    employed = complete & pl.col("is_start").fill_null(False)
    found = complete & (pl.col("job_date") <= pl.col("target")).fill_null(False)
    cell_keys = {
        "participants_key": key_sum(complete),
        "employed_key": key_sum(employed),
        "found_job_key": key_sum(found),
    }
    return (
        next_job.group_by(keys)
        .agg(
            participants=complete.sum().cast(pl.Int64),
            employed=employed.sum().cast(pl.Int64),
            found_job=found.sum().cast(pl.Int64),
            follow_up_incomplete=(~complete).sum().cast(pl.Int64),
            **(cell_keys if keyed else {}),
        )
        .with_columns(horizon_months=pl.lit(months, dtype=pl.Int32))
    )
