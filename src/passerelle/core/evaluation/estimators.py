"""The effect of a programme on a binary outcome, four ways side by side.

Input: one row per person with a 0/1 `treatment` column (took the programme), a 0/1 `outcome`
column (for example a job within 12 months) and numeric covariates measured BEFORE the
programme. Models are scikit-learn logistic regressions on standardised covariates, without
penalty (`C=inf`).

- naive: difference of the outcome means, treated minus untreated (what a programme's own
  report shows).
- psm: propensity-score matching, ATT: each treated person is matched (1:1, with
  replacement) to the untreated person nearest on the logit of the propensity score, within
  a caliper of 0.2 standard deviations of that logit (Austin 2011); treated persons without
  a match inside the caliper are dropped and counted.
- ipw: inverse-probability weighting, ATE, with stabilised weights (Robins, Hernán and
  Brumback 2000; the normalised Hájek form), on the persons whose propensity lies in
  [trim, 1 - trim] (Crump et al. 2009 style trimming; excluded persons are counted).
- aipw: augmented IPW, doubly robust, ATE (Robins, Rotnitzky and Zhao 1994; Glynn and Quinn
  2010): the outcome model (one logistic regression per arm) corrected by the weighted
  residuals; consistent when either model is right.

Confidence intervals: percentile bootstrap (`n_bootstrap` resamples of persons, seeded),
every model refitted in each resample. Balance: standardised mean differences (difference
of means over the pooled standard deviation of the unadjusted sample, as the R package
cobalt does) before adjustment, after weighting and after matching.

None of these corrects for a confounder that is not among the covariates: see
docs/evaluation.md and the tests on the synthetic cohort with an unobserved motivation.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

from passerelle.core.extras import require


def _logistic_regression() -> Any:
    """An unpenalised logistic regression (scikit-learn: the evaluation extra)."""
    linear_model: Any = require("sklearn.linear_model", "evaluation")
    return linear_model.LogisticRegression(C=np.inf, solver="newton-cholesky", max_iter=200)


FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

METHODS = ("naive", "psm", "ipw", "aipw")
ESTIMANDS = {"naive": "difference", "psm": "ATT", "ipw": "ATE", "aipw": "ATE"}


class EvaluationInputError(ValueError):
    """The evaluation frame lacks a column or a value is not allowed."""


@dataclass(frozen=True)
class Estimate:
    method: str
    estimand: str
    effect: float
    ci_low: float
    ci_high: float
    n_treated: int
    n_control: int
    excluded: int
    """Treated persons without a match (psm) or persons outside the trimmed range (ipw, aipw)."""


@dataclass(frozen=True)
class Evaluation:
    estimates: tuple[Estimate, ...]
    balance: pl.DataFrame
    """covariate, mean_treated, mean_control, smd_before, smd_weighted, smd_matched."""
    covariates: tuple[str, ...]
    treated_outcome: float
    control_outcome: float
    n_bootstrap: int
    seed: int
    caliper: float
    trim: float
    control_risk: float
    """AIPW estimate of the outcome's mean had nobody taken the programme."""
    e_value: float
    """How strong an unmeasured confounder would have to be, as a risk ratio with both the
    programme and the outcome beyond the covariates, to explain the AIPW estimate away."""
    e_value_ci: float
    """The same for the bound of the AIPW interval nearest to no effect (1 when it includes
    no effect)."""

    def estimate(self, method: str) -> Estimate:
        return next(e for e in self.estimates if e.method == method)

    def to_json(self) -> dict[str, object]:
        return {
            "estimates": [e.__dict__ for e in self.estimates],
            "balance": self.balance.to_dicts(),
            "covariates": list(self.covariates),
            "treated_outcome": self.treated_outcome,
            "control_outcome": self.control_outcome,
            "n_bootstrap": self.n_bootstrap,
            "seed": self.seed,
            "caliper": self.caliper,
            "trim": self.trim,
            "control_risk": self.control_risk,
            "e_value": self.e_value,
            "e_value_ci": self.e_value_ci,
        }


@dataclass(frozen=True)
class _Point:
    effects: dict[str, float]
    excluded: dict[str, int]
    control_risk: float
    """The AIPW estimate of the outcome's mean without the programme."""


def _standardise(x: FloatArray) -> FloatArray:
    sd = x.std(axis=0)
    sd[sd == 0] = 1.0
    return np.asarray((x - x.mean(axis=0)) / sd, dtype=np.float64)


def _fit_probability(x: FloatArray, y: IntArray) -> FloatArray:
    """Fitted P(y = 1 | x) for every row of x (constant when y has one value)."""
    if y.min() == y.max():
        return np.full(len(y), float(y[0]))
    model = _logistic_regression()
    model.fit(x, y)
    return np.asarray(model.predict_proba(x)[:, 1], dtype=np.float64)


def _logit(p: FloatArray) -> FloatArray:
    q = np.clip(p, 1e-12, 1 - 1e-12)
    return np.asarray(np.log(q / (1 - q)), dtype=np.float64)


def match_nearest(
    score_treated: FloatArray, score_control: FloatArray, caliper: float
) -> tuple[IntArray, IntArray]:
    """1:1 nearest-neighbour matching with replacement on a score: (indices of the matched
    treated, index of their control), keeping pairs within the caliper."""
    order = np.argsort(score_control, kind="stable")
    sorted_scores = score_control[order]
    position = np.searchsorted(sorted_scores, score_treated)
    left = np.clip(position - 1, 0, len(sorted_scores) - 1)
    right = np.clip(position, 0, len(sorted_scores) - 1)
    use_right = np.abs(sorted_scores[right] - score_treated) < np.abs(
        sorted_scores[left] - score_treated
    )
    nearest = np.where(use_right, right, left)
    distance = np.abs(sorted_scores[nearest] - score_treated)
    keep = np.flatnonzero(distance <= caliper)
    return keep.astype(np.int64), order[nearest[keep]].astype(np.int64)


def _point(
    x: FloatArray, t: IntArray, y: FloatArray, caliper_sd: float, trim: float
) -> tuple[_Point, FloatArray, tuple[IntArray, IntArray]]:
    treated = t == 1
    naive = float(y[treated].mean() - y[~treated].mean())
    e = _fit_probability(x, t)
    logit = _logit(e)
    caliper = caliper_sd * float(logit.std())
    treated_index = np.flatnonzero(treated)
    control_index = np.flatnonzero(~treated)
    kept, matched = match_nearest(logit[treated_index], logit[control_index], caliper)
    pairs = (treated_index[kept], control_index[matched])
    psm = float(np.mean(y[pairs[0]] - y[pairs[1]])) if len(kept) else float("nan")

    inside = (e >= trim) & (e <= 1 - trim)
    ti, ei, yi, xi = t[inside], e[inside], y[inside], x[inside]
    share = ti.mean()
    weights = np.where(ti == 1, share / ei, (1 - share) / (1 - ei))
    arm = ti == 1
    ipw = float(
        np.sum(weights[arm] * yi[arm]) / np.sum(weights[arm])
        - np.sum(weights[~arm] * yi[~arm]) / np.sum(weights[~arm])
    )
    mu1 = np.zeros(len(yi))
    mu0 = np.zeros(len(yi))
    if arm.any():
        mu1 = _fit_on(xi[arm], yi[arm], xi)
    if (~arm).any():
        mu0 = _fit_on(xi[~arm], yi[~arm], xi)
    control_risk = float(np.mean(mu0 + (1 - ti) * (yi - mu0) / (1 - ei)))
    aipw = float(np.mean(mu1 + ti * (yi - mu1) / ei)) - control_risk
    full_weights = np.zeros(len(y))
    full_weights[inside] = weights
    return (
        _Point(
            effects={"naive": naive, "psm": psm, "ipw": ipw, "aipw": aipw},
            excluded={
                "naive": 0,
                "psm": int(treated.sum() - len(kept)),
                "ipw": int((~inside).sum()),
                "aipw": int((~inside).sum()),
            },
            control_risk=control_risk,
        ),
        full_weights,
        pairs,
    )


def _fit_on(x_fit: FloatArray, y_fit: FloatArray, x_all: FloatArray) -> FloatArray:
    labels = y_fit.astype(np.int64)
    if labels.min() == labels.max():
        return np.full(len(x_all), float(labels[0]))
    model = _logistic_regression()
    model.fit(x_fit, labels)
    return np.asarray(model.predict_proba(x_all)[:, 1], dtype=np.float64)


def e_value(risk_ratio: float) -> float:
    """VanderWeele and Ding's E-value of a risk ratio (2017, Annals of Internal Medicine
    167:268): RR + sqrt(RR (RR - 1)), after inverting a protective ratio; 1 means none."""
    if not risk_ratio > 0 or math.isnan(risk_ratio):
        return float("nan")
    ratio = risk_ratio if risk_ratio >= 1 else 1 / risk_ratio
    return ratio + math.sqrt(ratio * (ratio - 1))


def _e_values(effect: float, low: float, high: float, control: float) -> tuple[float, float]:
    """E-values of the AIPW effect and of its interval bound nearest to no effect, as risk
    ratios against the estimated risk without the programme."""
    if control <= 0:
        return float("nan"), float("nan")
    point = e_value((control + effect) / control)
    if low <= 0 <= high:
        return point, 1.0
    nearest = low if effect > 0 else high
    return point, e_value((control + nearest) / control)


def standardised_differences(
    x: FloatArray, t: IntArray, weights: FloatArray | None = None
) -> FloatArray:
    """SMD per column: weighted difference of means over the unweighted pooled SD."""
    treated = t == 1
    pooled = np.sqrt((x[treated].var(axis=0, ddof=1) + x[~treated].var(axis=0, ddof=1)) / 2)
    pooled[pooled == 0] = 1.0
    w = np.ones(len(t)) if weights is None else weights
    mean_t = np.average(x[treated], axis=0, weights=w[treated])
    mean_c = np.average(x[~treated], axis=0, weights=w[~treated])
    return np.asarray((mean_t - mean_c) / pooled, dtype=np.float64)


def _arrays(
    frame: pl.DataFrame, treatment: str, outcome: str, covariates: Sequence[str] | None
) -> tuple[FloatArray, IntArray, FloatArray, tuple[str, ...]]:
    for name in (treatment, outcome):
        if name not in frame.columns:
            raise EvaluationInputError(
                f"{name}: no such column; columns: {', '.join(frame.columns)}"
            )
    if covariates is None:
        covariates = [
            name
            for name, dtype in frame.schema.items()
            if dtype.is_numeric() and name not in {treatment, outcome, "person_id", "y0", "y1"}
        ]
    names = tuple(covariates)
    if not names:
        raise EvaluationInputError("covariates: none; give numeric covariate columns")
    for name in names:
        if name not in frame.columns or not frame.schema[name].is_numeric():
            raise EvaluationInputError(f"covariates: {name!r} is not a numeric column of the input")
    data = frame.select(treatment, outcome, *names).drop_nulls()
    t = data[treatment].cast(pl.Int64).to_numpy()
    y = data[outcome].cast(pl.Float64).to_numpy()
    for name, values in ((treatment, t), (outcome, y)):
        if not np.isin(values, (0, 1)).all():
            raise EvaluationInputError(f"{name}: allowed values: 0, 1")
    if t.min() == t.max():
        raise EvaluationInputError(f"{treatment}: needs both treated (1) and untreated (0) rows")
    x = data.select(names).cast(pl.Float64).to_numpy()
    return x, t.astype(np.int64), y.astype(np.float64), names


def evaluate_programme(
    frame: pl.DataFrame,
    *,
    treatment: str = "treated",
    outcome: str = "outcome",
    covariates: Sequence[str] | None = None,
    n_bootstrap: int = 200,
    seed: int = 0,
    caliper: float = 0.2,
    trim: float = 0.01,
    confidence: float = 0.95,
    progress: Callable[[int], None] | None = None,
) -> Evaluation:
    """The four estimates with bootstrap intervals and the balance table. `covariates`
    defaults to every numeric column except the treatment, the outcome, `person_id` and the
    synthetic truth columns `y0`/`y1`. `progress` is called after each bootstrap resample."""
    raw_x, t, y, names = _arrays(frame, treatment, outcome, covariates)
    x = _standardise(raw_x)
    point, weights, pairs = _point(x, t, y, caliper, trim)
    rng = np.random.default_rng(seed)
    draws: dict[str, list[float]] = {method: [] for method in METHODS}
    n = len(t)
    for _ in range(n_bootstrap):
        if progress is not None:
            progress(1)
        sample = rng.integers(0, n, n)
        ts = t[sample]
        if ts.min() == ts.max():
            continue
        resampled, _w, _p = _point(x[sample], ts, y[sample], caliper, trim)
        for method in METHODS:
            draws[method].append(resampled.effects[method])
    alpha = (1 - confidence) / 2
    treated = t == 1
    estimates = []
    for method in METHODS:
        values = np.asarray(draws[method])
        values = values[~np.isnan(values)]
        low, high = (
            (float(np.quantile(values, alpha)), float(np.quantile(values, 1 - alpha)))
            if len(values)
            else (float("nan"), float("nan"))
        )
        estimates.append(
            Estimate(
                method=method,
                estimand=ESTIMANDS[method],
                effect=point.effects[method],
                ci_low=low,
                ci_high=high,
                n_treated=int(treated.sum()),
                n_control=int((~treated).sum()),
                excluded=point.excluded[method],
            )
        )
    matched_weights = np.zeros(n)
    np.add.at(matched_weights, pairs[0], 1.0)
    np.add.at(matched_weights, pairs[1], 1.0)
    balance = pl.DataFrame(
        {
            "covariate": list(names),
            "mean_treated": raw_x[treated].mean(axis=0),
            "mean_control": raw_x[~treated].mean(axis=0),
            "smd_before": standardised_differences(raw_x, t),
            "smd_weighted": standardised_differences(raw_x, t, weights),
            "smd_matched": standardised_differences(raw_x, t, matched_weights)
            if len(pairs[0])
            else np.full(len(names), np.nan),
        }
    )
    aipw = next(e for e in estimates if e.method == "aipw")
    e_point, e_bound = _e_values(aipw.effect, aipw.ci_low, aipw.ci_high, point.control_risk)
    return Evaluation(
        estimates=tuple(estimates),
        balance=balance,
        covariates=names,
        treated_outcome=float(y[treated].mean()),
        control_outcome=float(y[~treated].mean()),
        n_bootstrap=n_bootstrap,
        seed=seed,
        caliper=caliper,
        trim=trim,
        control_risk=point.control_risk,
        e_value=e_point,
        e_value_ci=e_bound,
    )
