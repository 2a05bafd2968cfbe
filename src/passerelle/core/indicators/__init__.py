"""Monitoring indicators on polars from plain frames (persons, events, referral events).

Input schemas: `schema.py`. Every figure carries its count and denominator; anything that
leaves the analyst's screen goes through `suppress_small_cells`.
"""

from passerelle.core.indicators.employment import employment_on, employment_rate, pool
from passerelle.core.indicators.outcomes import programme_outcomes
from passerelle.core.indicators.referrals import (
    capacity_used,
    referral_decisions,
    referral_flows,
    rejection_reasons,
    waiting_times,
)
from passerelle.core.indicators.report import funder_report, parse_period
from passerelle.core.indicators.schema import IndicatorInputError, conform, read_csv
from passerelle.core.indicators.suppression import suppress_small_cells
from passerelle.core.indicators.survival import kaplan_meier, time_to_first_job

__all__ = [
    "IndicatorInputError",
    "capacity_used",
    "conform",
    "employment_on",
    "employment_rate",
    "funder_report",
    "kaplan_meier",
    "parse_period",
    "pool",
    "programme_outcomes",
    "read_csv",
    "referral_decisions",
    "referral_flows",
    "rejection_reasons",
    "suppress_small_cells",
    "time_to_first_job",
    "waiting_times",
]
