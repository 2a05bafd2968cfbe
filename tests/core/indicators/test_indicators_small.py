"""Employment rates, programme outcomes and referral indicators on small frames whose
answers are counted by hand."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from passerelle.core.indicators import (
    IndicatorInputError,
    capacity_used,
    employment_on,
    employment_rate,
    funder_report,
    parse_period,
    pool,
    programme_outcomes,
    read_csv,
    referral_decisions,
    referral_flows,
    rejection_reasons,
    waiting_times,
)
from passerelle.core.indicators.schema import conform

D = dt.date


def _persons() -> pl.DataFrame:
    return conform(
        pl.DataFrame(
            {
                "person_id": [1, 2, 3, 4, 5],
                "sex": ["F", "M", "M", "F", "M"],
                "birth_date": [
                    D(1990, 6, 1),
                    D(1985, 1, 1),
                    D(1950, 1, 1),
                    D(1985, 1, 1),
                    D(2000, 1, 1),
                ],
                "legal_status": [
                    "refugee",
                    "refugee",
                    "refugee",
                    "subsidiary_protection",
                    "asylum_seeker",
                ],
                "arrival_date": [D(2009, 5, 1)] * 4 + [D(2010, 3, 1)],
                "registration_date": [
                    D(2010, 2, 1),
                    D(2010, 7, 1),
                    D(2010, 9, 1),
                    D(2011, 1, 5),
                    None,
                ],
                "language_fr": [4, 0, 2, 6, 1],
                "education_isced": [6, 2, 3, 4, 1],
            }
        ),
        "persons",
    )


def _events() -> pl.DataFrame:
    return conform(
        pl.DataFrame(
            {
                "person_id": [1, 1, 2, 2, 2, 3, 4, 1, 4],
                "date": [
                    D(2011, 3, 1),
                    D(2012, 6, 1),
                    D(2011, 11, 1),
                    D(2013, 1, 1),
                    D(2014, 5, 1),
                    D(2011, 1, 1),
                    D(2015, 1, 1),
                    D(2010, 5, 1),
                    D(2011, 2, 1),
                ],
                "kind": [
                    "job_start",
                    "job_end",
                    "job_start",
                    "job_end",
                    "job_start",
                    "job_start",
                    "job_start",
                    "programme_start",
                    "programme_start",
                ],
                "programme": [None] * 7 + ["mentoring", "pathway"],
            }
        ),
        "events",
    )


def test_employment_on_a_day_by_registration_cohort() -> None:
    # 2011-12-31: persons 1, 2 and 3 (aged 61) employed; person 4 is in the 2011 cohort.
    result = employment_on(_persons(), _events(), D(2011, 12, 31))
    cohort_2010 = result.filter(pl.col("cohort") == 2010).row(0, named=True)
    assert (cohort_2010["count"], cohort_2010["denominator"]) == (3, 3)
    assert cohort_2010["years_since"] == 1
    cohort_2011 = result.filter(pl.col("cohort") == 2011).row(0, named=True)
    assert (cohort_2011["count"], cohort_2011["denominator"]) == (0, 1)
    # 2014-12-31: person 1 left the job in 2012, person 2 works again, person 3 is 64 and 11
    # months (still counted), person 5 has no registration date (never in a cohort).
    later = employment_on(_persons(), _events(), D(2014, 12, 31)).filter(pl.col("cohort") == 2010)
    assert (later["count"].item(), later["denominator"].item()) == (2, 3)
    # On 2015-12-31 person 3 is 65: out of the 18-64 population.
    older = employment_on(_persons(), _events(), D(2015, 12, 31)).filter(pl.col("cohort") == 2010)
    assert older["denominator"].item() == 2


def test_breakdowns_statuses_cohorts_and_pooling() -> None:
    rates = employment_rate(
        _persons(), _events(), [2011, 2014], by=["language", "programme"], cohorts=[2010]
    )
    assert set(rates["on"].to_list()) == {D(2011, 12, 31), D(2014, 12, 31)}
    row = rates.filter(
        (pl.col("on") == D(2011, 12, 31)) & (pl.col("programme") == "mentoring")
    ).row(0, named=True)
    assert (row["language"], row["count"], row["denominator"]) == ("B1-B2", 1, 1)
    protected = employment_on(
        _persons(), _events(), D(2015, 12, 31), statuses=["subsidiary_protection"]
    )
    assert protected["cohort"].to_list() == [2011]
    assert protected["rate"].to_list() == [1.0]
    pooled = pool(employment_on(_persons(), _events(), D(2011, 12, 31)), [])
    assert (pooled["count"].item(), pooled["denominator"].item()) == (3, 4)
    with pytest.raises(ValueError, match="allowed values"):
        employment_on(_persons(), _events(), D(2011, 12, 31), by=["religion"])


def test_programme_outcomes_at_6_and_12_months() -> None:
    events = conform(
        pl.DataFrame(
            {
                "person_id": [1, 1, 2, 3, 3, 4],
                "date": [
                    D(2020, 1, 1),
                    D(2020, 4, 1),
                    D(2020, 1, 15),
                    D(2020, 2, 1),
                    D(2020, 9, 1),
                    D(2020, 11, 1),
                ],
                "kind": [
                    "programme_start",
                    "job_start",
                    "programme_start",
                    "programme_start",
                    "job_start",
                    "programme_start",
                ],
                "programme": ["m", None, "m", "m", None, "m"],
            }
        ),
        "events",
    )
    result = programme_outcomes(events, D(2021, 3, 1), by_year=False)
    six = result.filter(pl.col("horizon_months") == 6).row(0, named=True)
    assert (six["participants"], six["employed"], six["found_job"]) == (3, 1, 1)
    assert six["follow_up_incomplete"] == 1  # person 4: 6 months after is 2021-05-01
    twelve = result.filter(pl.col("horizon_months") == 12).row(0, named=True)
    assert (twelve["participants"], twelve["employed"], twelve["found_job"]) == (3, 2, 2)
    assert twelve["employed_rate"] == pytest.approx(2 / 3)


def _referrals() -> pl.DataFrame:
    rows = [
        (1, "cpas", "duo", "sent", D(2024, 1, 1), None),
        (1, "cpas", "duo", "accepted", D(2024, 1, 11), None),
        (1, "cpas", "duo", "started", D(2024, 2, 1), None),
        (2, "cpas", "duo", "sent", D(2024, 1, 1), None),
        (2, "cpas", "duo", "rejected", D(2024, 1, 5), "no_place"),
        (3, "bapa", "duo", "sent", D(2024, 3, 1), None),
        (3, "bapa", "duo", "accepted", D(2024, 3, 3), None),
        (3, "bapa", "duo", "started", D(2024, 4, 30), None),
        (3, "bapa", "duo", "closed", D(2024, 6, 1), None),
        (4, "cpas", "tandem", "sent", D(2024, 3, 1), None),
        (5, "duo", "cpas", "sent", D(2024, 5, 1), None),
    ]
    return conform(
        pl.DataFrame(
            rows,
            schema=[
                "referral_id",
                "from_organisation",
                "to_organisation",
                "event",
                "date",
                "reason",
            ],
            orient="row",
        ).with_columns(
            programme=pl.col("to_organisation") + "-programme", person_id=pl.col("referral_id")
        ),
        "referrals",
    )


def test_flows_decisions_reasons_and_waiting_times() -> None:
    flows = referral_flows(_referrals())
    cpas_duo = flows.filter(
        (pl.col("from_organisation") == "cpas") & (pl.col("to_organisation") == "duo")
    ).row(0, named=True)
    assert (cpas_duo["count"], cpas_duo["denominator"], cpas_duo["accepted"]) == (2, 3, 1)
    decisions = referral_decisions(_referrals()).filter(pl.col("to_organisation") == "duo")
    row = decisions.row(0, named=True)
    assert (row["sent"], row["accepted"], row["rejected"], row["pending"]) == (3, 2, 1, 0)
    assert row["acceptance_rate"] == pytest.approx(2 / 3)
    reasons = rejection_reasons(_referrals())
    assert reasons.select("to_organisation", "reason", "count").rows() == [("duo", "no_place", 1)]
    waits = waiting_times(_referrals(), by=["to_organisation"]).filter(
        pl.col("to_organisation") == "duo"
    )
    decision = waits.filter(pl.col("stage") == "decision").row(0, named=True)
    assert (decision["n"], decision["denominator"]) == (3, 3)
    assert decision["median_days"] == 4.0  # 10, 4 and 2 days
    start = waits.filter(pl.col("stage") == "start").row(0, named=True)
    assert start["n"] == 2
    assert start["mean_days"] == pytest.approx((31 + 60) / 2)
    in_march = referral_flows(_referrals(), (D(2024, 3, 1), D(2024, 3, 31)))
    assert in_march["count"].sum() == 2


def test_capacity_used_counts_started_and_not_closed() -> None:
    capacity = pl.DataFrame({"programme": ["duo-programme"], "places": [4]})
    used = capacity_used(_referrals(), capacity, [D(2024, 1, 15), D(2024, 5, 1), D(2024, 7, 1)])
    assert used["count"].to_list() == [0, 2, 1]
    assert used["denominator"].to_list() == [4, 4, 4]
    assert used["free"].to_list() == [4, 2, 3]


def test_funder_report_withholds_small_cells_and_their_complements() -> None:
    events = conform(
        pl.DataFrame(
            {
                "person_id": [*range(1, 13), 1, 2],
                "date": [D(2024, 3, 1)] * 12 + [D(2024, 6, 1), D(2024, 7, 1)],
                "kind": ["programme_start"] * 12 + ["job_start"] * 2,
                "programme": ["duo-programme"] * 12 + [None, None],
            }
        ),
        "events",
    )
    report = funder_report(
        events,
        _referrals(),
        "duo-programme",
        parse_period("2024"),
        as_of=D(2024, 12, 31),
        secret=None,
    )
    rows = {row["indicator"]: row for row in report.iter_rows(named=True)}
    assert rows["started in the period (unique persons)"]["count"] == 12
    six = rows["employed 6 months after the start"]
    assert six["suppressed"]
    assert six["count"] is None
    assert six["value"] is None
    assert rows["received"]["suppressed"]  # three referrals
    assert rows["accepted (of decided)"]["suppressed"]
    assert rows["rejected (of decided)"]["suppressed"]
    # Without `as_of`, the data end on the last event (2024-07-01): nobody's 6 months have
    # passed, so nobody is counted as not employed.
    early = funder_report(events, _referrals(), "duo-programme", parse_period("2024"), secret=None)
    six_early = early.filter(pl.col("indicator") == "employed 6 months after the start")
    assert six_early.select("count", "denominator").row(0) == (0, 0)


def test_parse_period() -> None:
    assert parse_period("2025") == (D(2025, 1, 1), D(2025, 12, 31))
    assert parse_period("2025-Q4") == (D(2025, 10, 1), D(2025, 12, 31))
    assert parse_period("2025-Q1") == (D(2025, 1, 1), D(2025, 3, 31))
    assert parse_period("2024-02") == (D(2024, 2, 1), D(2024, 2, 29))
    assert parse_period("2025-12") == (D(2025, 12, 1), D(2025, 12, 31))
    # arbitrary ranges would let two periods differ by one day (docs/indicators.md)
    for bad in ("2025-Q5", "twenty", "2025-02-01:2025-02-28", "2025-13", "2025-1", "2025-Q02"):
        with pytest.raises(ValueError, match="period"):
            parse_period(bad)


def test_csv_inputs_are_read_and_checked(tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    _events().write_csv(path)
    assert read_csv(path, "events").equals(_events())
    bad = tmp_path / "bad.csv"
    bad.write_text("person_id,date,kind\n1,2020-01-01,hired\n", encoding="utf-8")
    with pytest.raises(IndicatorInputError, match="allowed values: job_start"):
        read_csv(bad, "events")
    missing = tmp_path / "missing.csv"
    missing.write_text("person_id,kind\n1,job_start\n", encoding="utf-8")
    with pytest.raises(IndicatorInputError, match="missing column"):
        read_csv(missing, "events")
    wrong_date = tmp_path / "wrong.csv"
    wrong_date.write_text("person_id,date,kind\n1,01/02/2020,job_start\n", encoding="utf-8")
    with pytest.raises(IndicatorInputError, match=r"events\.date"):
        read_csv(wrong_date, "events")
