"""The effect of a programme on a binary outcome, four ways side by side, for the estimand
asked: the effect on participants (ATT, the default: what a funder asks about a programme)
or the average effect over everyone in the sample (ATE).

Input: one row per person with a 0/1 `treatment` column (took the programme), a 0/1 `outcome`
column (for example a job within 12 months) and numeric covariates measured BEFORE the
programme. Models are scikit-learn logistic regressions on standardised terms, without
penalty (`C=inf`).

- naive: difference of the outcome means, treated minus untreated (what a programme's own
  report shows); it estimates neither estimand.
- psm: propensity-score matching (Rosenbaum and Rubin 1983), 1:1 with replacement on the logit
  of the propensity score within a caliper of 0.2 standard deviations of that logit (Austin
  2011). ATT: each participant is matched to the nearest non-participant; ATE: in addition
  each non-participant to the nearest participant, and the two averages are pooled (Abadie
  and Imbens 2006). Persons without a match inside the caliper are dropped and counted.
- ipw: inverse-probability weighting, normalised within each arm (Hájek). ATT: participants
  weigh 1 and non-participants e/(1-e), the odds of the propensity e (Hirano, Imbens and
  Ridder 2003); ATE: 1/e and 1/(1-e).
- aipw: augmented IPW, doubly robust (Robins, Rotnitzky and Zhao 1994; Glynn and Quinn 2010):
  outcome models corrected by the weighted residuals; consistent when either the propensity
  or the outcome model is right. ATT: the participants' observed mean minus their predicted
  mean without the programme, corrected by the odds-weighted residuals of the
  non-participants; ATE: both arms' predicted means corrected by the 1/e and 1/(1-e) weighted
  residuals.

Overlap: for the ATE persons with e outside [trim, 1 - trim] are trimmed (Crump et al. 2009);
the ATT needs comparable non-participants only for the participants, so only e > 1 - trim is
trimmed (Imbens 2004: the ATT requires e(x) < 1, not e(x) > 0). The counts, the effective
numbers of persons in each arm and plain warnings are in `Evaluation.overlap`.

Propensity terms: linear, with squares of the non-binary covariates, or with restricted cubic
splines; a flexible form is kept only where it lowers the largest |SMD| after weighting (on
the covariates and their squares) by more than that figure's sampling noise. The choice uses
the covariates and the treatment, never the outcome (Rubin 2001: design before outcomes).

Confidence intervals: percentile bootstrap (`n_bootstrap` resamples of persons, seeded),
every model refitted in each resample (the propensity terms chosen once, on the full sample).
Balance: standardised mean differences (difference of means over the pooled standard
deviation of the unadjusted sample; Austin 2011) before adjustment, after weighting and after
matching, for the estimand asked.

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

from passerelle.core.evaluation.inputs import (
    EvaluationInputError,
    InputNote,
    PreparedInput,
    prepare_input,
)
from passerelle.core.extras import require
from passerelle.core.i18n import _, gettext_noop
from passerelle.core.validation import check_allowed

__all__ = ["EvaluationInputError", "InputNote", "PreparedInput", "evaluate_programme"]


def _logistic_regression() -> Any:
    """An unpenalised logistic regression (scikit-learn: the evaluation extra)."""
    linear_model: Any = require("sklearn.linear_model", "evaluation")
    return linear_model.LogisticRegression(
        C=np.inf, solver="newton-cholesky", max_iter=200, tol=1e-10
    )


def _linear_regression() -> Any:
    """Ordinary least squares (the outcome model of a continuous outcome)."""
    linear_model: Any = require("sklearn.linear_model", "evaluation")
    return linear_model.LinearRegression()


def _single_threaded_blas() -> Any:
    """A context in which BLAS runs on one thread. The fits here are many and small (a few
    thousand rows, a dozen columns): splitting each product over threads costs more than it
    saves, and on a shared machine under load it made a 100-resample run 3 to 4 times slower
    (docs/evaluation.md, "Running time"). threadpoolctl comes with scikit-learn. The limit
    is process-wide while it lasts."""
    require("sklearn", "evaluation")
    threadpoolctl: Any = require("threadpoolctl", "evaluation")
    return threadpoolctl.threadpool_limits(limits=1, user_api="blas")


FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

METHODS = ("naive", "psm", "ipw", "aipw")
ESTIMAND_VALUES = ("att", "ate")
PROPENSITY_TERMS = ("linear", "squares", "splines")
SPLINE_KNOTS = (0.05, 0.35, 0.65, 0.95)
"""Quantiles of the four knots of a restricted cubic spline (Harrell 2015, Regression Modeling
Strategies, 2nd ed., chapter 2)."""

MIN_EFFECTIVE_PERSONS = 100
"""Assumption (a project convention, no source gives a number): below 100 effective
comparable persons in an arm, that arm's outcome share alone is uncertain by up to
1.96 * 0.5 / sqrt(100) = ±10 points (95 %), as large as the effects programmes claim."""
MAX_EXCLUDED_SHARE = 0.10
"""Assumption (a project convention): when more than 10 % of the persons the estimand is about
are trimmed or unmatched, the estimate describes a comparable subset, not all of them."""


def estimand_methods(estimand: str) -> dict[str, str]:
    """The estimand each method reports for the estimand asked ("att" or "ate")."""
    return {method: "difference" if method == "naive" else estimand.upper() for method in METHODS}


# The estimands of the default run (kept for callers that read them).
ESTIMANDS = estimand_methods("att")


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
    """Persons without a match (psm: participants for the ATT, persons of either arm for the
    ATE) or outside the trimmed range (ipw, aipw)."""
    effective_treated: float = math.nan
    """Kish's effective number of participants under the method's weights:
    (sum of weights)^2 / sum of squared weights."""
    effective_control: float = math.nan
    """The same for the non-participants."""
    trimmed: int = 0
    """Persons outside the trimmed range of the propensity (ipw, aipw)."""
    unmatched: int = 0
    """Persons without a match within the caliper (psm)."""
    max_smd_before: float = math.nan
    """The largest |SMD| over the covariates before adjustment."""
    max_smd_after: float = math.nan
    """The same after the method's adjustment (weights for ipw and aipw, the matched sample
    for psm; none for naive, which is the value before)."""


@dataclass(frozen=True)
class PropensityModel:
    """The propensity terms used, and why."""

    terms: str
    """linear, squares or splines (see PROPENSITY_TERMS)."""
    flexible: tuple[str, ...]
    """Covariates that received a square or spline terms (none when linear)."""
    imbalance: dict[str, float]
    """Largest |SMD| after weighting, on the covariates and their squares, per candidate."""
    noise: float
    """The sampling noise of an SMD, sqrt(1/n_treated + 1/n_control) in effective numbers:
    a flexible form must beat the linear one by more than this."""

    chosen: bool = True
    """True when chosen by balance ("auto"), False when asked for."""

    def describe(self) -> str:
        if self.terms == "linear":
            return (
                _("Propensity model: linear terms (no flexible form improved balance).")
                if self.chosen
                else _("Propensity model: linear terms, as asked.")
            )
        template = (
            _("Propensity model: linear terms and squares of {covariates}.")
            if self.terms == "squares"
            else _(
                "Propensity model: linear terms and restricted cubic splines (4 knots) of "
                "{covariates}."
            )
        )
        return template.format(covariates=", ".join(self.flexible))

    def to_json(self) -> dict[str, object]:
        return {
            "terms": self.terms,
            "flexible": list(self.flexible),
            "imbalance": self.imbalance,
            "noise": self.noise,
            "chosen": self.chosen,
        }


@dataclass(frozen=True)
class OverlapWarning:
    """A plain warning about overlap, with the figure and the threshold it crossed."""

    code: str
    """few_comparable_controls, few_comparable_treated or many_excluded."""
    method: str
    value: float
    threshold: float

    def message(self) -> str:
        if self.code == "many_excluded":
            return _(
                "{method}: {share:.0%} of the persons the estimate is about (participants for "
                "the ATT, everyone for the ATE) were trimmed or had no match (threshold "
                "{threshold:.0%}, an assumption of the project): the estimate describes only "
                "the comparable part of them."
            ).format(method=self.method, share=self.value, threshold=self.threshold)
        template = (
            _(
                "{method}: too few comparable non-participants: they weigh as {value:.0f} "
                "persons (threshold {threshold:.0f}, an assumption of the project: below it the "
                "comparison group's outcome share alone is uncertain by up to ±{points:.0f} "
                "points). Do not rely on this estimate."
            )
            if self.code == "few_comparable_controls"
            else _(
                "{method}: too few comparable participants: they weigh as {value:.0f} persons "
                "(threshold {threshold:.0f}, an assumption of the project: below it the "
                "participants' outcome share alone is uncertain by up to ±{points:.0f} points). "
                "Do not rely on this estimate."
            )
        )
        # The 95 % half-width of a share near 50 % (its largest) measured on `threshold` persons.
        points = 100 * 1.96 * 0.5 / math.sqrt(self.threshold)
        return template.format(
            method=self.method, value=self.value, threshold=self.threshold, points=points
        )


@dataclass(frozen=True)
class Overlap:
    """How many persons could be compared, for the estimand asked."""

    estimand: str
    trimmed_treated: int
    trimmed_control: int
    unmatched_treated: int
    unmatched_control: int
    """Non-participants without a participant within the caliper (ATE only; 0 for the ATT)."""
    matched_controls: int
    """Distinct non-participants used as matches (with replacement, one may serve several)."""
    warnings: tuple[OverlapWarning, ...]

    def to_json(self) -> dict[str, object]:
        return {
            "estimand": self.estimand,
            "trimmed_treated": self.trimmed_treated,
            "trimmed_control": self.trimmed_control,
            "unmatched_treated": self.unmatched_treated,
            "unmatched_control": self.unmatched_control,
            "matched_controls": self.matched_controls,
            "warnings": [
                {**warning.__dict__, "message": warning.message()} for warning in self.warnings
            ],
        }


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
    """AIPW estimate of the outcome's mean without the programme: among participants for the
    ATT, among everyone for the ATE."""
    e_value: float
    """How strong an unmeasured confounder would have to be, as a risk ratio with both the
    programme and the outcome beyond the covariates, to explain the AIPW estimate away."""
    e_value_ci: float
    """The same for the bound of the AIPW interval nearest to no effect (1 when it includes
    no effect)."""
    estimand: str = "att"
    propensity: PropensityModel | None = None
    overlap: Overlap | None = None
    missing_rows: int = 0
    """Rows left out for a missing treatment, outcome or covariate (`missing="drop"`)."""
    outcome_kind: str = "binary"
    """binary (a 0/1 outcome: logistic outcome models, E-value) or continuous (linear
    outcome models, no E-value)."""
    notes: tuple[InputNote, ...] = ()
    """What was changed in the input before estimation (encodings, dropped columns and rows)."""

    def estimate(self, method: str) -> Estimate:
        return next(e for e in self.estimates if e.method == method)

    def to_json(self) -> dict[str, object]:
        return {
            "estimand": self.estimand,
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
            "propensity": None if self.propensity is None else self.propensity.to_json(),
            "overlap": None if self.overlap is None else self.overlap.to_json(),
            "missing_rows": self.missing_rows,
            "outcome_kind": self.outcome_kind,
            "notes": [note.to_json() for note in self.notes],
        }


@dataclass(frozen=True)
class _Point:
    effects: dict[str, float]
    excluded: dict[str, int]
    effective: dict[str, tuple[float, float]]
    """Kish's effective numbers (participants, non-participants) per method."""
    control_risk: float
    """The AIPW estimate of the outcome's mean without the programme."""
    weights: FloatArray
    """IPW weights of every person (0 when trimmed)."""
    matched: FloatArray
    """How often each person counts in the matched sample (0 when unmatched)."""
    trimmed: tuple[int, int]
    unmatched: tuple[int, int]


def _standardise(x: FloatArray) -> FloatArray:
    sd = x.std(axis=0)
    sd[sd == 0] = 1.0
    return np.asarray((x - x.mean(axis=0)) / sd, dtype=np.float64)


def _fit_probability(x: FloatArray, y: IntArray) -> FloatArray:
    """Fitted P(y = 1 | x) for every row of x (constant when y has one value)."""
    return _fit_on(x, y, x)


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


def ipw_weights(t: IntArray, e: FloatArray, estimand: str) -> FloatArray:
    """Inverse-probability weights. ATT: participants 1, non-participants the odds
    e/(1-e), which reweights them to the participants' covariates (Hirano, Imbens and Ridder
    2003); ATE: 1/e and 1/(1-e), which reweight both arms to the whole sample."""
    _check_estimand(estimand)
    if estimand == "att":
        return np.asarray(np.where(t == 1, 1.0, e / (1 - e)), dtype=np.float64)
    return np.asarray(np.where(t == 1, 1 / e, 1 / (1 - e)), dtype=np.float64)


def weighted_difference(y: FloatArray, t: IntArray, weights: FloatArray) -> float:
    """The weighted mean outcome of participants minus that of non-participants, each arm's
    weights normalised to sum to one (Hájek)."""
    arm = t == 1
    return float(
        np.sum(weights[arm] * y[arm]) / np.sum(weights[arm])
        - np.sum(weights[~arm] * y[~arm]) / np.sum(weights[~arm])
    )


def effective_number(weights: FloatArray) -> float:
    """Kish's effective sample size of weights: (sum w)^2 / sum w^2 (0 for no weight)."""
    total = float(np.sum(weights))
    squares = float(np.sum(weights**2))
    return total**2 / squares if squares > 0 else 0.0


def _effective(t: IntArray, weights: FloatArray) -> tuple[float, float]:
    return effective_number(weights[t == 1]), effective_number(weights[t == 0])


def _check_estimand(estimand: str) -> None:
    check_allowed("estimand", estimand, ESTIMAND_VALUES, EvaluationInputError)


def _matches(
    logit: FloatArray, t: IntArray, estimand: str, caliper_sd: float
) -> tuple[FloatArray, tuple[int, int]]:
    """How often each person counts in the matched sample, and the participants and
    non-participants left without a match within the caliper."""
    treated = t == 1
    caliper = caliper_sd * float(logit.std())
    treated_index = np.flatnonzero(treated)
    control_index = np.flatnonzero(~treated)
    kept, matched = match_nearest(logit[treated_index], logit[control_index], caliper)
    matches = np.zeros(len(t))
    np.add.at(matches, treated_index[kept], 1.0)
    np.add.at(matches, control_index[matched], 1.0)
    unmatched_control = 0
    if estimand == "ate":
        # Each non-participant's missing outcome under the programme comes from its nearest
        # participant; the pooled mean of both imputations is the ATE (Abadie and Imbens 2006).
        kept_c, matched_t = match_nearest(logit[control_index], logit[treated_index], caliper)
        np.add.at(matches, control_index[kept_c], 1.0)
        np.add.at(matches, treated_index[matched_t], 1.0)
        unmatched_control = len(control_index) - len(kept_c)
    return matches, (len(treated_index) - len(kept), unmatched_control)


def _point(
    x: FloatArray,
    t: IntArray,
    y: FloatArray,
    estimand: str,
    caliper_sd: float,
    trim: float,
    binary: bool = True,
) -> _Point:
    treated = t == 1
    naive = float(y[treated].mean() - y[~treated].mean())
    e = _fit_probability(x, t)
    matches, (unmatched_treated, unmatched_control) = _matches(_logit(e), t, estimand, caliper_sd)
    matched_both = matches[treated].sum() > 0 and matches[~treated].sum() > 0
    psm = weighted_difference(y, t, matches) if matched_both else float("nan")

    inside = e <= 1 - trim if estimand == "att" else (e >= trim) & (e <= 1 - trim)
    weights = np.where(inside, ipw_weights(t, np.clip(e, 1e-12, 1 - 1e-12), estimand), 0.0)
    arm_in = treated & inside
    control_in = ~treated & inside
    if arm_in.any() and control_in.any():
        ipw = weighted_difference(y, t, weights)
        aipw, control_risk = _doubly_robust(
            x, y, weights, (arm_in, control_in, inside), estimand, binary
        )
    else:
        ipw = aipw = control_risk = float("nan")
    trimmed = (int((treated & ~inside).sum()), int((~treated & ~inside).sum()))
    weighted = _effective(t, weights)
    return _Point(
        effects={"naive": naive, "psm": psm, "ipw": ipw, "aipw": aipw},
        excluded={
            "naive": 0,
            "psm": unmatched_treated + unmatched_control,
            "ipw": sum(trimmed),
            "aipw": sum(trimmed),
        },
        effective={
            "naive": (float(treated.sum()), float((~treated).sum())),
            "psm": _effective(t, matches),
            "ipw": weighted,
            "aipw": weighted,
        },
        control_risk=control_risk,
        weights=weights,
        matched=matches,
        trimmed=trimmed,
        unmatched=(unmatched_treated, unmatched_control),
    )


Masks = tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_], npt.NDArray[np.bool_]]
"""Participants, non-participants and everyone inside the trimmed range."""


def _doubly_robust(
    x: FloatArray,
    y: FloatArray,
    weights: FloatArray,
    masks: Masks,
    estimand: str,
    binary: bool,
) -> tuple[float, float]:
    """The augmented IPW estimate and the outcome's mean without the programme: outcome
    models fitted in each arm (logistic for a binary outcome, linear for a continuous one),
    corrected by their weighted residuals."""
    arm_in, control_in, inside = masks
    mu0 = _fit_outcome(x[control_in], y[control_in], x, binary)
    residual0 = np.sum(weights[control_in] * (y[control_in] - mu0[control_in])) / np.sum(
        weights[control_in]
    )
    if estimand == "att":
        control_risk = float(np.mean(mu0[arm_in]) + residual0)
        return float(np.mean(y[arm_in])) - control_risk, control_risk
    mu1 = _fit_outcome(x[arm_in], y[arm_in], x, binary)
    residual1 = np.sum(weights[arm_in] * (y[arm_in] - mu1[arm_in])) / np.sum(weights[arm_in])
    control_risk = float(np.mean(mu0[inside]) + residual0)
    return float(np.mean(mu1[inside]) + residual1) - control_risk, control_risk


def _fit_outcome(
    x_fit: FloatArray, y_fit: FloatArray, x_all: FloatArray, binary: bool
) -> FloatArray:
    """E[y | x] fitted on `x_fit` and predicted for `x_all`: P(y = 1 | x) for a binary
    outcome, a linear regression for a continuous one."""
    if binary:
        return _fit_on(x_fit, y_fit, x_all)
    model = _linear_regression()
    model.fit(x_fit, y_fit)
    return np.asarray(model.predict(x_all), dtype=np.float64)


def _fit_on(x_fit: FloatArray, y_fit: FloatArray | IntArray, x_all: FloatArray) -> FloatArray:
    """P(y = 1 | x) fitted on `x_fit` and predicted for every row of `x_all` (constant when
    `y_fit` has one value)."""
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
    if not control > 0:
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


def _non_binary(raw_x: FloatArray) -> list[int]:
    return [j for j in range(raw_x.shape[1]) if len(np.unique(raw_x[:, j])) > 2]


def spline_terms(column: FloatArray) -> FloatArray | None:
    """The two nonlinear terms of a restricted cubic spline with knots at the 5th, 35th, 65th
    and 95th percentiles (linear beyond the outer knots), or None when knots coincide."""
    knots = np.quantile(column, SPLINE_KNOTS)
    if len(np.unique(knots)) < len(knots):
        return None
    last, before_last = knots[-1], knots[-2]
    span = last - before_last

    def cube(values: FloatArray) -> FloatArray:
        return np.asarray(np.maximum(values, 0.0) ** 3, dtype=np.float64)

    terms = [
        cube(column - knot)
        - cube(column - before_last) * (last - knot) / span
        + cube(column - last) * (before_last - knot) / span
        for knot in knots[:-2]
    ]
    return np.asarray(np.column_stack(terms) / (last - knots[0]) ** 2, dtype=np.float64)


def _design(raw_x: FloatArray, terms: str) -> tuple[FloatArray, tuple[int, ...]] | None:
    """The standardised design matrix of a propensity form and the covariates it makes
    flexible, or None when no covariate can take that form."""
    z = _standardise(raw_x)
    if terms == "linear":
        return z, ()
    extra: list[FloatArray] = []
    flexible: list[int] = []
    for j in _non_binary(raw_x):
        column = z[:, j] ** 2 if terms == "squares" else spline_terms(raw_x[:, j])
        if column is not None:
            extra.append(column.reshape(len(z), -1))
            flexible.append(j)
    if not flexible:
        return None
    return _standardise(np.column_stack([z, *extra])), tuple(flexible)


def _imbalance(
    raw_x: FloatArray, t: IntArray, x: FloatArray, estimand: str, trim: float
) -> tuple[float, float]:
    """The largest |SMD| after weighting, on the covariates and the squares of the
    non-binary ones, under the propensity fitted on x; and its sampling noise."""
    e = _fit_probability(x, t)
    inside = e <= 1 - trim if estimand == "att" else (e >= trim) & (e <= 1 - trim)
    weights = np.where(inside, ipw_weights(t, np.clip(e, 1e-12, 1 - 1e-12), estimand), 0.0)
    if weights[t == 1].sum() == 0 or weights[t == 0].sum() == 0:
        return math.inf, math.inf
    z = _standardise(raw_x)
    moments = np.column_stack([z, *(z[:, [j]] ** 2 for j in _non_binary(raw_x))])
    smd = standardised_differences(moments, t, weights)
    treated_n, control_n = _effective(t, weights)
    return float(np.max(np.abs(smd))), math.sqrt(1 / treated_n + 1 / control_n)


def _propensity_design(
    raw_x: FloatArray,
    t: IntArray,
    names: tuple[str, ...],
    estimand: str,
    trim: float,
    terms_asked: str,
) -> tuple[FloatArray, PropensityModel]:
    """The propensity form asked, or ("auto") the one with the best balance, flexible only
    when it beats the linear form by more than the sampling noise of an SMD."""
    linear, _none = _design(raw_x, "linear") or (raw_x, ())
    best_value, noise = _imbalance(raw_x, t, linear, estimand, trim)
    imbalance = {"linear": best_value}
    chosen: tuple[str, FloatArray, tuple[int, ...]] = ("linear", linear, ())
    for terms in PROPENSITY_TERMS[1:]:
        design = _design(raw_x, terms)
        if design is None:
            if terms == terms_asked:
                raise EvaluationInputError(
                    f"propensity_terms: {terms!r} needs a covariate with more distinct values"
                )
            continue
        value, _noise = _imbalance(raw_x, t, design[0], estimand, trim)
        imbalance[terms] = value
        asked = terms == terms_asked
        if asked or (terms_asked == "auto" and value < imbalance[chosen[0]] - noise):
            chosen = (terms, design[0], design[1])
    return chosen[1], PropensityModel(
        terms=chosen[0],
        flexible=tuple(names[j] for j in chosen[2]),
        imbalance=imbalance,
        noise=noise,
        chosen=terms_asked == "auto",
    )


def _overlap(
    point: _Point, t: IntArray, estimand: str, min_effective: float, max_excluded: float
) -> Overlap:
    warnings: list[OverlapWarning] = []
    about = int((t == 1).sum()) if estimand == "att" else len(t)
    excluded = {
        "psm": point.unmatched[0] + point.unmatched[1],
        "ipw": point.trimmed[0] + (point.trimmed[1] if estimand == "ate" else 0),
    }
    for method, count in excluded.items():
        if count / about > max_excluded:
            warnings.append(OverlapWarning("many_excluded", method, count / about, max_excluded))
    arms: list[tuple[str, int]] = [("few_comparable_controls", 1)]
    if estimand == "ate":
        arms.insert(0, ("few_comparable_treated", 0))
    for code, arm in arms:
        for method in ("psm", "ipw"):
            value = point.effective[method][arm]
            if value < min_effective:
                warnings.append(OverlapWarning(code, method, value, min_effective))
    return Overlap(
        estimand=estimand,
        trimmed_treated=point.trimmed[0],
        trimmed_control=point.trimmed[1],
        unmatched_treated=point.unmatched[0],
        unmatched_control=point.unmatched[1],
        matched_controls=int(((point.matched > 0) & (t == 0)).sum()),
        warnings=tuple(warnings),
    )


def evaluate_programme(
    frame: pl.DataFrame,
    *,
    treatment: str = "treated",
    outcome: str = "outcome",
    covariates: Sequence[str] | None = None,
    estimand: str = "att",
    propensity_terms: str = "auto",
    n_bootstrap: int = 200,
    seed: int = 0,
    caliper: float = 0.2,
    trim: float = 0.01,
    confidence: float = 0.95,
    min_effective: float = MIN_EFFECTIVE_PERSONS,
    max_excluded: float = MAX_EXCLUDED_SHARE,
    progress: Callable[[int], None] | None = None,
    missing: str = "refuse",
    outcome_kind: str = "auto",
) -> Evaluation:
    """The four estimates of `estimand` ("att", the default: the effect on participants;
    "ate": the average effect) with bootstrap intervals, the balance table, the propensity
    terms used ("auto": chosen by balance; or linear, squares, splines as asked) and the overlap
    diagnostics. The input is read by `inputs.prepare_input` (`missing`: refuse, drop or
    indicator; `outcome_kind`: auto, binary or continuous; `covariates`: by default every
    column but the treatment, the outcome, `person_id`, `y0`, `y1`). `progress` is called
    after each bootstrap resample."""
    _check_options(estimand, propensity_terms)
    prepared = prepare_input(
        frame,
        treatment=treatment,
        outcome=outcome,
        covariates=covariates,
        missing=missing,
        outcome_kind=outcome_kind,
    )
    raw_x, t, y = prepared.x, prepared.t, prepared.y
    binary = prepared.outcome_kind == "binary"
    with _single_threaded_blas():
        x, propensity = _propensity_design(
            raw_x, t, prepared.names, estimand, trim, propensity_terms
        )
        _refuse_separation(raw_x, x, t, prepared.names, treatment)
        point = _point(x, t, y, estimand, caliper, trim, binary)
        draws = _bootstrap(x, t, y, estimand, caliper, trim, n_bootstrap, seed, progress, binary)
    balance = _balance(raw_x, t, prepared.names, point)
    estimates = _estimates(point, draws, t, estimand, confidence, balance)
    options = {
        "estimand": estimand,
        "n_bootstrap": n_bootstrap,
        "seed": seed,
        "caliper": caliper,
        "trim": trim,
        "min_effective": min_effective,
        "max_excluded": max_excluded,
    }
    return _evaluation(prepared, estimates, balance, point, propensity, options)


def _check_options(estimand: str, propensity_terms: str) -> None:
    _check_estimand(estimand)
    check_allowed(
        "propensity_terms", propensity_terms, ("auto", *PROPENSITY_TERMS), EvaluationInputError
    )


def _evaluation(
    prepared: PreparedInput,
    estimates: list[Estimate],
    balance: pl.DataFrame,
    point: _Point,
    propensity: PropensityModel,
    options: dict[str, Any],
) -> Evaluation:
    """The Evaluation of the estimates, with E-values for a binary outcome."""
    t, y = prepared.t, prepared.y
    treated = t == 1
    aipw = next(e for e in estimates if e.method == "aipw")
    e_point, e_bound = (
        _e_values(aipw.effect, aipw.ci_low, aipw.ci_high, point.control_risk)
        if prepared.outcome_kind == "binary"
        else (math.nan, math.nan)
    )
    estimand = options["estimand"]
    return Evaluation(
        estimates=tuple(estimates),
        balance=balance,
        covariates=prepared.names,
        treated_outcome=float(y[treated].mean()),
        control_outcome=float(y[~treated].mean()),
        n_bootstrap=options["n_bootstrap"],
        seed=options["seed"],
        caliper=options["caliper"],
        trim=options["trim"],
        control_risk=point.control_risk,
        e_value=e_point,
        e_value_ci=e_bound,
        estimand=estimand,
        propensity=propensity,
        overlap=_overlap(point, t, estimand, options["min_effective"], options["max_excluded"]),
        missing_rows=prepared.dropped_rows,
        outcome_kind=prepared.outcome_kind,
        notes=prepared.notes,
    )


def _refuse_separation(
    raw_x: FloatArray, x: FloatArray, t: IntArray, names: tuple[str, ...], treatment: str
) -> None:
    """Refuse a sample whose covariates separate participants from non-participants
    completely: no participant has a comparable non-participant, so no estimator has
    anything to compare (the unpenalised propensity would run to 0 and 1)."""
    treated = t == 1
    alone = [
        name
        for j, name in enumerate(names)
        if raw_x[treated, j].min() > raw_x[~treated, j].max()
        or raw_x[treated, j].max() < raw_x[~treated, j].min()
    ]
    if not alone:
        logit = _logit(_fit_probability(x, t))
        if logit[treated].min() <= logit[~treated].max():
            return
    which = f"{', '.join(alone)} alone" if alone else "the covariates together"
    raise EvaluationInputError(
        f"{treatment}: perfect separation by {which}: no participant has a comparable "
        "non-participant, so there is nothing to compare; leave out the covariates that "
        "decide who took part, or compare with another group",
        reason=SEPARATED_BY[bool(alone)],
        covariates=", ".join(alone),
    )


SEPARATED_BY = {
    True: gettext_noop(
        "the covariates %(covariates)s alone separate the participants from the others: no "
        "participant has a comparable non-participant, so there is nothing to compare"
    ),
    False: gettext_noop(
        "the covariates together separate the participants from the others: no participant "
        "has a comparable non-participant, so there is nothing to compare"
    ),
}
"""A perfect separation, for a reader (`EvaluationInputError.reason`): by some covariates
each on its own, or only by all of them together."""


def _bootstrap(
    x: FloatArray,
    t: IntArray,
    y: FloatArray,
    estimand: str,
    caliper: float,
    trim: float,
    n_bootstrap: int,
    seed: int,
    progress: Callable[[int], None] | None,
    binary: bool = True,
) -> dict[str, list[float]]:
    """Each method's effect on `n_bootstrap` resamples of the persons (a resample with one
    group only is skipped)."""
    draws: dict[str, list[float]] = {method: [] for method in METHODS}
    rng = np.random.default_rng(seed)
    n = len(t)
    for _resample in range(n_bootstrap):
        if progress is not None:
            progress(1)
        sample = rng.integers(0, n, n)
        ts = t[sample]
        if ts.min() == ts.max():
            continue
        resampled = _point(x[sample], ts, y[sample], estimand, caliper, trim, binary)
        for method in METHODS:
            draws[method].append(resampled.effects[method])
    return draws


def _estimates(
    point: _Point,
    draws: dict[str, list[float]],
    t: IntArray,
    estimand: str,
    confidence: float,
    balance: pl.DataFrame,
) -> list[Estimate]:
    """Each method's point estimate with its percentile interval from the bootstrap draws,
    its trimmed or unmatched persons and the largest |SMD| before and after it."""
    alpha = (1 - confidence) / 2
    treated = t == 1
    estimands = estimand_methods(estimand)
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
                estimand=estimands[method],
                effect=point.effects[method],
                ci_low=low,
                ci_high=high,
                n_treated=int(treated.sum()),
                n_control=int((~treated).sum()),
                excluded=point.excluded[method],
                effective_treated=point.effective[method][0],
                effective_control=point.effective[method][1],
                trimmed=point.excluded[method] if method in ("ipw", "aipw") else 0,
                unmatched=point.excluded[method] if method == "psm" else 0,
                max_smd_before=_largest(balance["smd_before"]),
                max_smd_after=_largest(balance[SMD_AFTER[method]]),
            )
        )
    return estimates


SMD_AFTER = {
    "naive": "smd_before",
    "psm": "smd_matched",
    "ipw": "smd_weighted",
    "aipw": "smd_weighted",
}
"""The balance column that shows each method's adjustment."""


def _largest(smd: pl.Series) -> float:
    values = smd.abs().drop_nans().drop_nulls()
    return float(values.max()) if values.len() else math.nan  # type: ignore[arg-type]


def _balance(raw_x: FloatArray, t: IntArray, names: tuple[str, ...], point: _Point) -> pl.DataFrame:
    """Each covariate's means and standardised differences before and after weighting and
    matching (NaN where a group has no weight left)."""
    treated = t == 1
    return pl.DataFrame(
        {
            "covariate": list(names),
            "mean_treated": raw_x[treated].mean(axis=0),
            "mean_control": raw_x[~treated].mean(axis=0),
            "smd_before": standardised_differences(raw_x, t),
            "smd_weighted": standardised_differences(raw_x, t, point.weights)
            if point.weights[treated].sum() > 0 and point.weights[~treated].sum() > 0
            else np.full(len(names), np.nan),
            "smd_matched": standardised_differences(raw_x, t, point.matched)
            if point.matched[treated].sum() > 0 and point.matched[~treated].sum() > 0
            else np.full(len(names), np.nan),
        }
    )
