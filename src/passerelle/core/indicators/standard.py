"""The standard indicator set, one place for the export command and the benchmark."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import polars as pl

from passerelle.core.indicators.employment import BREAKDOWNS, employment_on, employment_rate
from passerelle.core.indicators.outcomes import programme_outcomes
from passerelle.core.indicators.referrals import (
    capacity_used,
    referral_decisions,
    referral_flows,
    rejection_reasons,
    waiting_times,
)
from passerelle.core.indicators.survival import time_to_first_job

Indicator = Callable[[], pl.DataFrame]


def export_counts(name: str) -> list[str] | None:
    """The counts that decide suppression when an indicator is exported (None: all counts).

    A Kaplan-Meier curve is published, as usual, with the number at risk: its rows are
    withheld where fewer than the threshold are at risk, not wherever a month has one to four
    events (that would withhold almost every step of a small group's curve)."""
    return ["at_risk"] if name.startswith("time_to_first_job") else None


def month_ends(year: int) -> list[dt.date]:
    """The last day of every month of a year."""
    firsts = [dt.date(year + (m == 12), m % 12 + 1, 1) for m in range(1, 13)]
    return [first - dt.timedelta(days=1) for first in firsts]


def standard_indicators(
    persons: pl.DataFrame,
    events: pl.DataFrame,
    referrals: pl.DataFrame | None,
    capacity: pl.DataFrame | None,
    as_of: dt.date,
    *,
    first_year: int = 2011,
) -> dict[str, Indicator]:
    """Named indicators (computed when called): employment by registration cohort on every
    31 December from `first_year` to the year of `as_of`; employment by arrival cohort on
    `as_of` for each breakdown; time to a first job (Kaplan-Meier, overall and by sex and
    status); programme outcomes; and, with referrals, flows, decisions, reasons, waiting
    times and (with capacity) places used at the month-ends of the year of `as_of`."""
    years = range(first_year, as_of.year + (as_of.month == 12 and as_of.day == 31))
    result: dict[str, Indicator] = {
        "employment_by_cohort": lambda: employment_rate(persons, events, years),
    }
    for name in BREAKDOWNS:
        result[f"employment_by_{name}"] = lambda name=name: employment_on(  # type: ignore[misc]
            persons, events, as_of, cohort="arrival", by=[name]
        )
    result["time_to_first_job"] = lambda: time_to_first_job(persons, events, as_of)
    result["time_to_first_job_by_sex"] = lambda: time_to_first_job(
        persons, events, as_of, by=["sex"]
    )
    result["time_to_first_job_by_status"] = lambda: time_to_first_job(
        persons, events, as_of, by=["legal_status"]
    )
    result["programme_outcomes"] = lambda: programme_outcomes(events, as_of)
    if referrals is not None:
        result["referral_flows"] = lambda: referral_flows(referrals)
        result["referral_decisions"] = lambda: referral_decisions(referrals)
        result["rejection_reasons"] = lambda: rejection_reasons(referrals)
        result["waiting_times"] = lambda: waiting_times(referrals)
        if capacity is not None:
            result["capacity_used"] = lambda: capacity_used(
                referrals, capacity, month_ends(as_of.year)
            )
    return result
