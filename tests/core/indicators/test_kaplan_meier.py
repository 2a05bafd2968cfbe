"""Kaplan-Meier against a small example computed by hand."""

from __future__ import annotations

import datetime as dt
import math

import polars as pl
import pytest

from passerelle.core.indicators.survival import (
    Z_95,
    kaplan_meier,
    kaplan_meier_arrays,
    time_to_first_job,
)

# Six persons: times 1, 2, 2 (censored), 3, 4 (censored), 5.
DURATIONS = [1, 2, 2, 3, 4, 5]
OBSERVED = [1, 1, 0, 1, 0, 1]


def test_survival_at_risk_and_counts_by_hand() -> None:
    curve = kaplan_meier_arrays(DURATIONS, OBSERVED)
    assert curve["time"].to_list() == [1, 2, 3, 4, 5]
    assert curve["at_risk"].to_list() == [6, 5, 3, 2, 1]
    assert curve["events"].to_list() == [1, 1, 1, 0, 1]
    assert curve["censored"].to_list() == [0, 1, 0, 1, 0]
    by_hand = [5 / 6, 5 / 6 * 4 / 5, 5 / 6 * 4 / 5 * 2 / 3, 5 / 6 * 4 / 5 * 2 / 3, 0.0]
    assert curve["survival"].to_list() == pytest.approx(by_hand)
    assert curve["cumulative"].to_list() == pytest.approx([1 - s for s in by_hand])


def test_greenwood_log_log_interval_by_hand() -> None:
    curve = kaplan_meier_arrays(DURATIONS, OBSERVED)
    s = 5 / 6 * 4 / 5  # at t = 2
    variance = 1 / (6 * 5) + 1 / (5 * 4)  # Greenwood's sum of d / (n (n - d))
    spread = Z_95 * math.sqrt(variance) / abs(math.log(s))
    row = curve.filter(pl.col("time") == 2)
    assert row["ci_low"].item() == pytest.approx(s ** math.exp(spread))
    assert row["ci_high"].item() == pytest.approx(s ** math.exp(-spread))
    assert row["ci_low"].item() < s < row["ci_high"].item()
    # Where the curve reaches 0 the log-log interval is undefined: null, not a number.
    assert curve.filter(pl.col("time") == 5)["ci_low"].item() is None


def test_groups_give_the_same_curves_as_separate_estimates() -> None:
    frame = pl.DataFrame(
        {
            "duration": [*DURATIONS, 2, 2, 7, 9],
            "event": [bool(o) for o in OBSERVED] + [True, False, True, False],
            "group": ["a"] * 6 + ["b"] * 4,
        }
    )
    grouped = kaplan_meier(frame, by=["group"])
    for name in ("a", "b"):
        alone = kaplan_meier(frame.filter(pl.col("group") == name))
        mine = grouped.filter(pl.col("group") == name).drop("group")
        assert mine["survival"].to_list() == pytest.approx(alone["survival"].to_list())
        assert mine["at_risk"].to_list() == alone["at_risk"].to_list()


def test_time_to_first_job_from_persons_and_events() -> None:
    as_of = dt.date(2020, 12, 31)
    persons = pl.DataFrame(
        {
            "person_id": [1, 2, 3, 4],
            "sex": ["F", "M", "F", "M"],
            "birth_date": [dt.date(1990, 1, 1)] * 4,
            "right_to_work_date": [dt.date(2020, 1, 1)] * 4,
        }
    )
    events = pl.DataFrame(
        {
            "person_id": [1, 2, 2, 4],
            "date": [
                dt.date(2020, 1, 11),  # 10 days
                dt.date(2020, 3, 1),  # 60 days, first job of person 2
                dt.date(2020, 6, 1),
                dt.date(2021, 6, 1),  # after as_of: censored
            ],
            "kind": ["job_start", "job_start", "job_start", "job_start"],
        }
    )
    curve = time_to_first_job(persons, events, as_of, unit="days")
    assert curve["time"].to_list() == [10, 60, 365]
    assert curve["events"].to_list() == [1, 1, 0]
    assert curve["censored"].to_list() == [0, 0, 2]
    assert curve["survival"].to_list() == pytest.approx([3 / 4, 3 / 4 * 2 / 3, 0.5])
    by_sex = time_to_first_job(persons, events, as_of, by=["sex"], unit="months")
    women = by_sex.filter(pl.col("sex") == "F")
    assert women["time"].to_list() == [0, 11]
    assert women["survival"].to_list() == pytest.approx([0.5, 0.5])


def test_unknown_breakdown_is_refused_with_the_allowed_values() -> None:
    frame = pl.DataFrame({"person_id": [1]})
    with pytest.raises(ValueError, match="allowed values"):
        time_to_first_job(frame, frame, dt.date(2020, 1, 1), by=["height"])
