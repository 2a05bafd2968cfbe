"""Monthly indicators of runs, uncertainty bands over replications, difference to baseline.

Bands are the 5th and 95th percentiles over replications (the spread of the simulated
outcomes for one set of parameters, not parameter uncertainty). Differences to the baseline
are taken replication by replication with the same seeds (common random numbers), then
summarised the same way.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import polars as pl

from passerelle.core.simulation.model import Prepared, RunResult
from passerelle.core.simulation.rules_tables import add_months

MAIN_INDICATORS = (
    "employment_rate",
    "employed",
    "people_waiting",
    "months_to_first_job",
    "places_used",
)
LOW, HIGH = 5.0, 95.0


def indicators(
    result: RunResult, programme_keys: Sequence[str]
) -> dict[str, npt.NDArray[np.float64]]:
    """Every monthly series of one run, by name."""
    series: dict[str, npt.NDArray[np.float64]] = {
        "employment_rate": result.employment_rate,
        "employed": result.employed,
        "present": result.present,
        "protected_employment_rate": np.divide(
            result.protected_employed,
            result.protected,
            out=np.zeros(result.months),
            where=result.protected > 0,
        ),
        "people_waiting": result.waiting.sum(axis=0),
        "months_to_first_job": result.months_to_first_job,
        "first_jobs": result.first_jobs,
        "places_used": result.in_programme.sum(axis=0),
    }
    for p, key in enumerate(programme_keys):
        series[f"waiting.{key}"] = result.waiting[p]
        series[f"places_used.{key}"] = result.in_programme[p]
        series[f"starts.{key}"] = result.starts[p]
    return series


def _stack(results: Sequence[RunResult], keys: Sequence[str]) -> dict[str, npt.NDArray[np.float64]]:
    per_run = [indicators(result, keys) for result in results]
    return {name: np.stack([run[name] for run in per_run]) for name in per_run[0]}


def summarise(
    prepared: Prepared,
    results: Sequence[RunResult],
    baseline: Sequence[RunResult] | None = None,
) -> pl.DataFrame:
    """Long table: month, indicator, mean, low, high (and diff_mean, diff_low, diff_high
    against the baseline when given)."""
    keys = prepared.programme_keys
    stacked = _stack(results, keys)
    base = _stack(baseline, keys) if baseline else None
    months = [add_months(prepared.start, t) for t in range(prepared.months)]
    frames = []
    for name, values in stacked.items():
        columns: dict[str, object] = {
            "month": months,
            "indicator": [name] * prepared.months,
            "mean": _nanmean(values),
            "low": _nanpercentile(values, LOW),
            "high": _nanpercentile(values, HIGH),
        }
        if base is not None:
            difference = values - base[name]
            columns["baseline_mean"] = _nanmean(base[name])
            columns["diff_mean"] = _nanmean(difference)
            columns["diff_low"] = _nanpercentile(difference, LOW)
            columns["diff_high"] = _nanpercentile(difference, HIGH)
        frames.append(pl.DataFrame(columns))
    return pl.concat(frames).with_columns(pl.col("month").cast(pl.Date))


def _nanmean(values: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    with np.errstate(all="ignore"):
        counts = np.sum(~np.isnan(values), axis=0)
        total = np.nansum(values, axis=0)
        return np.where(counts > 0, total / np.maximum(counts, 1), np.nan)


def _nanpercentile(values: npt.NDArray[np.float64], q: float) -> npt.NDArray[np.float64]:
    out = np.full(values.shape[1], np.nan)
    valid = ~np.isnan(values).all(axis=0)
    if valid.any():
        out[valid] = np.nanpercentile(values[:, valid], q, axis=0)
    return out


def summary_rows(table: pl.DataFrame, at: dt.date | None = None) -> list[dict[str, object]]:
    """The main indicators on one month (the last by default), for the printed summary."""
    month = at or table["month"].max()
    rows = table.filter(
        (pl.col("month") == month) & pl.col("indicator").is_in(list(MAIN_INDICATORS))
    )
    order = {name: i for i, name in enumerate(MAIN_INDICATORS)}
    return sorted(rows.to_dicts(), key=lambda row: order[str(row["indicator"])])
