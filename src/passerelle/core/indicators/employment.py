"""Employment rate by cohort and years since, with breakdowns.

A person is employed on a day when their last job event on or before that day is a
`job_start` (input schema in `schema.py`). The cohort is the year of a date of the person
(arrival, national register or Actiris registration); the population is the persons of the
cohort aged `ages` on the reference day (18-64 as in the Socio-economic Monitoring). Every row
carries `count` (employed), `denominator` (persons) and `rate` = count / denominator.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Literal

import polars as pl

from passerelle.core.disclosure import MODULUS, key_sum
from passerelle.core.validation import check_allowed

Cohort = Literal["arrival", "registration", "actiris_registration"]
COHORT_COLUMNS: dict[str, str] = {
    "arrival": "arrival_date",
    "registration": "registration_date",
    "actiris_registration": "actiris_registration_date",
}
AGE_BANDS = ((18, 24), (25, 34), (35, 44), (45, 54), (55, 64))
RATE_COLUMNS = ("count", "denominator", "rate")
"""An employment row's figures, in their published order."""
RATE_KEYS = ("count_key", "denominator_key")
"""The cell keys of `count` and `denominator` (`core.disclosure`), when the persons have any."""
BREAKDOWNS = ("legal_status", "age_band", "sex", "language", "education", "programme")
"""The breakdowns every employment indicator accepts (`programme`: the first programme the
person started on or before the day, or "none")."""


def _age_on(on: dt.date) -> pl.Expr:
    birth = pl.col("birth_date")
    had_birthday = (birth.dt.month() < on.month) | (
        (birth.dt.month() == on.month) & (birth.dt.day() <= on.day)
    )
    return (pl.lit(on.year) - birth.dt.year() - (~had_birthday).cast(pl.Int32)).cast(pl.Int32)


def _band(expr: pl.Expr, bands: Sequence[tuple[int, int, str]], other: str) -> pl.Expr:
    result: pl.Expr = pl.lit(other)
    for low, high, label in reversed(bands):
        result = pl.when(expr.is_between(low, high)).then(pl.lit(label)).otherwise(result)
    return result


def breakdown_columns(on: dt.date) -> dict[str, pl.Expr]:
    """The derived breakdown columns on a day (all but `programme`, which needs events)."""
    age = _age_on(on)
    best = pl.max_horizontal(pl.col("language_fr").fill_null(0), pl.col("language_nl").fill_null(0))
    return {
        "age": age,
        "age_band": _band(age, [(lo, hi, f"{lo}-{hi}") for lo, hi in AGE_BANDS], "other"),
        "language": _band(
            best, [(0, 0, "none"), (1, 2, "A1-A2"), (3, 4, "B1-B2"), (5, 6, "C1-C2")], "unknown"
        ).alias("language"),
        "education": _band(
            pl.col("education_isced").cast(pl.Int32),
            [(0, 2, "ISCED 0-2"), (3, 4, "ISCED 3-4"), (5, 8, "ISCED 5-8")],
            "unknown",
        ),
    }


def employed_on(events: pl.LazyFrame | pl.DataFrame, on: dt.date) -> pl.LazyFrame:
    """`person_id` of everyone employed on the day."""
    jobs = events.lazy().filter(
        pl.col("kind").is_in(["job_start", "job_end"]) & (pl.col("date") <= on)
    )
    return (
        jobs.group_by("person_id")
        .agg(pl.col("kind").sort_by("date", "kind").last())
        .filter(pl.col("kind") == "job_start")
        .select("person_id")
    )


def first_programme_by(events: pl.LazyFrame | pl.DataFrame, on: dt.date) -> pl.LazyFrame:
    """`person_id`, `programme`: the first programme each person started on or before the day."""
    return (
        events.lazy()
        .filter((pl.col("kind") == "programme_start") & (pl.col("date") <= on))
        .group_by("person_id")
        .agg(pl.col("programme").sort_by("date", "programme").first())
    )


def _validate(by: Sequence[str], cohort: str) -> None:
    for name in by:
        check_allowed("by", name, BREAKDOWNS)
    check_allowed("cohort", cohort, COHORT_COLUMNS)


def employment_on(
    persons: pl.DataFrame | pl.LazyFrame,
    events: pl.DataFrame | pl.LazyFrame,
    on: dt.date,
    *,
    cohort: Cohort = "registration",
    by: Sequence[str] = (),
    ages: tuple[int, int] = (18, 64),
    statuses: Sequence[str] | None = None,
) -> pl.DataFrame:
    """Employed persons on a day by cohort year (and `by`): `cohort`, `on`, `years_since`
    (full calendar years between the cohort year and the day's year), `count`,
    `denominator`, `rate`. When `persons` has a `record_key` column (`core.disclosure`),
    also `count_key` and `denominator_key`, the cell keys of the two counts."""
    return _employment_on(
        persons, events, on, cohort=cohort, by=by, ages=ages, statuses=statuses
    ).collect()


def _population(
    persons: pl.DataFrame | pl.LazyFrame,
    on: dt.date,
    column: str,
    by: Sequence[str],
    ages: tuple[int, int],
    statuses: Sequence[str] | None,
) -> pl.LazyFrame:
    """The persons of a cohort (`column` on or before the day) aged `ages` on the day, with
    their cohort year and the breakdowns of `by` derived on the day."""
    derived = breakdown_columns(on)
    population = persons.lazy().filter(pl.col(column).is_not_null() & (pl.col(column) <= on))
    if statuses is not None:
        population = population.filter(pl.col("legal_status").is_in(list(statuses)))
    population = population.with_columns(
        derived["age"].alias("age"), pl.col(column).dt.year().cast(pl.Int32).alias("cohort")
    ).filter(pl.col("age").is_between(*ages))
    return population.with_columns(
        [expr.alias(name) for name, expr in derived.items() if name in by and name != "age"]
    )


def _employment_on(
    persons: pl.DataFrame | pl.LazyFrame,
    events: pl.DataFrame | pl.LazyFrame,
    on: dt.date,
    *,
    cohort: Cohort,
    by: Sequence[str],
    ages: tuple[int, int],
    statuses: Sequence[str] | None,
) -> pl.LazyFrame:
    """`employment_on` as a lazy query (several days are then collected at once)."""
    _validate(by, cohort)
    keyed = "record_key" in persons.lazy().collect_schema().names()
    population = _population(persons, on, COHORT_COLUMNS[cohort], by, ages, statuses)
    if "programme" in by:
        population = population.join(
            first_programme_by(events, on), on="person_id", how="left"
        ).with_columns(pl.col("programme").fill_null("none"))
    employed = employed_on(events, on).with_columns(employed=pl.lit(True))
    keys = ["cohort", *by]
    result = (
        population.join(employed, on="person_id", how="left")
        .group_by(keys)
        .agg(
            count=pl.col("employed").fill_null(False).sum().cast(pl.Int64),
            denominator=pl.len().cast(pl.Int64),
            **(
                {
                    "count_key": key_sum(pl.col("employed").fill_null(False)),
                    "denominator_key": key_sum(),
                }
                if keyed
                else {}
            ),
        )
        .with_columns(
            on=pl.lit(on),
            years_since=(pl.lit(on.year) - pl.col("cohort")).cast(pl.Int32),
            rate=pl.col("count") / pl.col("denominator"),
        )
        .sort(keys)
    )
    return result.select(
        "cohort", "on", "years_since", *by, *RATE_COLUMNS, *(RATE_KEYS if keyed else ())
    )


def employment_rate(
    persons: pl.DataFrame | pl.LazyFrame,
    events: pl.DataFrame | pl.LazyFrame,
    years: Sequence[int],
    *,
    cohort: Cohort = "registration",
    by: Sequence[str] = (),
    ages: tuple[int, int] = (18, 64),
    statuses: Sequence[str] | None = None,
    cohorts: Sequence[int] | None = None,
) -> pl.DataFrame:
    """The employment rate on 31 December of each year, by cohort year and years since
    (the curves of the Socio-economic Monitoring); `cohorts` keeps only those cohort years."""
    persons_lazy = persons.lazy()
    events_lazy = events.lazy()
    frames = [
        _employment_on(
            persons_lazy,
            events_lazy,
            dt.date(year, 12, 31),
            cohort=cohort,
            by=by,
            ages=ages,
            statuses=statuses,
        )
        for year in years
    ]
    result = pl.concat(pl.collect_all(frames))  # every day in one pass
    if cohorts is not None:
        result = result.filter(pl.col("cohort").is_in(list(cohorts)))
    return result


def pool(frame: pl.DataFrame, keys: Sequence[str]) -> pl.DataFrame:
    """Sum `count` and `denominator` over every column not in `keys` and recompute `rate`
    (for example the 2015 and 2016 cohorts together); their cell keys too, when given."""
    cell_keys = [c for c in RATE_KEYS if c in frame.columns]
    return (
        frame.group_by(list(keys))
        .agg(
            pl.col("count").sum(),
            pl.col("denominator").sum(),
            *[(pl.col(c).sum() % MODULUS).alias(c) for c in cell_keys],
        )
        .with_columns(rate=pl.col("count") / pl.col("denominator"))
        .sort(list(keys))
    )
