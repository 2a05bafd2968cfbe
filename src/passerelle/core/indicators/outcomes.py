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


def _months_later(column: str, months: int) -> pl.Expr:
    return pl.col(column).dt.offset_by(f"{months}mo")


def programme_starts(events: pl.DataFrame | pl.LazyFrame) -> pl.LazyFrame:
    """`person_id`, `programme`, `start`: the first start of each person in each programme."""
    return (
        events.lazy()
        .filter(pl.col("kind") == "programme_start")
        .group_by("person_id", "programme")
        .agg(start=pl.col("date").min())
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
    jobs = (
        events.lazy()
        .filter(pl.col("kind").is_in(["job_start", "job_end"]))
        .select("person_id", "date", is_start=pl.col("kind") == "job_start")
        .sort("date")
    )
    job_starts = jobs.filter(pl.col("is_start")).select("person_id", job_date=pl.col("date"))
    keys = ["programme", *(["start_year"] if by_year else [])]
    frames = []
    for months in horizons:
        target = starts.with_columns(
            target=_months_later("start", months), start_year=pl.col("start").dt.year()
        ).sort("target")
        last_job_event = target.join_asof(
            jobs.rename({"date": "job_event"}),
            left_on="target",
            right_on="job_event",
            by="person_id",
            strategy="backward",
            check_sortedness=False,  # sorted on the date as a whole, hence within each person
        )
        next_job = last_job_event.sort("start").join_asof(
            job_starts.sort("job_date"),
            left_on="start",
            right_on="job_date",
            by="person_id",
            strategy="forward",
            allow_exact_matches=False,
            check_sortedness=False,
        )
        complete = pl.col("target") <= as_of
        employed = complete & pl.col("is_start").fill_null(False)
        found = complete & (pl.col("job_date") <= pl.col("target")).fill_null(False)
        frames.append(
            next_job.group_by(keys)
            .agg(
                participants=complete.sum().cast(pl.Int64),
                employed=employed.sum().cast(pl.Int64),
                found_job=found.sum().cast(pl.Int64),
                follow_up_incomplete=(~complete).sum().cast(pl.Int64),
                **(
                    {
                        "participants_key": key_sum(complete),
                        "employed_key": key_sum(employed),
                        "found_job_key": key_sum(found),
                    }
                    if keyed
                    else {}
                ),
            )
            .with_columns(horizon_months=pl.lit(months, dtype=pl.Int32))
        )
    result = pl.concat(frames).with_columns(
        employed_rate=pl.col("employed") / pl.col("participants"),
        found_job_rate=pl.col("found_job") / pl.col("participants"),
    )
    return (
        result.select(
            *keys,
            "horizon_months",
            "participants",
            "employed",
            "employed_rate",
            "found_job",
            "found_job_rate",
            "follow_up_incomplete",
            *(["participants_key", "employed_key", "found_job_key"] if keyed else []),
        )
        .sort([*keys, "horizon_months"])
        .collect()
    )
