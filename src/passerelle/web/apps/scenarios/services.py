"""A scenario against the baseline, for the analysts' page: the engine run in this process
with modest sizes, summarised, and cached on disk per (scenario, assumptions, sizes, seed).

The engine (`passerelle.core.simulation`, docs/simulation.md) does the work; this module
chooses the sizes (settings `SCENARIO_PERSONS`, `SCENARIO_REPLICATIONS`, `SCENARIO_SEED`,
`SCENARIO_MONTHS`), runs the replications without Dask, keeps the four indicators the page
shows, and reads the calibration error off the baseline runs. Every agent is synthetic.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import math
import os
import re
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import polars as pl
from django.conf import settings

from passerelle.core.simulation.calibration import TARGETS, error_points, simulated_figures
from passerelle.core.simulation.config import (
    BASELINE,
    Scenario,
    load_assumptions,
    load_scenario,
    scenario_names,
)
from passerelle.core.simulation.model import Prepared, prepare
from passerelle.core.simulation.parallel import SYNCHRONOUS, replication_seeds, run_many
from passerelle.core.simulation.results import summarise
from passerelle.core.simulation.rules_tables import add_months
from passerelle.knowledge.loader import load_knowledge

INDICATORS = ("employment_rate", "people_waiting", "months_to_first_job", "places_used")
COLUMNS = (
    "mean",
    "low",
    "high",
    "baseline_mean",
    "baseline_low",
    "baseline_high",
    "diff_mean",
    "diff_low",
    "diff_high",
)
FACTOR = {"employment_rate": 100.0}
"""Shown in percent (and differences in percentage points)."""
DECIMALS = {"employment_rate": 2, "people_waiting": 0, "months_to_first_job": 1, "places_used": 0}
CACHE_VERSION = 1


class UnknownScenarioError(LookupError):
    pass


@dataclass(frozen=True)
class Sizes:
    persons: int
    replications: int
    seed: int
    months: int | None
    """None: the assumptions' period (2010-01 to 2023-12)."""


def sizes_from_settings() -> Sizes:
    return Sizes(
        persons=int(settings.SCENARIO_PERSONS),
        replications=int(settings.SCENARIO_REPLICATIONS),
        seed=int(settings.SCENARIO_SEED),
        months=settings.SCENARIO_MONTHS,
    )


def cache_dir() -> Path:
    configured = settings.SCENARIO_CACHE_DIR
    return Path(configured) if configured else Path(settings.VAR_DIR) / "scenarios"


@dataclass(frozen=True)
class CalibrationRow:
    target: str
    observed: float
    simulated: float
    error_points: float


@dataclass(frozen=True)
class Comparison:
    scenario: str
    sizes: Sizes
    months: list[dt.date]
    series: dict[str, dict[str, list[float | None]]]
    """indicator -> column (COLUMNS) -> one value per month, in the indicator's unit."""
    calibration: list[CalibrationRow]
    calibration_rmse: float
    """Root mean squared error over the calibration targets, percentage points, computed on
    the baseline runs of this comparison (NaN when the period ends before the targets)."""
    seconds: float
    """How long the computation took."""

    def rows(self, indicator: str) -> list[tuple[str, list[float | None]]]:
        """(month as YYYY-MM, rounded values in COLUMNS order): the table and its CSV."""
        columns = self.series[indicator]
        decimals = DECIMALS[indicator]
        out = []
        for index, month in enumerate(self.months):
            values = [_round(columns[name][index], decimals) for name in COLUMNS]
            out.append((month.strftime("%Y-%m"), values))
        return out


def _round(value: float | None, decimals: int) -> float | None:
    if value is None or math.isnan(value):
        return None
    rounded = round(value, decimals)
    return rounded + 0.0  # no negative zero


def shipped_scenarios() -> list[Scenario]:
    return [load_scenario(name) for name in scenario_names()]


def scenario_by_name(name: str) -> Scenario:
    if name == BASELINE or name not in scenario_names():
        raise UnknownScenarioError(name)
    return load_scenario(name)


def cache_key(scenario: Scenario, sizes: Sizes) -> str:
    data = {
        "version": CACHE_VERSION,
        "scenario": scenario.model_dump(mode="json", exclude={"translations"}),
        "assumptions": load_assumptions().model_dump(mode="json"),
        "sizes": [sizes.persons, sizes.replications, sizes.seed, sizes.months],
    }
    text = json.dumps(data, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def _cache_path(scenario: Scenario, sizes: Sizes) -> Path:
    return cache_dir() / f"{scenario.name}-{cache_key(scenario, sizes)}.json"


def is_cached(scenario: Scenario, sizes: Sizes) -> bool:
    return _cache_path(scenario, sizes).exists()


@functools.lru_cache(maxsize=4)
def _baseline(months: int | None) -> Prepared:
    return prepare(load_knowledge(), load_assumptions(), load_scenario(BASELINE), months)


def compute(scenario: Scenario, sizes: Sizes) -> Comparison:
    """Run the scenario and the baseline with the same seeds, in this process."""
    started = time.perf_counter()
    base = _baseline(sizes.months)
    prepared = prepare(
        load_knowledge(), load_assumptions(), scenario, sizes.months, tables=base.tables
    )
    seeds = replication_seeds(sizes.seed, sizes.replications)
    jobs = [(prepared, sizes.persons, s) for s in seeds] + [(base, sizes.persons, s) for s in seeds]
    runs = run_many(jobs, scheduler=SYNCHRONOUS)
    scenario_runs, baseline_runs = runs[: sizes.replications], runs[sizes.replications :]
    compared = summarise(prepared, scenario_runs, baseline_runs)
    baseline = summarise(base, baseline_runs)
    months = [add_months(prepared.start, t) for t in range(prepared.months)]
    series: dict[str, dict[str, list[float | None]]] = {}
    for indicator in INDICATORS:
        factor = FACTOR.get(indicator, 1.0)
        rows = compared.filter(pl.col("indicator") == indicator).sort("month")
        base_rows = baseline.filter(pl.col("indicator") == indicator).sort("month")
        columns: dict[str, list[float | None]] = {}
        for name in ("mean", "low", "high", "diff_mean", "diff_low", "diff_high"):
            columns[name] = _scaled(rows[name].to_list(), factor)
        for name in ("mean", "low", "high"):
            columns[f"baseline_{name}"] = _scaled(base_rows[name].to_list(), factor)
        series[indicator] = {name: columns[name] for name in COLUMNS}
    figures = [simulated_figures(run) for run in baseline_runs]
    mean_figures = {t.name: _mean([f[t.name] for f in figures]) for t in TARGETS}
    calibration = [
        CalibrationRow(
            target=t.name,
            observed=100 * t.observed,
            simulated=100 * mean_figures[t.name],
            error_points=100 * (mean_figures[t.name] - t.observed),
        )
        for t in TARGETS
    ]
    return Comparison(
        scenario=scenario.name,
        sizes=sizes,
        months=months,
        series=series,
        calibration=calibration,
        calibration_rmse=error_points(mean_figures),
        seconds=time.perf_counter() - started,
    )


def _scaled(values: list[Any], factor: float) -> list[float | None]:
    return [
        None if value is None or math.isnan(value) else float(value) * factor for value in values
    ]


def _mean(values: list[float]) -> float:
    kept = [v for v in values if not math.isnan(v)]
    return sum(kept) / len(kept) if kept else math.nan


_lock = threading.Lock()


def comparison(scenario: Scenario, sizes: Sizes | None = None) -> Comparison:
    """From the disk cache, or computed (one computation at a time in this process) and
    written there atomically, so that every worker process of the server shares it."""
    sizes = sizes or sizes_from_settings()
    path = _cache_path(scenario, sizes)
    cached = _read(path)
    if cached is not None:
        return cached
    with _lock:
        cached = _read(path)
        if cached is not None:
            return cached
        result = compute(scenario, sizes)
        _write(path, result)
        return result


def _read(path: Path) -> Comparison | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if data.get("version") != CACHE_VERSION:
        return None
    return Comparison(
        scenario=data["scenario"],
        sizes=Sizes(**data["sizes"]),
        months=[dt.date.fromisoformat(m) for m in data["months"]],
        series=data["series"],
        calibration=[
            CalibrationRow(
                target=row["target"],
                observed=row["observed"],
                simulated=_nan(row["simulated"]),
                error_points=_nan(row["error_points"]),
            )
            for row in data["calibration"]
        ],
        calibration_rmse=_nan(data["calibration_rmse"]),
        seconds=data["seconds"],
    )


def _nan(value: float | None) -> float:
    return math.nan if value is None else float(value)


def _json_float(value: float) -> float | None:
    return None if math.isnan(value) else value


def _write(path: Path, result: Comparison) -> None:
    data = {
        "version": CACHE_VERSION,
        "scenario": result.scenario,
        "sizes": asdict(result.sizes),
        "months": [m.isoformat() for m in result.months],
        "series": result.series,
        "calibration": [
            {
                "target": row.target,
                "observed": row.observed,
                "simulated": _json_float(row.simulated),
                "error_points": _json_float(row.error_points),
            }
            for row in result.calibration
        ],
        "calibration_rmse": _json_float(result.calibration_rmse),
        "seconds": result.seconds,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(f".{os.getpid()}.tmp")
    temporary.write_text(json.dumps(data), encoding="utf-8")
    temporary.replace(path)
    # Results of this scenario under older assumptions or sizes are not read again.
    stale = re.compile(rf"^{re.escape(result.scenario)}-[0-9a-f]{{20}}\.json$")
    for other in path.parent.glob(f"{result.scenario}-*.json"):
        if other != path and stale.match(other.name):
            other.unlink(missing_ok=True)
