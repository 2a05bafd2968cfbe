"""Counts and overlaps on a small constructed case whose answers are known by hand."""

from __future__ import annotations

import datetime as dt
import itertools
import math
import random

import numpy as np
import polars as pl
import pytest
from scipy.optimize import linprog

from passerelle.core.charts import upset_chart
from passerelle.core.indicators.beneficiaries import (
    ALL,
    INPUT_SCHEMA,
    Cell,
    Overlaps,
    complementary_suppression,
    feasible_ranges,
    overlap_equations,
    overlaps,
    unique_beneficiaries,
    withhold_as_overlaps,
)

YEAR = (dt.date(2025, 1, 1), dt.date(2025, 12, 31))
D = dt.date


def constructed() -> pl.DataFrame:
    """job_search_support: P1 (org a), P2 (org b), P3 (org c); mentoring: M1 (org b).

    - people 1-10: P1 only; person 1 registered twice in P1;
    - people 11-16: P1 and P2 at the same time;
    - people 17-21: P2 then P3 (one after the other);
    - people 22-23: P1, P2 and P3 (the three at the same time);
    - people 24-30: M1 (mentoring), 24-28 also in P1 at the same time;
    - person 31: P1 in 2024 only (outside the period).
    """
    rows = []

    def add(cluster: int, org: str, programme: str, measure: str, start: D, end: D | None) -> None:
        rows.append((cluster, org, programme, measure, start, end))

    for person in range(1, 11):
        add(person, "a", "P1", "job_search_support", D(2025, 2, 1), D(2025, 6, 30))
    add(1, "a", "P1", "job_search_support", D(2025, 9, 1), None)
    for person in range(11, 17):
        add(person, "a", "P1", "job_search_support", D(2025, 1, 10), D(2025, 5, 1))
        add(person, "b", "P2", "job_search_support", D(2025, 3, 1), D(2025, 8, 1))
    for person in range(17, 22):
        add(person, "b", "P2", "job_search_support", D(2025, 1, 1), D(2025, 3, 31))
        add(person, "c", "P3", "job_search_support", D(2025, 4, 1), D(2025, 9, 30))
    for person in (22, 23):
        for org, programme in (("a", "P1"), ("b", "P2"), ("c", "P3")):
            add(person, org, programme, "job_search_support", D(2025, 5, 1), D(2025, 7, 1))
    for person in range(24, 31):
        add(person, "b", "M1", "mentoring", D(2025, 1, 1), D(2025, 12, 31))
        if person <= 28:
            add(person, "a", "P1", "job_search_support", D(2025, 2, 1), D(2025, 4, 1))
    add(31, "a", "P1", "job_search_support", D(2024, 1, 1), D(2024, 12, 31))
    return pl.DataFrame(rows, schema=INPUT_SCHEMA, orient="row")


def figure(table: pl.DataFrame, measure: str, programme: str, indicator: str) -> int | None:
    row = table.filter(
        (pl.col("measure_type") == measure)
        & (pl.col("programme") == programme)
        & (pl.col("indicator") == indicator)
    )
    assert row.height == 1, (measure, programme, indicator)
    value = row["count"][0]
    return None if value is None else int(value)


def test_distinct_people_against_registrations_and_overlaps() -> None:
    table = unique_beneficiaries(constructed(), YEAR, threshold=5, secret=None)
    jobs = "job_search_support"
    # P1: people 1-16, 22-23, 24-28 = 23 people; 24 registrations (person 1 twice) -> the
    # difference of 1 would reveal a small count: registrations withheld
    assert figure(table, jobs, "P1", "people") == 23
    assert figure(table, jobs, "P1", "registrations") is None
    assert figure(table, jobs, "P2", "people") == 13  # 11-16, 17-21, 22-23
    assert figure(table, jobs, "P2", "registrations") == 13
    assert figure(table, jobs, "P3", "people") == 7  # 17-21, 22-23
    # the measure type: 1-23 and 24-28 = 28 distinct people, 24 + 13 + 7 = 44 registrations
    assert figure(table, jobs, ALL, "people") == 28
    assert figure(table, jobs, ALL, "registrations") == 44
    assert figure(table, jobs, ALL, "counted_more_than_once") == 16
    assert figure(table, jobs, ALL, "in_two_or_more_programmes") == 13  # 11-23
    # at the same time: 11-16 and 22-23 (17-21 went one after the other)
    assert figure(table, jobs, ALL, "in_two_programmes_at_once") == 8
    # mentoring alone: 7 people; over every measure: 30 people (31 is outside the period)
    assert figure(table, "mentoring", "M1", "people") == 7
    assert figure(table, ALL, ALL, "people") == 30
    assert figure(table, ALL, ALL, "registrations") == 51
    # a person in P1 and M1 at once is not "two programmes of one type"
    assert figure(table, "mentoring", ALL, "in_two_or_more_programmes") == 0


def test_small_cells_are_withheld() -> None:
    table = unique_beneficiaries(constructed(), YEAR, threshold=8, secret=None)
    # P3 holds 7 people: under 8, withheld and flagged
    row = table.filter((pl.col("programme") == "P3") & (pl.col("indicator") == "people")).row(
        0, named=True
    )
    assert row["count"] is None
    assert row["suppressed"] is True
    shown = table.filter(~pl.col("suppressed"))["count"]
    assert ((shown == 0) | (shown >= 8)).all()
    assert figure(table, "job_search_support", "P2", "people") == 13
    assert table.filter(pl.col("suppressed"))["count"].null_count() == table["suppressed"].sum()


def test_upset_combinations_are_exclusive_and_small_ones_withheld() -> None:
    result = overlaps(constructed(), YEAR, "job_search_support", threshold=5, secret=None)
    assert result.programmes == ("P1", "P2", "P3")
    truth = overlaps(constructed(), YEAR, "job_search_support", threshold=1, secret=None)
    # P1 only: 1-10 and 24-28; P1+P2: 11-16; P2+P3: 17-21; P1+P2+P3: 22-23
    assert dict(truth.combinations) == {(0,): 15, (0, 1): 6, (1, 2): 5, (0, 1, 2): 2}
    assert truth.sizes == (23, 13, 7)
    assert (truth.people, truth.in_two_or_more) == (28, 13)
    # largest first
    assert [combo for combo, _n in truth.combinations] == [(0,), (0, 1), (1, 2), (0, 1, 2)]
    # the 2 is withheld, and with it enough for it to stay somewhere in a range of 5
    assert dict(result.combinations)[(0, 1, 2)] is None
    low, high = _attack(result)[("combo", (0, 1, 2))]
    assert high - low >= 5
    assert [combo for combo, _n in result.combinations] == [
        combo for combo, _n in truth.combinations
    ]


def _attack(result: Overlaps) -> dict[Cell, tuple[float, float]]:
    """What an attacker makes of the published overlaps alone: for every withheld figure,
    its smallest and largest value under all the published sums at once (linear programs,
    written here independently of the module). The unknowns are the withheld combinations
    listed (each holds at least one person; one not listed holds none)."""
    combos = [combo for combo, _n in result.combinations]
    unknown = [combo for combo, n in result.combinations if n is None]
    known = {combo: n for combo, n in result.combinations if n is not None}

    def total(members: list[tuple[int, ...]]) -> tuple[np.ndarray, float]:
        row = np.array([1.0 if combo in members else 0.0 for combo in unknown])
        return row, float(sum(known.get(combo, 0) for combo in members))

    definitions: dict[Cell, list[tuple[int, ...]]] = {
        ("size", (i,)): [c for c in combos if i in c] for i in range(len(result.programmes))
    }
    definitions[("people", ())] = combos
    definitions[("multi", ())] = [c for c in combos if len(c) >= 2]
    published: dict[Cell, int | None] = {("size", (i,)): n for i, n in enumerate(result.sizes)}
    published[("people", ())] = result.people
    published[("multi", ())] = result.in_two_or_more
    rows, rhs = [], []
    for cell, value in published.items():
        if value is not None:
            row, constant = total(definitions[cell])
            rows.append(row)
            rhs.append(value - constant)
    targets = {("combo", c): [c] for c in unknown}
    targets.update({cell: definitions[cell] for cell, n in published.items() if n is None})
    ranges = {}
    for cell, members in targets.items():
        row, constant = total(members)
        if not unknown:
            ranges[cell] = (constant, constant)
            continue
        low = linprog(
            row, A_eq=np.array(rows) if rows else None, b_eq=rhs or None, bounds=(1, None)
        )
        high = linprog(
            -row, A_eq=np.array(rows) if rows else None, b_eq=rhs or None, bounds=(1, None)
        )
        assert low.status == 0
        top = math.inf if high.status == 3 else -high.fun + constant
        ranges[cell] = (low.fun + constant, top)
    return ranges


def _sensitive(truth: Overlaps, threshold: int = 5) -> set[Cell]:
    """The figures under the threshold, from the unsuppressed overlaps."""
    cells: set[Cell] = {("combo", c) for c, n in truth.combinations if n and n < threshold}
    cells |= {("size", (i,)) for i, n in enumerate(truth.sizes) if n and n < threshold}
    if truth.people and truth.people < threshold:
        cells.add(("people", ()))
    if truth.in_two_or_more and truth.in_two_or_more < threshold:
        cells.add(("multi", ()))
    return cells


def _people(groups: list[tuple[list[str], int]]) -> pl.DataFrame:
    """Synthetic participations: for each (programmes, n), n people in exactly those."""
    rows, person = [], 0
    for chosen, n in groups:
        for _ in range(n):
            person += 1
            rows += [(person, "a", p, "job_search_support", D(2025, 3, 1), None) for p in chosen]
    return pl.DataFrame(rows, schema=INPUT_SCHEMA, orient="row")


def test_no_small_figure_can_be_narrowed_by_solving_the_published_sums_together() -> None:
    # two programmes: 20 in a only, 30 in b only, 3 in both. Withholding the 3 (and the
    # 3 in two or more) and then a only and b only (subtraction within each sum) still
    # leaves size a + size b - people = 3: the attacker of the old method recovers it
    old = Overlaps(
        programmes=("a", "b"),
        sizes=(23, 33),
        combinations=(((1,), None), ((0,), None), ((0, 1), None)),
        people=53,
        in_two_or_more=None,
    )
    assert _attack(old)[("combo", (0, 1))] == pytest.approx((3, 3))
    frame = _people([(["a"], 20), (["b"], 30), (["a", "b"], 3)])
    result = overlaps(frame, YEAR, "job_search_support", threshold=5, secret=None)
    ranges = _attack(result)
    for cell in {("combo", (0, 1)), ("multi", ())}:
        low, high = ranges[cell]
        assert high - low >= 5, (cell, ranges)
    # random populations, seeded: 2 to 6 programmes, small and large cells
    rng = random.Random(7)
    audited = 0
    for trial in range(40):
        names = [f"P{i}" for i in range(rng.randint(2, 6))]
        groups = []
        for k in range(1, len(names) + 1):
            for chosen in itertools.combinations(names, k):
                if rng.random() < 0.6:
                    groups.append((list(chosen), rng.choice([1, 2, 3, 4, 5, 8, 20, 60])))
        if not groups:
            continue
        frame = _people(groups)
        truth = overlaps(frame, YEAR, "job_search_support", threshold=1, secret=None)
        result = overlaps(frame, YEAR, "job_search_support", threshold=5, secret=None)
        ranges = _attack(result)
        for cell in _sensitive(truth):
            low, high = ranges[cell]
            assert high - low >= 5 - 1e-6, (trial, cell, low, high, result)
            audited += 1
        shown = [n for _c, n in result.combinations] + list(result.sizes)
        shown += [result.people, result.in_two_or_more]
        assert all(n is None or n == 0 or n >= 5 for n in shown), trial
    assert audited > 40  # the test has small cells to protect


def test_every_withheld_figure_is_protected_on_demand() -> None:
    rng = random.Random(11)
    for trial in range(8):
        names = [f"P{i}" for i in range(rng.randint(2, 4))]
        groups = [
            (list(chosen), rng.choice([1, 3, 6, 15, 40]))
            for k in range(1, len(names) + 1)
            for chosen in itertools.combinations(names, k)
        ]
        truth = overlaps(_people(groups), YEAR, "job_search_support", threshold=1, secret=None)
        values: dict[Cell, int] = {("combo", c): int(n or 0) for c, n in truth.combinations}
        values.update({("size", (i,)): int(n or 0) for i, n in enumerate(truth.sizes)})
        values[("people", ())] = int(truth.people or 0)
        values[("multi", ())] = int(truth.in_two_or_more or 0)
        small = {cell for cell, n in values.items() if 1 <= n < 5}
        combos = [c for c, _n in truth.combinations]
        equations = overlap_equations(len(names), combos)
        withheld = complementary_suppression(values, small, equations, every_withheld=True)
        ranges = feasible_ranges(values, withheld, equations)
        assert set(ranges) == withheld
        assert all(high - low >= 5 - 1e-6 for low, high in ranges.values()), trial
        # the module's ranges are the attacker's
        published = Overlaps(
            programmes=truth.programmes,
            sizes=tuple(
                None if ("size", (i,)) in withheld else n for i, n in enumerate(truth.sizes)
            ),
            combinations=tuple(
                (c, None if ("combo", c) in withheld else n) for c, n in truth.combinations
            ),
            people=None if ("people", ()) in withheld else truth.people,
            in_two_or_more=None if ("multi", ()) in withheld else truth.in_two_or_more,
        )
        attacker = _attack(published)
        for cell, (low, high) in ranges.items():
            assert attacker[cell][0] == pytest.approx(low)
            assert attacker[cell][1] == pytest.approx(high)


def test_a_table_without_small_cells_withholds_nothing() -> None:
    frame = _people([(["a"], 20), (["b"], 30), (["c"], 9), (["a", "b"], 7), (["a", "b", "c"], 5)])
    result = overlaps(frame, YEAR, "job_search_support", threshold=5, secret=None)
    assert dict(result.combinations) == {(0,): 20, (1,): 30, (2,): 9, (0, 1): 7, (0, 1, 2): 5}
    assert result.sizes == (32, 42, 14)
    assert (result.people, result.in_two_or_more) == (71, 12)


def test_the_counts_table_withholds_what_the_overlaps_withhold() -> None:
    frame = constructed()
    result = overlaps(frame, YEAR, "job_search_support", threshold=8, secret=None)
    counts = withhold_as_overlaps(
        unique_beneficiaries(frame, YEAR, threshold=8, secret=None), result, "job_search_support"
    )
    for i, programme in enumerate(result.programmes):
        size = figure(counts, "job_search_support", programme, "people")
        assert size == result.sizes[i]
    assert figure(counts, "job_search_support", ALL, "people") == result.people
    # one measure type only: its people are withheld, and so is what would give them back
    # (registrations minus those counted twice; the same figures over every measure)
    single = frame.filter(pl.col("measure_type") == "job_search_support")
    result = overlaps(single, YEAR, "job_search_support", threshold=5, secret=None)
    assert result.people == 28
    hidden = Overlaps(result.programmes, result.sizes, result.combinations, None, None)
    counts = withhold_as_overlaps(
        unique_beneficiaries(single, YEAR, threshold=5, secret=None), hidden, "job_search_support"
    )
    for measure in ("job_search_support", ALL):
        for indicator in ("people", "counted_more_than_once", "in_two_or_more_programmes"):
            assert figure(counts, measure, ALL, indicator) is None
        assert figure(counts, measure, ALL, "registrations") == 44
    # with a second measure type the total over every measure is another figure
    counts = withhold_as_overlaps(
        unique_beneficiaries(frame, YEAR, threshold=5, secret=None), hidden, "job_search_support"
    )
    assert figure(counts, ALL, ALL, "people") == 30


def test_a_quarter_counts_only_what_overlaps_it() -> None:
    q4 = (D(2025, 10, 1), D(2025, 12, 31))
    table = unique_beneficiaries(constructed(), q4, threshold=1, secret=None)
    # Q4: person 1's open second registration, and mentoring 24-30
    assert figure(table, "job_search_support", "P1", "people") == 1
    assert figure(table, "mentoring", ALL, "people") == 7


def test_the_upset_chart_draws_every_combination_and_mirrors_in_arabic() -> None:
    result = overlaps(constructed(), YEAR, "job_search_support", threshold=5, secret=None)
    sets = list(zip(result.programmes, result.sizes, strict=True))
    svg = upset_chart(
        sets, result.combinations, title="Overlaps", count_label="People", withheld_label="<5"
    ).svg()
    assert svg.count("<circle") == len(result.programmes) * len(result.combinations)
    # a withheld combination has no bar
    assert svg.count("<rect") == sum(n is not None for _c, n in result.combinations)
    assert "&lt;5" in svg
    assert "P2 (13)" in svg
    mirrored = upset_chart(
        sets,
        result.combinations,
        title="Overlaps",
        count_label="People",
        withheld_label="<5",
        rtl=True,
    ).svg()
    assert 'direction="rtl"' in mirrored
    assert mirrored != svg
