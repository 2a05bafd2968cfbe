"""The four estimators against the synthetic truth: the naive difference is biased upward
(the selection effect the article warns of); with motivation observed, matching, weighting
and the doubly-robust estimator recover the true effect within their intervals; with
motivation unobserved, they do not (and the test says so)."""

from __future__ import annotations

import math
import random
import xml.etree.ElementTree as ET

import numpy as np
import polars as pl
import pytest

from passerelle.core.evaluation import EvaluationInputError, evaluate_programme, love_plot_svg
from passerelle.core.evaluation.estimators import (
    SEPARATED_BY,
    Evaluation,
    e_value,
    match_nearest,
)
from passerelle.core.evaluation.synthetic import CohortParameters, Motivation, generate_cohort

PERSONS = 20_000
BOOTSTRAP = 100


def _truth(sample: pl.DataFrame) -> tuple[float, float]:
    effect = (sample["y1"] - sample["y0"]).cast(pl.Float64)
    treated = sample["treated"] == 1
    return float(effect.mean() or 0.0), float(effect.filter(treated).mean() or 0.0)


def _run(motivation: Motivation) -> tuple[Evaluation, float, float]:
    cohort = generate_cohort(CohortParameters(persons=PERSONS, seed=5, motivation=motivation))
    sample = cohort.evaluation_sample()
    ate, att = _truth(sample)
    return evaluate_programme(sample, n_bootstrap=BOOTSTRAP, seed=1), ate, att


@pytest.fixture(scope="module")
def observed() -> tuple[Evaluation, float, float]:
    return _run("observed")


@pytest.fixture(scope="module")
def unobserved() -> tuple[Evaluation, float, float]:
    return _run("unobserved")


def test_naive_difference_is_biased_upward(
    observed: tuple[Evaluation, float, float], unobserved: tuple[Evaluation, float, float]
) -> None:
    for result, ate, att in (observed, unobserved):
        naive = result.estimate("naive")
        assert ate > 0
        assert naive.ci_low > max(ate, att)
        assert naive.effect > 2 * att  # "twice a comparable cohort", mostly selection


def test_adjusted_estimates_recover_the_truth_when_motivation_is_observed(
    observed: tuple[Evaluation, float, float],
) -> None:
    result, _ate, att = observed
    assert result.estimand == "att"  # the default: the effect on the mentees
    for method in ("psm", "ipw", "aipw"):
        estimate = result.estimate(method)
        assert estimate.estimand == "ATT"
        assert estimate.ci_low <= att <= estimate.ci_high, method
    # Balance: motivation is the most unbalanced covariate before, balanced after.
    balance = {row["covariate"]: row for row in result.balance.iter_rows(named=True)}
    assert balance["motivation_score"]["smd_before"] > 0.5
    assert all(abs(row["smd_weighted"]) < 0.1 for row in balance.values())
    assert all(abs(row["smd_matched"]) < 0.1 for row in balance.values())


def test_adjusted_estimates_stay_biased_when_motivation_is_unobserved(
    unobserved: tuple[Evaluation, float, float],
) -> None:
    """The honest limit: balance on observed covariates looks perfect, yet every adjusted
    interval lies above the truth, because motivation drives both take-up and jobs."""
    result, _ate, att = unobserved
    assert "motivation_score" not in result.covariates
    assert all(abs(row["smd_weighted"]) < 0.1 for row in result.balance.iter_rows(named=True))
    for method in ("psm", "ipw", "aipw"):
        assert result.estimate(method).ci_low > att, method
    # Still, adjusting for the observed covariates removes part of the naive bias.
    assert result.estimate("aipw").effect < result.estimate("naive").effect
    # The E-value says how strong a hidden confounder would have to be to explain it all.
    assert result.e_value > result.e_value_ci > 1


def test_e_value_by_hand() -> None:
    assert e_value(2.0) == pytest.approx(2 + math.sqrt(2))
    assert e_value(0.5) == pytest.approx(2 + math.sqrt(2))  # protective: inverted
    assert e_value(1.0) == 1.0


def test_randomised_programme_all_four_agree() -> None:
    rng = np.random.default_rng(0)
    n = 10_000
    x = rng.normal(size=(n, 2))
    treated = rng.random(n) < 0.5
    outcome = rng.random(n) < 0.2 + 0.15 * treated + 0.05 * (x[:, 0] > 0)
    frame = pl.DataFrame(
        {"treated": treated.astype(int), "outcome": outcome.astype(int), "a": x[:, 0], "b": x[:, 1]}
    )
    result = evaluate_programme(frame, n_bootstrap=50, seed=3)
    for estimate in result.estimates:
        assert estimate.ci_low <= 0.15 <= estimate.ci_high, estimate.method
    again = evaluate_programme(frame, n_bootstrap=50, seed=3)
    assert again.estimates == result.estimates  # seeded bootstrap


def test_nearest_neighbour_matching_with_caliper_by_hand() -> None:
    treated = np.array([0.0, 1.0, 5.0])
    controls = np.array([0.9, 0.1, 3.0])
    kept, matched = match_nearest(treated, controls, caliper=0.5)
    # Treated 0.0 -> control 0.1 (index 1), 1.0 -> 0.9 (index 0); 5.0 has none within 0.5.
    assert kept.tolist() == [0, 1]
    assert matched.tolist() == [1, 0]


def test_love_plot_is_svg_with_every_covariate(
    observed: tuple[Evaluation, float, float],
) -> None:
    result = observed[0]
    svg = love_plot_svg(result.balance, "Mentoring & balance")
    root = ET.fromstring(svg)
    assert root.tag.endswith("svg")
    texts = [element.text for element in root.iter() if element.tag.endswith("text")]
    for covariate in result.covariates:
        assert covariate in texts
    markers = [e for e in root.iter() if e.tag.split("}")[1] in {"circle", "rect", "polygon"}]
    assert len(markers) == 3 * len(result.covariates) + 3  # three series and the legend


def test_bad_inputs_name_the_column_and_the_allowed_values() -> None:
    frame = pl.DataFrame({"treated": [0, 1, 2], "outcome": [0, 1, 1], "a": [1.0, 2.0, 3.0]})
    with pytest.raises(
        EvaluationInputError,
        match="treated: 2 on row 3 is not a binary value; allowed values: 0/1, true/false",
    ):
        evaluate_programme(frame, n_bootstrap=10)
    with pytest.raises(EvaluationInputError, match="mentored: no such column"):
        evaluate_programme(frame, treatment="mentored", n_bootstrap=10)
    with pytest.raises(EvaluationInputError, match="z: no such column"):
        evaluate_programme(frame, covariates=["z"], n_bootstrap=10)


def test_a_noisy_proxy_removes_some_of_the_bias_but_not_all(
    unobserved: tuple[Evaluation, float, float],
) -> None:
    proxy, _ate, att = _run("proxy")
    bias_proxy = proxy.estimate("aipw").effect - att
    bias_unobserved = unobserved[0].estimate("aipw").effect - att
    assert 0 < bias_proxy < bias_unobserved
    assert proxy.estimate("aipw").ci_low > att


def test_a_separation_is_refused_with_a_reason_a_page_can_translate() -> None:
    rng = random.Random(4)
    rows = [
        {"treated": int(n >= 30), "outcome": rng.randrange(2), "age": 20 + n, "x": rng.random()}
        for n in range(60)
    ]
    frame = pl.DataFrame(rows)
    with pytest.raises(EvaluationInputError) as alone:
        evaluate_programme(frame, covariates=["age", "x"], n_bootstrap=5)
    assert "perfect separation by age alone" in str(alone.value)  # the command line's
    assert alone.value.reason == SEPARATED_BY[True]  # the page's message id, and its name
    assert alone.value.params == {"covariates": "age"}
