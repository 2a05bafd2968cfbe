"""Cell-key perturbation (core.disclosure): the published table, stable noise, no small or
negative count, and attackers who difference overlapping cells and recover nothing."""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter

import polars as pl
import pytest

from passerelle.core.disclosure import (
    MODULUS,
    PERTURBATION,
    cell_key,
    key_sum,
    noise,
    perturb_frame,
    publish_count,
    record_key,
    with_record_keys,
)
from passerelle.core.indicators import conform, funder_report, parse_period

SECRET = b"a test secret, never a real one"
TRIALS = 1500


def published(ids: list[int], secret: bytes = SECRET, threshold: int = 5) -> int | None:
    """What a cell counting the records `ids` publishes."""
    return publish_count(
        len(ids), cell_key(record_key(i, secret) for i in ids), threshold=threshold
    )


def test_the_published_table_is_zero_mean_small_and_covers_every_key() -> None:
    noises = Counter(noise(key) for key in range(MODULUS))
    assert set(noises) == {-2, -1, 0, 1, 2}
    assert sum(value * count for value, count in noises.items()) == 0
    assert noises[0] == MODULUS // 2
    assert noises[1] == noises[-1]
    assert noises[2] == noises[-2]
    assert PERTURBATION[-1][0] == MODULUS
    for bad in (-1, MODULUS):
        with pytest.raises(ValueError, match="cell_key"):
            noise(bad)


def test_record_keys_are_stable_secret_and_spread() -> None:
    assert record_key(42, SECRET) == record_key("42", SECRET)  # the id's text
    keys = [record_key(i, SECRET) for i in range(4000)]
    other = [record_key(i, b"another secret") for i in range(4000)]
    assert keys != other
    spread = Counter(key * 8 // MODULUS for key in keys)  # eight bins of 32 keys
    assert min(spread.values()) > 4000 / 8 * 0.8
    with pytest.raises(ValueError, match="secret"):
        record_key(1, b"")


def test_no_published_count_is_small_or_negative_and_zero_stays_zero() -> None:
    for count in range(0, 30):
        for key in range(MODULUS):
            shown = publish_count(count, key, threshold=5)
            if count == 0:
                assert shown == 0
            elif shown is not None:
                assert shown >= 5
                assert abs(shown - count) <= 2
            if 1 <= count < 5:
                assert shown is None
    assert publish_count(None, 3, threshold=5) is None
    assert publish_count(1, 255, threshold=1) == 3  # no suppression: still never below 1
    assert publish_count(1, 0, threshold=1) is None
    with pytest.raises(ValueError, match="threshold"):
        publish_count(10, 0, threshold=0)


def test_the_same_records_always_give_the_same_figure() -> None:
    """Asking again, or through another query that counts the same people (a period shifted
    by a day when no one started that day), averages nothing away."""
    ids = list(range(100, 160))
    first = published(ids)
    assert published(list(reversed(ids))) == first
    assert published(ids[30:] + ids[:30]) == first
    assert first is not None
    assert abs(first - 60) <= 2


def test_an_attacker_differencing_two_cells_that_differ_by_one_person_learns_no_count() -> None:
    """Cells A and A + one person (a one-day longer period, a programme added to a union):
    exact counts differ by 1 and give the person away. Perturbed, the difference is 1 in
    about a third of the cases only, and every difference seen is as likely when the day held
    two or three people: the attacker cannot tell 1 from 2."""
    rng = random.Random(7)
    differences: dict[int, Counter[int]] = {1: Counter(), 2: Counter(), 3: Counter()}
    for trial in range(TRIALS):
        size = rng.randint(20, 200)
        base_key = cell_key(record_key(i, SECRET) for i in rng.sample(range(10**6), size))
        a = publish_count(size, base_key, threshold=5)
        for extra, seen in differences.items():
            added = (record_key(10**6 + trial * 10 + i, SECRET) for i in range(extra))
            b = publish_count(size + extra, cell_key([base_key, *added]), threshold=5)
            assert a is not None
            assert b is not None
            seen[b - a] += 1
    exact = differences[1][1] / TRIALS
    assert 0.25 < exact < 0.45  # P(two independent noises are equal) = 0.335
    # every difference the attacker sees with one extra person also arises with two
    assert set(differences[1]) <= set(differences[2]) | {-3}
    likely_two = sum(n for d, n in differences[1].items() if differences[2][d] >= n / 3)
    assert likely_two / TRIALS > 0.85
    # and the best guess of the extra count from a difference is wrong most of the time
    guesses = {d: max((1, 2, 3), key=lambda k: differences[k][d]) for d in range(-6, 8)}
    right = sum(differences[k][d] for k in (1, 2, 3) for d in differences[k] if guesses[d] == k)
    assert right / (3 * TRIALS) < 0.6


def test_perturb_frame_withholds_whole_rows_and_recomputes_rates() -> None:
    frame = pl.DataFrame(
        {
            "label": ["a", "b", "c", "d"],
            "count": [40, 3, 6, 12],
            "denominator": [80, 80, 9, None],
            "value": [0.5, 3 / 80, 7 / 9, 33.0],
            "count_key": [0, 100, 0, 255],
            "denominator_key": [255, 100, 128, None],
            "suppressed": [False, False, False, False],
        }
    )
    out = perturb_frame(
        frame,
        {"count": "count_key", "denominator": "denominator_key"},
        threshold=5,
        rates=[("value", "count", "denominator")],
    )
    assert out.columns == ["label", "count", "denominator", "value", "suppressed"]
    rows = {row["label"]: row for row in out.iter_rows(named=True)}
    assert (rows["a"]["count"], rows["a"]["denominator"]) == (38, 82)
    assert rows["a"]["value"] == pytest.approx(38 / 82)
    assert rows["b"]["suppressed"]
    assert rows["b"]["denominator"] is None  # 3 is small: the whole row goes
    assert rows["c"]["suppressed"]
    assert rows["c"]["denominator"] is None  # 6 - 2 is below 5
    assert rows["d"]["count"] == 14
    assert rows["d"]["value"] == 33.0  # a median keeps its value


def test_record_keys_join_and_key_sums_agree_with_the_python_function() -> None:
    frame = pl.LazyFrame({"person_id": [3, 1, 2, 3, None]})
    keyed = with_record_keys(frame, "person_id", SECRET).collect()
    assert keyed["record_key"].to_list()[:4] == [record_key(i, SECRET) for i in (3, 1, 2, 3)]
    assert keyed["record_key"][4] is None
    total = keyed.select(key_sum()).item()
    assert total == cell_key(record_key(i, SECRET) for i in (3, 1, 2, 3))


def _events(people: int, extra_day: int) -> pl.DataFrame:
    """`people` starting in the first half of 2025, and `extra_day` more on 1 July."""
    starts = [dt.date(2025, 1, 1) + dt.timedelta(days=i % 180) for i in range(people)]
    starts += [dt.date(2025, 7, 1)] * extra_day
    return conform(
        pl.DataFrame(
            {
                "person_id": list(range(1, len(starts) + 1)),
                "date": starts,
                "kind": ["programme_start"] * len(starts),
                "programme": ["duo-programme"] * len(starts),
            }
        ),
        "events",
    )


def _referrals() -> pl.DataFrame:
    return conform(
        pl.DataFrame(
            schema={
                "referral_id": pl.Int64,
                "person_id": pl.Int64,
                "from_organisation": pl.String,
                "to_organisation": pl.String,
                "programme": pl.String,
                "event": pl.String,
                "date": pl.Date,
                "reason": pl.String,
            }
        ),
        "referrals",
    )


def test_the_funder_report_refuses_the_one_day_shift_and_perturbs_what_differs() -> None:
    """The probe: `2025-01-01:2025-06-30` against `...:2025-07-01` gave 174 → 175 started.
    Periods are calendar periods now, and the half-year against the year (the nearest
    overlapping pair an attacker can still ask) differs by perturbed counts."""
    with pytest.raises(ValueError, match=r"allowed values: YYYY, YYYY-Q1\.\.YYYY-Q4 or YYYY-MM"):
        parse_period("2025-01-01:2025-07-01")
    events = _events(174, 1)

    def started(period: str, secret: bytes | None) -> int:
        report = funder_report(
            events, _referrals(), "duo-programme", parse_period(period), secret=secret
        )
        value = report.filter(pl.col("indicator") == "started in the period (unique persons)")
        return int(value["count"][0])

    assert started("2025", None) == 175  # the truth: one more than the two quarters
    assert started("2025-Q1", None) + started("2025-Q2", None) == 174
    hits = 0
    for seed in range(40):
        secret = f"secret {seed}".encode()
        year = started("2025", secret)
        assert abs(year - 175) <= 2
        hits += year - (started("2025-Q1", secret) + started("2025-Q2", secret)) == 1
    assert hits < 40 * 0.6  # the person on 1 July is no longer given away


def test_the_indicators_carry_the_cell_keys_of_exactly_the_records_they_count() -> None:
    """With a `record_key` column the dashboard's indicators add each count's cell key: the
    sum of the keys of the records counted (checked against sets recounted here)."""
    from passerelle.core.evaluation.synthetic import CohortParameters, generate_cohort
    from passerelle.core.indicators import referral_flows, time_to_first_job

    cohort = generate_cohort(CohortParameters(persons=1500, seed=3))
    keyed = with_record_keys(cohort.referrals.lazy(), "referral_id", SECRET).collect()
    flows = referral_flows(keyed)
    assert flows.select("count", "denominator").equals(
        referral_flows(cohort.referrals).select("count", "denominator")
    )
    sent = keyed.filter(pl.col("event") == "sent")
    for row in flows.head(5).iter_rows(named=True):
        ids = sent.filter(
            (pl.col("from_organisation") == row["from_organisation"])
            & (pl.col("to_organisation") == row["to_organisation"])
        )["referral_id"]
        assert row["count"] == ids.len()
        assert row["count_key"] == cell_key(record_key(i, SECRET) for i in ids)
        everyone = sent.filter(pl.col("from_organisation") == row["from_organisation"])
        assert row["denominator_key"] == cell_key(
            record_key(i, SECRET) for i in everyone["referral_id"]
        )
    persons = with_record_keys(cohort.persons.lazy(), "person_id", SECRET).collect()
    as_of = dt.date(2025, 12, 31)
    curve = time_to_first_job(persons, cohort.events, as_of)
    started = persons.filter(
        pl.col("right_to_work_date").is_not_null() & (pl.col("right_to_work_date") <= as_of)
    )
    assert curve["removed_key"].sum() % MODULUS == cell_key(started["record_key"])
    assert "removed_key" not in time_to_first_job(cohort.persons, cohort.events, as_of).columns
