"""Calibration: fit the hazard parameters so that the baseline reproduces known figures.

Targets (seed article, paragraphs 6 and 14; BRIEF.md "Figures to reproduce"):
- employment rate of refugees and protected persons registered in 2010: 11 % in 2011 and
  33 % in 2014 (Socio-economic Monitoring 2017); read in December 2011 and December 2014 for
  the agents whose protection was granted in 2010;
- Actiris: 31 % of the protected persons registered in Brussels in 2015-2016 employed
  (1 636 of 5 265, May 2017), read as "had a job since" (the source does not say whether
  it is a stock on one day; a stock is inconsistent with the 2010 cohort's 11 % after a
  year);
- Duo for a Job: about half of the mentees in a job within a year.
The share of newcomers living in Brussels is set in closed form so that the simulated
number of persons granted protection in 2015-2016 and living in Brussels is Actiris's
5 265. The fitted parameters are base_hazard, language_growth, programme_effect_scale and
monthly_separation
(Nelder-Mead on the weighted squared error in percentage points, common random numbers).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize

from passerelle.core.simulation.config import BASELINE, Assumptions, Calibrated, load_scenario
from passerelle.core.simulation.model import RunResult, prepare, run
from passerelle.knowledge.loader import Knowledge

ACTIRIS_REGISTERED = 5265
ACTIRIS_EMPLOYED = 1636
ACTIRIS_FROM, ACTIRIS_TO = 60, 84
"""Protected persons granted protection in 2015-2016 (month indices from 2010-01)."""


@dataclass(frozen=True)
class Target:
    name: str
    observed: float
    weight: float
    source: str


TARGETS = (
    Target("cohort_2010@23", 0.11, 1.0, "employment rate, 2010 cohort, 2011 (seed article §6)"),
    Target("cohort_2010@59", 0.33, 1.0, "employment rate, 2010 cohort, 2014 (seed article §6)"),
    Target(
        "actiris_2015_2016@88",
        ACTIRIS_EMPLOYED / ACTIRIS_REGISTERED,
        1.0,
        "Actiris, registered 2015-2016, employed May 2017 (seed article §6)",
    ),
    Target("duo_within_a_year", 0.5, 0.5, "Duo for a Job mentees in a job within a year (§16)"),
)
CALIBRATION_MONTHS = 89
"""2010-01 to 2017-05: the last target month."""


@dataclass(frozen=True)
class Fit:
    calibrated: Calibrated
    brussels_share: float
    simulated: dict[str, float]
    rmse_points: float
    """Root mean squared error over the targets, in percentage points."""
    evaluations: int


def simulated_figures(result: RunResult) -> dict[str, float]:
    figures = {target.name: result.probes.get(target.name, math.nan) for target in TARGETS}
    figures["duo_within_a_year"] = result.mentees_in_job_within_a_year
    return figures


def error_points(figures: dict[str, float]) -> float:
    """Root mean squared error in percentage points (unweighted, for reporting)."""
    squares = [(100 * (figures[t.name] - t.observed)) ** 2 for t in TARGETS]
    return math.sqrt(sum(squares) / len(squares))


def _objective(figures: dict[str, float]) -> float:
    total = 0.0
    for target in TARGETS:
        value = figures[target.name]
        if math.isnan(value):
            return 1e6
        total += target.weight * (100 * (value - target.observed)) ** 2
    return total


def brussels_share_for(knowledge: Knowledge, assumptions: Assumptions, persons: int) -> float:
    """The share of newcomers living in Brussels that makes the number of protected persons
    registered in 2015-2016 in Brussels equal Actiris's 5 265."""
    prepared = prepare(knowledge, assumptions, load_scenario(BASELINE), CALIBRATION_MONTHS)
    rng = np.random.default_rng(0)
    from passerelle.core.simulation.model import generate_population

    population = generate_population(prepared, persons, rng)
    scale = float(prepared.arrivals_per_month.sum()) / persons
    granted = np.count_nonzero(
        (population.decision >= ACTIRIS_FROM)
        & (population.decision < ACTIRIS_TO)
        & (population.outcome != 3)
    )
    return min(1.0, ACTIRIS_REGISTERED / (granted * scale))


def evaluate(
    knowledge: Knowledge, assumptions: Assumptions, persons: int, seed: int = 0
) -> dict[str, float]:
    prepared = prepare(knowledge, assumptions, load_scenario(BASELINE), CALIBRATION_MONTHS)
    return simulated_figures(run(prepared, persons, seed))


def calibrate(
    knowledge: Knowledge,
    assumptions: Assumptions,
    persons: int = 100_000,
    seed: int = 0,
    max_evaluations: int = 120,
    progress: Callable[[int, float], None] | None = None,
) -> Fit:
    """Fit the calibrated block of the assumptions; the rules tables are computed once."""
    share = brussels_share_for(knowledge, assumptions, persons)
    assumptions = assumptions.model_copy(update={"brussels_share": share})
    baseline = load_scenario(BASELINE)
    prepared = prepare(knowledge, assumptions, baseline, CALIBRATION_MONTHS)
    calls = 0

    def with_params(x: np.ndarray) -> Assumptions:
        calibrated = Calibrated(
            base_hazard=float(min(math.exp(x[0]), 0.5)),
            language_growth=float(min(max(x[1], 0.0), 0.5)),
            programme_effect_scale=float(max(x[2], 0.0)),
            monthly_separation=float(min(max(math.exp(x[3]), 1e-4), 0.5)),
        )
        return assumptions.model_copy(update={"calibrated": calibrated})

    def objective(x: np.ndarray) -> float:
        nonlocal calls
        calls += 1
        candidate = with_params(x)
        shared = prepare(knowledge, candidate, baseline, CALIBRATION_MONTHS, tables=prepared.tables)
        value = _objective(simulated_figures(run(shared, persons, seed)))
        if progress is not None:
            progress(calls, value)
        return value

    c = assumptions.calibrated
    start = np.array(
        [
            math.log(c.base_hazard),
            c.language_growth,
            c.programme_effect_scale,
            math.log(c.monthly_separation),
        ],
        dtype=float,
    )
    steps = np.array([0.5, 0.01, 0.5, 0.5])
    simplex = np.vstack([start, *(start + np.diag(steps))])
    result = minimize(
        objective,
        start,
        method="Nelder-Mead",
        options={
            "maxfev": max_evaluations,
            "xatol": 1e-3,
            "fatol": 1e-2,
            "initial_simplex": simplex,
        },
    )
    fitted = with_params(np.asarray(result.x))
    figures = evaluate(knowledge, fitted, persons, seed)
    return Fit(fitted.calibrated, share, figures, error_points(figures), calls)


@dataclass(frozen=True)
class Sensitivity:
    """How the calibration figures move when one assumption moves by ±`change`."""

    path: str
    base_value: float
    low: dict[str, float]
    high: dict[str, float]

    def spread_points(self, target: str) -> float:
        """The largest move of one figure, in percentage points, either way."""
        return 100 * (self.high[target] - self.low[target])


def numeric_assumptions(assumptions: Assumptions) -> list[str]:
    """The figures marked `source: assumption` that are single numbers (the ones a
    sensitivity run can move)."""
    paths = []
    for path in assumptions.figure_paths():
        provenance = assumptions.provenance_of(path)
        value = assumptions.figure_value(path)
        if (
            provenance is not None
            and provenance.is_assumption
            and isinstance(value, int | float)
            and not isinstance(value, bool)
            and value != 0
        ):
            paths.append(path)
    return paths


def sensitivity(
    knowledge: Knowledge,
    assumptions: Assumptions,
    paths: list[str] | None = None,
    change: float = 0.2,
    persons: int = 20_000,
    seed: int = 0,
) -> tuple[dict[str, float], list[Sensitivity]]:
    """The calibration figures of the baseline, then with each assumption at (1 - change)
    and (1 + change) times its value, everything else fixed (same seed: common random
    numbers). Values that must stay in a range are clipped to it (shares at 1)."""
    from passerelle.core.simulation.config import SimulationConfigError, with_assumption

    baseline = load_scenario(BASELINE)
    tables = prepare(knowledge, assumptions, baseline, CALIBRATION_MONTHS).tables

    def figures(candidate: Assumptions) -> dict[str, float]:
        # The rules tables do not depend on the assumptions: computed once.
        shared = prepare(knowledge, candidate, baseline, CALIBRATION_MONTHS, tables=tables)
        return simulated_figures(run(shared, persons, seed))

    base = figures(assumptions)
    rows = []
    for path in paths if paths is not None else numeric_assumptions(assumptions):
        value = float(assumptions.figure_value(path))
        moved: list[dict[str, float]] = []
        for factor in (1 - change, 1 + change):
            candidate = value * factor
            if isinstance(assumptions.figure_value(path), int):
                candidate = max(1, round(candidate))
            try:
                changed = with_assumption(assumptions, path, candidate)
            except SimulationConfigError:
                changed = with_assumption(assumptions, path, min(candidate, 1.0))
            moved.append(figures(changed))
        rows.append(Sensitivity(path, value, moved[0], moved[1]))
    return base, rows
