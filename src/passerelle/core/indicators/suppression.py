"""Small-cell suppression for anything that leaves the analyst's screen.

A row is suppressed when any of its counts is at least 1 and below the threshold (a zero
reveals nothing about a person and stays). In a suppressed row every count and every
derived figure (rates, shares, days, survival) becomes null, and `suppressed` is true; the
labels (organisation, cohort, age band...) stay so that the reader sees a cell was withheld.

This is primary suppression only: a withheld cell can sometimes be recovered by subtracting
the others from a published total (secondary disclosure). Reports built here publish no
totals next to their breakdowns; see docs/indicators.md.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

LABEL_INTEGER_COLUMNS = frozenset(
    {"cohort", "years_since", "year", "start_year", "horizon_months", "time", "month", "period"}
)
"""Integer columns that are labels, not counts."""


def count_columns(frame: pl.DataFrame) -> list[str]:
    """The counts of an indicator frame: integer columns that are not labels."""
    return [
        name
        for name, dtype in frame.schema.items()
        if dtype.is_integer() and name not in LABEL_INTEGER_COLUMNS
    ]


def suppress_small_cells(
    frame: pl.DataFrame, threshold: int = 5, counts: Sequence[str] | None = None
) -> pl.DataFrame:
    """`frame` with the rows that hold a count in [1, threshold) withheld (see the module)."""
    if threshold < 1:
        raise ValueError(f"threshold: {threshold}; allowed values: an integer of at least 1")
    names = list(counts) if counts is not None else count_columns(frame)
    missing = [name for name in names if name not in frame.columns]
    if missing:
        raise ValueError(f"counts: no column {missing[0]!r}; columns: {', '.join(frame.columns)}")
    figures = [
        name
        for name, dtype in frame.schema.items()
        if name in names or (dtype.is_float() and name not in LABEL_INTEGER_COLUMNS)
    ]
    small = pl.any_horizontal(
        [pl.col(name).is_between(1, threshold - 1).fill_null(False) for name in names]
        or [pl.lit(False)]
    )
    return frame.with_columns(suppressed=small).with_columns(
        [pl.when(pl.col("suppressed")).then(None).otherwise(pl.col(n)).alias(n) for n in figures]
    )
