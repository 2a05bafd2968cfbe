"""Time to a first job: Kaplan-Meier curves, written here on polars (no lifelines).

The estimator (Kaplan and Meier 1958): at each distinct time t with d events among the n
persons still at risk, S(t) = S(t-) * (1 - d / n). Persons censored at t count as at risk at t
(events before censoring, the usual convention). Confidence band: Greenwood's variance on the
log(-log S) scale (Kalbfleisch and Prentice 2002), as lifelines and R's survival package
(`conf.type = "log-log"`) compute it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Literal

import numpy as np
import numpy.typing as npt
import polars as pl

from passerelle.core.disclosure import key_sum
from passerelle.core.indicators.employment import BREAKDOWNS, breakdown_columns
from passerelle.core.validation import check_allowed

Z_95 = 1.959963984540054
Origin = Literal["right_to_work", "arrival", "registration"]
ORIGIN_COLUMNS = {
    "right_to_work": "right_to_work_date",
    "arrival": "arrival_date",
    "registration": "registration_date",
}
DAYS_PER_MONTH = 30.4375


def kaplan_meier(
    frame: pl.DataFrame | pl.LazyFrame,
    *,
    duration: str = "duration",
    event: str = "event",
    by: Sequence[str] = (),
) -> pl.DataFrame:
    """The Kaplan-Meier curve of `frame` (one row per person: `duration` >= 0 and `event`
    true for an observed event, false for censoring), for each group of `by`.

    Columns: *by, `time`, `at_risk`, `events`, `censored`, `survival`, `ci_low`, `ci_high`
    (95 %), `cumulative` (1 - survival: the share with a job by then). When `frame` has a
    `record_key` column (`core.disclosure`), also `events_key` and `removed_key`, the cell
    keys of the events and of everyone leaving the risk set at that time."""
    return kaplan_meier_curve(
        kaplan_meier_counts(frame, duration=duration, event=event, by=by), by=by
    )


def kaplan_meier_counts(
    frame: pl.DataFrame | pl.LazyFrame,
    *,
    duration: str = "duration",
    event: str = "event",
    by: Sequence[str] = (),
) -> pl.LazyFrame:
    """The counts behind a Kaplan-Meier curve: *by, `time`, `events`, `censored` (and
    `events_key`, `removed_key` when keyed). They add up over disjoint sets of persons, which
    is what the incremental aggregates keep (`core.indicators.aggregates`)."""
    keys = list(by)
    keyed = "record_key" in frame.lazy().collect_schema().names()
    return (
        frame.lazy()
        .group_by([*keys, pl.col(duration).alias("time")])
        .agg(
            events=pl.col(event).cast(pl.Int64).sum(),
            censored=(~pl.col(event).cast(pl.Boolean)).cast(pl.Int64).sum(),
            **(
                {
                    "events_key": key_sum(pl.col(event).cast(pl.Boolean)),
                    "removed_key": key_sum(),
                }
                if keyed
                else {}
            ),
        )
        .sort([*keys, "time"])
    )


def kaplan_meier_curve(
    counts: pl.DataFrame | pl.LazyFrame, *, by: Sequence[str] = ()
) -> pl.DataFrame:
    """The curve (`kaplan_meier`'s columns) from `kaplan_meier_counts`, sorted by *by, time."""
    keys = list(by)
    counts = counts.lazy().sort([*keys, "time"])
    keyed = "events_key" in counts.collect_schema().names()
    over = keys or None
    removed = pl.col("events") + pl.col("censored")
    curve = counts.with_columns(
        at_risk=(
            removed.sum().over(over) - removed.cum_sum().over(over) + removed
            if over
            else removed.sum() - removed.cum_sum() + removed
        )
    ).with_columns(
        step=(1.0 - pl.col("events") / pl.col("at_risk")),
        greenwood_term=pl.when(pl.col("at_risk") > pl.col("events"))
        .then(pl.col("events") / (pl.col("at_risk") * (pl.col("at_risk") - pl.col("events"))))
        .otherwise(None),
    )
    cum_log = pl.col("step").log().cum_sum()
    cum_var = pl.col("greenwood_term").cum_sum()
    curve = curve.with_columns(
        survival=(cum_log.over(over) if over else cum_log).exp(),
        greenwood=cum_var.over(over) if over else cum_var,
    )
    log_s = pl.col("survival").log()
    spread = Z_95 * pl.col("greenwood").sqrt() / log_s.abs()
    valid = (pl.col("survival") > 0) & (pl.col("survival") < 1) & pl.col("greenwood").is_not_null()
    curve = curve.with_columns(
        ci_low=pl.when(valid).then(pl.col("survival").pow(spread.exp())),
        ci_high=pl.when(valid).then(pl.col("survival").pow((-spread).exp())),
        cumulative=1.0 - pl.col("survival"),
    )
    return curve.select(
        *keys,
        "time",
        "at_risk",
        "events",
        "censored",
        "survival",
        "ci_low",
        "ci_high",
        "cumulative",
        *(["events_key", "removed_key"] if keyed else []),
    ).collect()


def kaplan_meier_arrays(durations: npt.ArrayLike, observed: npt.ArrayLike) -> pl.DataFrame:
    """`kaplan_meier` on plain arrays (durations, and 1/True for an event)."""
    frame = pl.DataFrame(
        {
            "duration": np.asarray(durations, dtype=np.float64),
            "event": np.asarray(observed, dtype=np.bool_),
        }
    )
    return kaplan_meier(frame)


def time_to_first_job(
    persons: pl.DataFrame | pl.LazyFrame,
    events: pl.DataFrame | pl.LazyFrame,
    as_of: dt.date,
    *,
    origin: Origin = "right_to_work",
    by: Sequence[str] = (),
    unit: Literal["days", "months"] = "months",
) -> pl.DataFrame:
    """Kaplan-Meier curves of the time from `origin` to the first job start; persons without
    a job by `as_of` are censored on `as_of`. A job before the origin counts at time 0.
    Time in days, or in completed months (days / 30.4375, rounded down)."""
    frame = first_job_durations(persons, events, as_of, origin=origin, by=by, unit=unit)
    return kaplan_meier(frame, by=by)


def first_job_durations(
    persons: pl.DataFrame | pl.LazyFrame,
    events: pl.DataFrame | pl.LazyFrame,
    as_of: dt.date,
    *,
    origin: Origin = "right_to_work",
    by: Sequence[str] = (),
    unit: Literal["days", "months"] = "months",
) -> pl.LazyFrame:
    """`time_to_first_job`'s input to `kaplan_meier`: one row per person with a right to
    work (or `origin`) by `as_of`, *by, `duration` (to the first job or to `as_of`) and
    `event` (a job was found); `record_key` too when `persons` has one."""
    for name in by:  # not by programme: it needs the events (`first_programme_by`)
        check_allowed("by", name, [b for b in BREAKDOWNS if b != "programme"])
    check_allowed("origin", origin, ORIGIN_COLUMNS)
    start = ORIGIN_COLUMNS[origin]
    first_job = (
        events.lazy()
        .filter((pl.col("kind") == "job_start") & (pl.col("date") <= as_of))
        .group_by("person_id")
        .agg(first_job=pl.col("date").min())
    )
    derived = breakdown_columns(as_of)
    people = (
        persons.lazy()
        .filter(pl.col(start).is_not_null() & (pl.col(start) <= as_of))
        .with_columns([derived[name].alias(name) for name in by if name in derived])
        .join(first_job, on="person_id", how="left")
    )
    days = (pl.coalesce("first_job", pl.lit(as_of)) - pl.col(start)).dt.total_days().clip(0)
    time = days if unit == "days" else (days / DAYS_PER_MONTH).floor().cast(pl.Int64)
    keyed = "record_key" in people.collect_schema().names()
    return people.select(
        *by,
        *(["record_key"] if keyed else []),
        duration=time,
        event=pl.col("first_job").is_not_null(),
    )
