"""The synthetic cohort reproduces the brief's figures within 2 points and is deterministic."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from passerelle.core.evaluation.synthetic import (
    ACTIRIS_REFERENCE_DATE,
    PROGRAMME_ORGANISATION,
    PROTECTED,
    CohortParameters,
    SyntheticCohort,
    generate_cohort,
)
from passerelle.core.indicators import employment_on, employment_rate, pool
from passerelle.core.indicators.schema import conform
from passerelle.knowledge.loader import Knowledge


@pytest.fixture(scope="module")
def cohort() -> SyntheticCohort:
    return generate_cohort(CohortParameters(persons=300_000, seed=2026))


def test_2010_refugee_cohort_11_percent_in_2011_and_33_percent_in_2014(
    cohort: SyntheticCohort,
) -> None:
    rates = employment_rate(
        cohort.persons, cohort.events, [2011, 2014], statuses=PROTECTED, cohorts=[2010]
    )
    by_year = {row["on"].year: row for row in rates.iter_rows(named=True)}
    assert by_year[2011]["denominator"] > 5_000
    assert by_year[2011]["rate"] == pytest.approx(0.11, abs=0.02)
    assert by_year[2014]["rate"] == pytest.approx(0.33, abs=0.02)


def test_actiris_2015_2016_group_31_percent(cohort: SyntheticCohort) -> None:
    frame = employment_on(
        cohort.persons,
        cohort.events,
        ACTIRIS_REFERENCE_DATE,
        cohort="actiris_registration",
        statuses=PROTECTED,
    ).filter(pl.col("cohort").is_in([2015, 2016]))
    pooled = pool(frame, [])
    assert pooled["denominator"].item() > 5_000
    assert pooled["rate"].item() == pytest.approx(1636 / 5265, abs=0.02)


def test_frames_follow_the_documented_schemas(cohort: SyntheticCohort) -> None:
    for kind, frame in (
        ("persons", cohort.persons),
        ("events", cohort.events),
        ("referrals", cohort.referrals),
        ("capacity", cohort.capacity),
    ):
        assert conform(frame, kind).equals(frame.select(conform(frame, kind).columns))
    assert cohort.events["date"].max() <= cohort.parameters.as_of
    # Nobody's motivation leaks into what the indicators read.
    assert "motivation" not in cohort.persons.columns


def test_programmes_and_organisations_exist_in_the_knowledge_base(knowledge: Knowledge) -> None:
    for programme, organisation in PROGRAMME_ORGANISATION.items():
        assert programme in knowledge.programmes
        assert organisation in knowledge.organisations


def test_same_seed_same_cohort_and_another_seed_another() -> None:
    small = CohortParameters(persons=5_000, seed=11)
    first, second = generate_cohort(small), generate_cohort(small)
    assert first.persons.equals(second.persons)
    assert first.events.equals(second.events)
    other = generate_cohort(CohortParameters(persons=5_000, seed=12))
    assert not first.persons.equals(other.persons)


def test_mentoring_never_delays_a_job_and_truth_is_consistent() -> None:
    cohort = generate_cohort(CohortParameters(persons=20_000, seed=3))
    sample = cohort.evaluation_sample()
    assert (sample["y1"] >= sample["y0"]).all()
    treated = sample.filter(pl.col("treated") == 1)
    assert (treated["outcome"] == treated["y1"]).all()
    untreated = sample.filter(pl.col("treated") == 0)
    assert (untreated["outcome"] == untreated["y0"]).all()
    # Every treated person has a mentoring start on their index date in the events.
    starts = cohort.events.filter(
        (pl.col("kind") == "programme_start") & (pl.col("programme") == "duo-for-a-job-mentoring")
    )
    assert set(treated["person_id"].to_list()) <= set(starts["person_id"].to_list())
    assert cohort.parameters.as_of == dt.date(2025, 12, 31)
    with pytest.raises(ValueError, match="allowed values"):
        cohort.evaluation_sample("tandem-internship")
