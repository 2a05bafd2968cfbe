"""The evaluation on data nobody in the project made: a generator of our own whose effects
are known person by person (ATT != ATE, a continuous and a binary outcome, a categorical
confounder as text, a yes/no treatment), statsmodels' TreatmentEffect as an independent
implementation, the NSW experiment against CPS controls (LaLonde 1986; Dehejia and Wahba
1999, as shipped by the causaldata package), and every kind of bad or awkward input an
outside file brings. Synthetic or public research data only."""

from __future__ import annotations

import math

import causaldata
import numpy as np
import polars as pl
import pytest
import statsmodels.api as sm
from statsmodels.treatment import treatment_effects

from passerelle.core.evaluation import EvaluationInputError, evaluate_programme
from passerelle.core.evaluation.estimators import Estimate, Evaluation
from passerelle.core.evaluation.inputs import prepare_input

REGIONS = ("north", "centre", "south")


def _expit(value: np.ndarray) -> np.ndarray:
    return np.asarray(1 / (1 + np.exp(-value)))


def _known_effects(
    persons: int = 6000, seed: int = 5, outcome: str = "continuous"
) -> tuple[pl.DataFrame, float, float]:
    """A sample whose every person's two potential outcomes are drawn, so the ATT and the
    ATE of the sample are known: who takes part depends on x1, x2 and the region (text);
    the effect grows with x1, so that the participants gain more than the average."""
    rng = np.random.default_rng(seed)
    x1 = rng.normal(size=persons)
    x2 = rng.random(persons) < 0.4
    region = rng.choice(REGIONS, size=persons, p=[0.5, 0.3, 0.2])
    shift = np.select([region == "centre", region == "south"], [0.6, -0.8], 0.0)
    treated = rng.random(persons) < _expit(-0.3 + 0.9 * x1 + 0.5 * x2 + shift)
    if outcome == "continuous":
        y0 = 2 + x1 + 0.7 * x2 + 1.5 * shift + rng.normal(size=persons)
        y1 = y0 + 1.0 + 1.5 * x1
    else:
        base = -0.8 + 0.7 * x1 + 0.5 * x2 + shift
        draw = rng.random(persons)
        y0 = (draw < _expit(base)).astype(float)
        y1 = (draw < _expit(base + 0.4 + 1.8 * x1)).astype(float)
    frame = pl.DataFrame(
        {
            "took_part": np.where(treated, "yes", "no"),
            "result": np.where(treated, y1, y0),
            "x1": x1,
            "x2": x2,
            "region": region,
        }
    )
    effect = y1 - y0
    return frame, float(effect.mean()), float(effect[treated].mean())


def _tolerance(estimate: Estimate, spread: float) -> float:
    """Four standard errors at most of a difference of weighted means whose outcome has
    standard deviation `spread`, in Kish's effective numbers."""
    return 4 * spread * math.sqrt(1 / estimate.effective_treated + 1 / estimate.effective_control)


def _evaluate(frame: pl.DataFrame, **options: object) -> Evaluation:
    return evaluate_programme(
        frame,
        treatment="took_part",
        outcome="result",
        **{"n_bootstrap": 10, "seed": 0, **options},  # type: ignore[arg-type]
    )


@pytest.mark.parametrize("outcome", ["continuous", "binary"])
@pytest.mark.parametrize("estimand", ["att", "ate"])
def test_every_estimator_recovers_the_known_effect_on_outside_data(
    outcome: str, estimand: str
) -> None:
    # A 0/1 outcome carries less information per person: more persons for the same bound.
    frame, ate, att = _known_effects(16_000 if outcome == "binary" else 6000, outcome=outcome)
    truth, other = (att, ate) if estimand == "att" else (ate, att)
    result = _evaluate(frame, estimand=estimand)
    assert result.outcome_kind == outcome
    assert [note.code for note in result.notes] == ["encoded"]
    assert result.covariates == ("x1", "x2", "region=centre", "region=south")
    arms = frame.group_by("took_part").agg(pl.col("result").var())["result"]
    spread = math.sqrt(float(arms.max()))  # type: ignore[arg-type]
    for method in ("psm", "ipw", "aipw"):
        estimate = result.estimate(method)
        tolerance = _tolerance(estimate, spread)
        assert abs(other - truth) > tolerance, method  # returning the other estimand fails
        assert abs(estimate.effect - truth) <= tolerance, (method, estimate.effect, truth)
    naive = result.estimate("naive").effect
    assert abs(naive - truth) > _tolerance(result.estimate("naive"), spread)  # confounded


def test_the_same_as_statsmodels_treatment_effect() -> None:
    """statsmodels 0.15's TreatmentEffect on the same propensity terms (linear), without
    trimming: IPW to six decimals for both estimands; AIPW's outcome models and propensity
    are the same, so the normalised (Hájek) AIPW built from statsmodels' own fits agrees to
    six decimals, and statsmodels' unnormalised AIPW to two."""
    frame, _ate, _att = _known_effects(outcome="continuous")
    t = (frame["took_part"] == "yes").cast(pl.Int64).to_numpy()
    y = frame["result"].to_numpy()
    region = frame["region"].to_numpy()
    exog = np.column_stack(
        [
            np.ones(frame.height),
            frame["x1"].to_numpy(),
            frame["x2"].cast(pl.Float64).to_numpy(),
            (region == "centre").astype(float),
            (region == "south").astype(float),
        ]
    )
    selection = sm.Logit(t, exog).fit(disp=0)
    effect = treatment_effects.TreatmentEffect(sm.OLS(y, exog), t, results_select=selection)
    ours = {
        estimand: _evaluate(frame, estimand=estimand, propensity_terms="linear", trim=0.0)
        for estimand in ("att", "ate")
    }
    assert ours["att"].estimate("ipw").effect == pytest.approx(
        effect.ipw(effect_group=1).effect[0], abs=1e-6
    )
    assert ours["ate"].estimate("ipw").effect == pytest.approx(effect.ipw().effect[0], abs=1e-6)
    e = effect.prob_select
    mu0, mu1 = effect.results0.predict(exog), effect.results1.predict(exog)
    treated, control = t == 1, t == 0
    odds = e / (1 - e)
    att = y[treated].mean() - mu0[treated].mean()
    att -= np.sum(odds[control] * (y - mu0)[control]) / np.sum(odds[control])
    assert ours["att"].estimate("aipw").effect == pytest.approx(att, abs=1e-6)
    m1 = mu1.mean() + np.sum(((y - mu1) / e)[treated]) / np.sum(1 / e[treated])
    m0 = mu0.mean() + np.sum(((y - mu0) / (1 - e))[control]) / np.sum(1 / (1 - e[control]))
    assert ours["ate"].estimate("aipw").effect == pytest.approx(m1 - m0, abs=1e-6)
    unnormalised = effect.aipw(return_results=False)[0]
    assert ours["ate"].estimate("aipw").effect == pytest.approx(unnormalised, abs=0.005)


def test_nsw_experiment_against_cps_controls_comes_back_to_the_experimental_effect() -> None:
    """The NSW job-training experiment's 185 participants against 15 992 CPS households
    (Dehejia and Wahba 1999): the experiment's effect on 1978 earnings is +1 794 dollars
    (participants minus the experiment's own controls); the naive comparison with CPS is
    about -8 500. Adjusted on age, education, race, marriage, degree and 1974-75 earnings,
    every adjusted interval contains the experimental figure."""
    nsw = pl.from_pandas(causaldata.nsw_mixtape.load_pandas().data)
    cps = pl.from_pandas(causaldata.cps_mixtape.load_pandas().data)
    experiment = (
        nsw.filter(pl.col("treat") == 1)["re78"].mean()
        - nsw.filter(pl.col("treat") == 0)["re78"].mean()
    )
    assert experiment == pytest.approx(1794.34, abs=0.01)  # type: ignore[arg-type]
    sample = pl.concat([nsw.filter(pl.col("treat") == 1), cps])
    result = evaluate_programme(
        sample.drop("data_id"), treatment="treat", outcome="re78", n_bootstrap=30, seed=1
    )
    assert result.propensity is not None
    assert result.propensity.terms == "squares"  # chosen by balance, and said
    assert result.estimate("naive").effect < -8000
    for method in ("psm", "ipw", "aipw"):
        estimate = result.estimate(method)
        assert estimate.ci_low <= experiment <= estimate.ci_high, (method, estimate)
        assert estimate.max_smd_after < 0.1 < estimate.max_smd_before
    # The sample's origin is a text column that decides who took part: refused, named.
    with pytest.raises(EvaluationInputError, match="perfect separation by data_id=") as error:
        evaluate_programme(sample, treatment="treat", outcome="re78", n_bootstrap=10)
    assert str(error.value).startswith("treat: ")


def test_treatment_coded_yes_no_true_false_or_0_1_gives_the_same_estimates() -> None:
    frame, _ate, _att = _known_effects(persons=800)
    yes_no = _evaluate(frame)
    codes = {"true_false": (pl.col("took_part") == "yes"), "zero_one": None}
    for name, expression in codes.items():
        coded = frame.with_columns(
            took_part=(pl.col("took_part") == "yes").cast(pl.Int64)
            if expression is None
            else expression
        )
        again = _evaluate(coded)
        assert [e.effect for e in again.estimates] == [e.effect for e in yes_no.estimates], name
    with pytest.raises(
        EvaluationInputError,
        match=r"took_part: 'maybe' on row 3 is not a binary value; allowed values: 0/1, "
        r"true/false, yes/no",
    ):
        _evaluate(
            frame.with_columns(took_part=pl.Series(["no", "yes", "maybe"] * 266 + ["no"] * 2))
        )


def test_missing_values_are_refused_naming_column_and_row_or_dropped_or_indicated() -> None:
    frame, _ate, _att = _known_effects(persons=800)
    holes = frame.with_columns(
        x1=pl.when(pl.int_range(pl.len()) % 40 == 6).then(None).otherwise(pl.col("x1")),
    )
    with pytest.raises(EvaluationInputError, match=r"x1: missing on row 7 \(20 rows in all\)"):
        _evaluate(holes)
    dropped = _evaluate(holes, missing="drop")
    assert dropped.missing_rows == 20
    assert dropped.estimate("naive").n_treated + dropped.estimate("naive").n_control == 780
    assert next((n.code, n.column, n.detail) for n in dropped.notes) == (
        "missing_dropped",
        "x1",
        "20",
    )
    indicated = _evaluate(holes, missing="indicator")
    assert indicated.missing_rows == 0
    assert "x1_missing" in indicated.covariates
    assert "x1_missing" in indicated.notes[0].message()
    first = pl.int_range(pl.len()) == 0
    outcome_hole = frame.with_columns(result=pl.when(first).then(None).otherwise("result"))
    with pytest.raises(EvaluationInputError, match="result: missing on row 1"):
        _evaluate(outcome_hole)
    with pytest.raises(EvaluationInputError, match="missing: 'mean'; allowed values"):
        _evaluate(frame, missing="mean")


def test_constant_collinear_and_identifier_columns_are_left_out_and_said() -> None:
    frame, _ate, _att = _known_effects(persons=800)
    awkward = frame.with_columns(
        country=pl.lit("BE"),
        x3=2 * pl.col("x1") - pl.col("x2").cast(pl.Float64),
        file=pl.format("file-{}", pl.int_range(pl.len())),
    )
    result = _evaluate(awkward)
    said = {note.code: note for note in result.notes}
    assert said["skipped"].column == "file"
    assert said["collinear"].column == "x3"
    assert said["collinear"].detail == "x1, x2"
    assert said["constant"].column == "country"
    assert "x3" not in result.covariates
    assert "file" not in result.covariates
    assert result.estimate("aipw").effect == pytest.approx(_evaluate(frame).estimate("aipw").effect)
    with pytest.raises(EvaluationInputError, match="covariates: 'file' is text with 800"):
        _evaluate(awkward, covariates=["x1", "file"])
    with pytest.raises(EvaluationInputError, match="every covariate is constant or collinear"):
        _evaluate(awkward, covariates=["country"])


def test_a_column_of_numbers_with_a_stray_word_is_refused_naming_the_row() -> None:
    frame, _ate, _att = _known_effects(persons=800)
    ages = pl.Series([str(20 + i % 40) for i in range(800)]).scatter(11, "n/a")
    with pytest.raises(
        EvaluationInputError, match=r"age: 'n/a' on row 12 is not a number, and most values are"
    ):
        _evaluate(frame.with_columns(age=ages))


def test_the_most_frequent_level_is_the_reference() -> None:
    frame, _ate, _att = _known_effects(persons=800)
    prepared = prepare_input(frame, treatment="took_part", outcome="result")
    encoded = next(note for note in prepared.notes if note.code == "encoded")
    assert (encoded.column, encoded.detail) == ("region", "north")  # half of the persons
    assert "reference level 'north'" in encoded.message()


def test_no_controls_no_treated_and_tiny_samples_get_a_clear_error() -> None:
    frame, _ate, _att = _known_effects(persons=800)
    with pytest.raises(EvaluationInputError, match=r"took_part: no untreated \(0\) rows"):
        _evaluate(frame.filter(pl.col("took_part") == "yes"))
    with pytest.raises(EvaluationInputError, match=r"took_part: no treated \(1\) rows"):
        _evaluate(frame.filter(pl.col("took_part") == "no"))
    tiny = pl.concat(
        [
            frame.filter(pl.col("took_part") == "yes").head(1),
            frame.filter(pl.col("took_part") == "no").head(5),
        ]
    )
    with pytest.raises(EvaluationInputError, match="too few rows to estimate anything: 1 treated"):
        _evaluate(tiny)


def test_extreme_propensities_are_trimmed_and_counted_for_the_ate() -> None:
    rng = np.random.default_rng(3)
    x = rng.normal(size=3000)
    treated = rng.random(3000) < _expit(4 * x)
    frame = pl.DataFrame(
        {"took_part": treated, "result": x + treated + rng.normal(size=3000), "x": x}
    )
    result = _evaluate(frame, estimand="ate")
    assert result.overlap is not None
    trimmed = result.overlap.trimmed_treated + result.overlap.trimmed_control
    assert trimmed > 0
    assert result.estimate("ipw").trimmed == result.estimate("aipw").trimmed == trimmed
    assert result.estimate("psm").unmatched == (
        result.overlap.unmatched_treated + result.overlap.unmatched_control
    )


def test_the_bootstrap_is_seeded() -> None:
    frame, _ate, _att = _known_effects(persons=800)
    first, again, other = (_evaluate(frame, seed=seed) for seed in (4, 4, 5))
    assert [e.ci_low for e in first.estimates] == [e.ci_low for e in again.estimates]
    assert [e.ci_low for e in first.estimates] != [e.ci_low for e in other.estimates]
