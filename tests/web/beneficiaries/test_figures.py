"""Counts and overlaps on a small constructed case whose answers are known by hand."""

from __future__ import annotations

import datetime as dt
import random

import polars as pl

from passerelle.web.apps.beneficiaries.figures import (
    ALL,
    INPUT_SCHEMA,
    Cell,
    Overlaps,
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
    table = unique_beneficiaries(constructed(), YEAR, threshold=5)
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
    table = unique_beneficiaries(constructed(), YEAR, threshold=8)
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
    result = overlaps(constructed(), YEAR, "job_search_support", threshold=5)
    assert result.programmes == ("P1", "P2", "P3")
    combos = {tuple(result.programmes[i] for i in combo): n for combo, n in result.combinations}
    # P1 only: 1-10 and 24-28; P1+P2: 11-16; P2+P3: 17-21; P1+P2+P3: 22-23 (withheld);
    # P3's 7 = P2+P3 + P1+P2+P3 and P1's 23 = 15 + P1+P2 + P1+P2+P3 would reveal the 2, so
    # P2+P3 (5) and P1+P2 (6) are withheld as well (complementary suppression)
    assert combos == {
        ("P1",): 15,
        ("P1", "P2"): None,
        ("P2", "P3"): None,
        ("P1", "P2", "P3"): None,
    }
    assert result.sizes == (23, 13, 7)
    assert (result.people, result.in_two_or_more) == (28, 13)
    # largest first
    assert [combo for combo, _n in result.combinations] == [(0,), (0, 1), (1, 2), (0, 1, 2)]
    loose = overlaps(constructed(), YEAR, "job_search_support", threshold=2)
    assert dict(loose.combinations) == {(0,): 15, (0, 1): 6, (1, 2): 5, (0, 1, 2): 2}


def _recover_by_subtraction(result: Overlaps) -> dict[Cell, int]:
    """What an attacker gets from the published overlaps by subtraction within a row or a
    column (a programme's size, the people, those in two or more programmes, the rest),
    repeated while it finds something: every withheld cell it recovers, with its value."""
    combos = [combo for combo, _n in result.combinations]
    known: dict[Cell, int] = {("combo", c): n for c, n in result.combinations if n is not None}
    known.update({("size", (i,)): n for i, n in enumerate(result.sizes) if n is not None})
    if result.people is not None:
        known[("people", ())] = result.people
    if result.in_two_or_more is not None:
        known[("multi", ())] = result.in_two_or_more
    published = set(known)
    found = True
    while found:
        found = False
        for members, totals in overlap_equations(len(result.programmes), combos):
            signs = [1] + [-1] * (len(totals) - 1)  # singles = people - multi
            unknown = [m for m in members if m not in known]
            if all(t in known for t in totals) and len(unknown) == 1:
                total = sum(s * known[t] for s, t in zip(signs, totals, strict=True))
                known[unknown[0]] = total - sum(known[m] for m in members if m in known)
                found = True
            missing = [t for t in totals if t not in known]
            if not unknown and len(missing) == 1 and missing[0] == totals[0]:
                rest = sum(s * known[t] for s, t in zip(signs[1:], totals[1:], strict=True))
                known[missing[0]] = sum(known[m] for m in members) - rest
                found = True
    return {cell: value for cell, value in known.items() if cell not in published}


def test_no_withheld_overlap_can_be_recovered_by_subtraction() -> None:
    frame = constructed()
    result = overlaps(frame, YEAR, "job_search_support", threshold=5)
    assert _recover_by_subtraction(result) == {}
    # the attacker does recover cells under primary suppression only: the test has teeth
    primary = Overlaps(
        programmes=result.programmes,
        sizes=result.sizes,
        combinations=(((0,), 15), ((0, 1), 6), ((1, 2), 5), ((0, 1, 2), None)),
        people=result.people,
        in_two_or_more=result.in_two_or_more,
    )
    assert _recover_by_subtraction(primary) == {("combo", (0, 1, 2)): 2}
    # random populations: many programmes, small and large cells
    rng = random.Random(7)
    for trial in range(40):
        rows = []
        names = [f"P{i}" for i in range(rng.randint(2, 5))]
        for person in range(rng.randint(10, 120)):
            chosen = rng.sample(names, k=min(len(names), rng.choice([1, 1, 1, 2, 2, 3])))
            rows += [(person, "a", p, "job_search_support", D(2025, 3, 1), None) for p in chosen]
        sample = pl.DataFrame(rows, schema=INPUT_SCHEMA, orient="row")
        result = overlaps(sample, YEAR, "job_search_support", threshold=5)
        assert _recover_by_subtraction(result) == {}, trial
        shown = [n for _c, n in result.combinations] + list(result.sizes)
        assert all(n is None or n >= 5 for n in shown), trial


def test_the_counts_table_withholds_what_the_overlaps_withhold() -> None:
    frame = constructed()
    result = overlaps(frame, YEAR, "job_search_support", threshold=8)
    counts = withhold_as_overlaps(
        unique_beneficiaries(frame, YEAR, threshold=8), result, "job_search_support"
    )
    for i, programme in enumerate(result.programmes):
        size = figure(counts, "job_search_support", programme, "people")
        assert size == result.sizes[i]
    assert figure(counts, "job_search_support", ALL, "people") == result.people


def test_a_quarter_counts_only_what_overlaps_it() -> None:
    q4 = (D(2025, 10, 1), D(2025, 12, 31))
    table = unique_beneficiaries(constructed(), q4, threshold=1)
    # Q4: person 1's open second registration, and mentoring 24-30
    assert figure(table, "job_search_support", "P1", "people") == 1
    assert figure(table, "mentoring", ALL, "people") == 7


def test_the_upset_chart_draws_every_combination_and_mirrors_in_arabic() -> None:
    from passerelle.web.apps.monitoring.charts import upset_chart

    result = overlaps(constructed(), YEAR, "job_search_support", threshold=5)
    sets = list(zip(result.programmes, result.sizes, strict=True))
    svg = upset_chart(
        sets, result.combinations, title="Overlaps", count_label="People", withheld_label="<5"
    )
    assert svg.count("<circle") == len(result.programmes) * len(result.combinations)
    # a withheld combination has no bar
    assert svg.count("<rect") == sum(n is not None for _c, n in result.combinations)
    assert "&lt;5" in svg
    assert "P1 (23)" in svg
    mirrored = upset_chart(
        sets,
        result.combinations,
        title="Overlaps",
        count_label="People",
        withheld_label="<5",
        rtl=True,
    )
    assert 'direction="rtl"' in mirrored
    assert mirrored != svg
