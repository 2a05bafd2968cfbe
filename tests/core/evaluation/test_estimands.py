"""ATT and ATE on simulated data whose effect is known and differs between them: the effect
of the programme grows with a covariate that also drives who takes part, so the effect on
participants (ATT) is larger than the average effect (ATE). Every estimator must recover the
estimand asked, within a tolerance derived from the effective sample sizes; poor overlap
gets its warning; the weights are checked by hand."""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest

from passerelle.core.evaluation import EvaluationInputError, evaluate_programme
from passerelle.core.evaluation.estimators import (
    SPLINE_KNOTS,
    Estimate,
    Evaluation,
    effective_number,
    ipw_weights,
    spline_terms,
    weighted_difference,
)

PERSONS = 20_000


def _expit(value: np.ndarray) -> np.ndarray:
    return np.asarray(1 / (1 + np.exp(-value)))


def _simulate(
    persons: int, seed: int, selection: str = "linear", strength: float = 1.0
) -> tuple[pl.DataFrame, float, float]:
    """A sample, its ATE and its ATT (means of P(Y1) - P(Y0) over everyone and over the
    participants, known because the outcome models are known)."""
    rng = np.random.default_rng(seed)
    x1 = rng.normal(size=persons)
    x2 = (rng.random(persons) < 0.4).astype(float)
    score = -0.7 + strength * x1 if selection == "linear" else -1.2 + 0.9 * x1**2
    treated = rng.random(persons) < _expit(score + 0.5 * x2)
    base = -1.2 + 0.6 * x1 + 0.4 * x2
    p0, p1 = _expit(base), _expit(base + 0.3 + 0.9 * x1)
    draw = rng.random(persons)
    outcome = np.where(treated, draw < p1, draw < p0)
    frame = pl.DataFrame(
        {"treated": treated.astype(int), "outcome": outcome.astype(int), "x1": x1, "x2": x2}
    )
    effect = p1 - p0
    return frame, float(effect.mean()), float(effect[treated].mean())


def _tolerance(estimate: Estimate) -> float:
    """Four standard errors at most: a 0/1 outcome has a standard deviation of at most 0.5,
    so a weighted difference of means has a standard error of at most
    0.5 * sqrt(1/n_treated + 1/n_control) in Kish's effective numbers."""
    return 4 * 0.5 * math.sqrt(1 / estimate.effective_treated + 1 / estimate.effective_control)


@pytest.fixture(scope="module")
def heterogeneous() -> tuple[pl.DataFrame, float, float]:
    return _simulate(PERSONS, seed=11)


@pytest.mark.parametrize("estimand", ["att", "ate"])
def test_every_estimator_recovers_the_estimand_asked(
    heterogeneous: tuple[pl.DataFrame, float, float], estimand: str
) -> None:
    frame, ate, att = heterogeneous
    truth, other = (att, ate) if estimand == "att" else (ate, att)
    result = evaluate_programme(frame, estimand=estimand, n_bootstrap=10, seed=0)
    assert result.estimand == estimand
    for method in ("psm", "ipw", "aipw"):
        estimate = result.estimate(method)
        assert estimate.estimand == estimand.upper()
        tolerance = _tolerance(estimate)
        # The two estimands lie further apart than the tolerance: returning the other one fails.
        assert abs(other - truth) > tolerance, method
        assert abs(estimate.effect - truth) <= tolerance, (method, estimate.effect, truth)
    assert result.estimate("naive").effect - truth > 2 * _tolerance(result.estimate("naive"))
    assert result.overlap is not None
    assert result.overlap.warnings == ()  # good overlap: no warning
    assert all(abs(row["smd_weighted"]) < 0.1 for row in result.balance.iter_rows(named=True))
    assert all(abs(row["smd_matched"]) < 0.1 for row in result.balance.iter_rows(named=True))


def test_squares_are_used_when_selection_is_curved_and_the_output_says_so() -> None:
    """Take-up depends on x1 squared (the old and the young take part less, say): linear
    propensity terms leave x1 squared unbalanced; squares balance it and recover the ATT."""
    frame, _ate, att = _simulate(PERSONS, seed=12, selection="curved")
    result = evaluate_programme(frame, n_bootstrap=10, seed=0)
    propensity = result.propensity
    assert propensity is not None
    assert propensity.terms == "squares"
    assert propensity.flexible == ("x1",)  # x2 is binary: its square is itself
    assert propensity.imbalance["linear"] > 0.1 > propensity.imbalance["squares"]
    assert "squares of x1" in propensity.describe()
    for method in ("psm", "ipw", "aipw"):
        estimate = result.estimate(method)
        assert abs(estimate.effect - att) <= _tolerance(estimate), method
    # Asked for linear terms, the output says so and keeps them despite the imbalance.
    forced = evaluate_programme(frame, propensity_terms="linear", n_bootstrap=10, seed=0)
    assert forced.propensity is not None
    assert (forced.propensity.terms, forced.propensity.chosen) == ("linear", False)
    assert forced.propensity.describe() == "Propensity model: linear terms, as asked."
    with pytest.raises(EvaluationInputError, match="propensity_terms: 'cubic'; allowed values"):
        evaluate_programme(frame, propensity_terms="cubic", n_bootstrap=10)


def test_poor_overlap_gets_the_warning() -> None:
    """Take-up almost decided by x1: participants with a high x1 have hardly any comparable
    non-participant, and the odds weights rest on a handful of them."""
    frame, _ate, _att = _simulate(1_500, seed=13, strength=4.0)
    result = evaluate_programme(frame, n_bootstrap=10, seed=0)
    overlap = result.overlap
    assert overlap is not None
    codes = {warning.code for warning in overlap.warnings}
    assert "few_comparable_controls" in codes
    warning = next(w for w in overlap.warnings if w.code == "few_comparable_controls")
    assert warning.value < warning.threshold == 100
    assert "threshold 100" in warning.message()
    assert "too few comparable non-participants" in warning.message()
    assert overlap.unmatched_treated + overlap.trimmed_treated > 0


def test_ipw_weights_by_hand() -> None:
    t = np.array([1, 1, 0, 0], dtype=np.int64)
    e = np.array([0.8, 0.5, 0.5, 0.2])
    y = np.array([1.0, 0.0, 1.0, 0.0])
    att = ipw_weights(t, e, "att")
    # Participants weigh 1; non-participants the odds e/(1-e): 0.5/0.5 = 1 and 0.2/0.8 = 0.25.
    assert att.tolist() == pytest.approx([1.0, 1.0, 1.0, 0.25])
    ate = ipw_weights(t, e, "ate")
    assert ate.tolist() == pytest.approx([1.25, 2.0, 2.0, 1.25])
    # ATT: participants' mean 0.5; non-participants' (1 * 1 + 0.25 * 0) / 1.25 = 0.8.
    assert weighted_difference(y, t, att) == pytest.approx(0.5 - 0.8)
    # ATE: (1.25 * 1) / 3.25 - (2 * 1) / 3.25.
    assert weighted_difference(y, t, ate) == pytest.approx((1.25 - 2.0) / 3.25)
    assert effective_number(att[2:]) == pytest.approx(1.25**2 / (1 + 0.25**2))


def test_bad_estimand_names_the_field_and_the_allowed_values(
    heterogeneous: tuple[pl.DataFrame, float, float],
) -> None:
    with pytest.raises(EvaluationInputError, match="estimand: 'atc'; allowed values: att, ate"):
        evaluate_programme(heterogeneous[0], estimand="atc", n_bootstrap=10)
    with pytest.raises(EvaluationInputError, match="allowed values: att, ate"):
        ipw_weights(np.array([1, 0]), np.array([0.5, 0.5]), "ATT")


def test_json_reports_the_estimand_terms_and_overlap(
    heterogeneous: tuple[pl.DataFrame, float, float],
) -> None:
    frame = heterogeneous[0].head(4000)
    # Five persons without x1: refused by default (test_outside_data.py); left out and
    # counted, never silently, when asked.
    frame = frame.with_columns(
        pl.when(pl.int_range(pl.len()) < 5).then(None).otherwise(pl.col("x1")).alias("x1")
    )
    result: Evaluation = evaluate_programme(frame, estimand="ate", n_bootstrap=10, missing="drop")
    assert result.missing_rows == 5
    assert result.estimate("naive").n_treated + result.estimate("naive").n_control == 3995
    data = result.to_json()
    assert data["missing_rows"] == 5
    assert data["estimand"] == "ate"
    assert isinstance(data["propensity"], dict)
    assert data["propensity"]["terms"] in {"linear", "squares", "splines"}
    assert isinstance(data["overlap"], dict)
    assert set(data["overlap"]) >= {"trimmed_treated", "unmatched_control", "warnings"}


def test_restricted_cubic_spline_is_linear_beyond_the_outer_knots() -> None:
    """Harrell's restricted cubic spline: cubic between the knots, a straight line outside
    them, so that a flexible propensity does not swing at the extremes of a covariate."""
    column = np.linspace(0.0, 100.0, 1001)
    terms = spline_terms(column)
    assert terms is not None
    assert terms.shape == (1001, 2)  # four knots: two nonlinear terms
    knots = np.quantile(column, SPLINE_KNOTS)
    for j in range(2):
        below = terms[column < knots[0], j]
        above = terms[column > knots[-1], j]
        assert np.allclose(below, 0.0)
        assert np.allclose(np.diff(above, 2), 0.0, atol=1e-9)  # second differences vanish
        inside = terms[(column > knots[0]) & (column < knots[-1]), j]
        assert not np.allclose(np.diff(inside, 2), 0.0, atol=1e-9)
    # A covariate with few values (an education level 0-2): knots coincide, no spline.
    assert spline_terms(np.repeat([0.0, 1.0, 2.0], [50, 900, 50])) is None
