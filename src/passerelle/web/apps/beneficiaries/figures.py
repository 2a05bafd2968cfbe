"""Unique beneficiaries and overlaps from clustered participations (pure polars, no
database): what the pages, the CSV and the PDF show. Aggregates only, small cells withheld.

Input: one row per participation with `cluster` (one person), `organisation`,
`programme`, `measure_type`, `start_date`, `end_date` (empty: still running).
A participation counts in a period when it overlaps it.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass

import polars as pl

from passerelle.core.indicators import suppress_small_cells

Period = tuple[dt.date, dt.date]
INPUT_SCHEMA = {
    "cluster": pl.Int64,
    "organisation": pl.String,
    "programme": pl.String,
    "measure_type": pl.String,
    "start_date": pl.Date,
    "end_date": pl.Date,
}
INDICATORS = (
    "people",
    "registrations",
    "counted_more_than_once",
    "in_two_or_more_programmes",
    "in_two_programmes_at_once",
)
COUNT_COLUMNS = ("measure_type", "programme", "indicator", "count", "suppressed")
ALL = "*"
"""`measure_type` or `programme` of a total row."""


def in_period(frame: pl.DataFrame, period: Period) -> pl.DataFrame:
    """The participations overlapping `period`, their dates clipped to it."""
    start, end = period
    return frame.filter(
        (pl.col("start_date") <= end)
        & (pl.col("end_date").is_null() | (pl.col("end_date") >= start))
    ).with_columns(
        pl.max_horizontal(pl.col("start_date"), pl.lit(start)).alias("start_date"),
        pl.min_horizontal(pl.col("end_date").fill_null(end), pl.lit(end)).alias("end_date"),
    )


def _at_once(part: pl.DataFrame) -> int:
    """Persons with two participations in different programmes whose dates overlap."""
    count = 0
    for (_cluster,), rows in part.partition_by("cluster", as_dict=True).items():
        if rows["programme"].n_unique() < 2:
            continue
        items = sorted(rows.select("start_date", "end_date", "programme").iter_rows())
        found = False
        for i, (_s1, e1, p1) in enumerate(items):
            for s2, _e2, p2 in items[i + 1 :]:
                if s2 > e1:
                    break
                if p2 != p1:
                    found = True
                    break
            if found:
                break
        count += found
    return count


def _rows(measure: str, programme: str, part: pl.DataFrame, full: bool) -> list[dict[str, object]]:
    people = part["cluster"].n_unique()
    registrations = part.height
    rows: list[dict[str, object]] = [
        {"measure_type": measure, "programme": programme, "indicator": "people", "count": people},
        {
            "measure_type": measure,
            "programme": programme,
            "indicator": "registrations",
            "count": registrations,
        },
    ]
    if full:
        programmes = part.group_by("cluster").agg(pl.col("programme").n_unique().alias("n"))
        rows += [
            {
                "measure_type": measure,
                "programme": programme,
                "indicator": "counted_more_than_once",
                "count": registrations - people,
            },
            {
                "measure_type": measure,
                "programme": programme,
                "indicator": "in_two_or_more_programmes",
                "count": int((programmes["n"] >= 2).sum()),
            },
            {
                "measure_type": measure,
                "programme": programme,
                "indicator": "in_two_programmes_at_once",
                "count": _at_once(part),
            },
        ]
    return rows


def unique_beneficiaries(
    frame: pl.DataFrame, period: Period, *, threshold: int = 5
) -> pl.DataFrame:
    """Per measure type and programme: distinct people (clusters) and registrations; per
    measure type also the registrations counted more than once, and the people in two or
    more programmes of the type (in the period; and at the same time); a total over every
    measure type. Counts from 1 to threshold - 1 are withheld; so is a registration count
    whose difference from the people count would reveal such a small number."""
    part = in_period(frame, period)
    rows: list[dict[str, object]] = []
    for measure in sorted(set(part["measure_type"].to_list())):
        of_type = part.filter(pl.col("measure_type") == measure)
        rows += _rows(measure, ALL, of_type, full=True)
        for programme in sorted(set(of_type["programme"].to_list())):
            rows += _rows(
                measure, programme, of_type.filter(pl.col("programme") == programme), False
            )
    rows += _rows(ALL, ALL, part, full=True)
    table = pl.DataFrame(
        rows,
        schema={
            "measure_type": pl.String,
            "programme": pl.String,
            "indicator": pl.String,
            "count": pl.Int64,
        },
    )
    if table.is_empty():
        return table.with_columns(pl.lit(False).alias("suppressed"))
    # complementary: registrations - people would reveal a small count of duplicates
    gaps = (
        table.pivot(on="indicator", index=["measure_type", "programme"], values="count")
        .with_columns((pl.col("registrations") - pl.col("people")).alias("gap"))
        .select("measure_type", "programme", "gap")
    )
    suppressed = suppress_small_cells(table, threshold, counts=["count"])
    return (
        suppressed.join(gaps, on=["measure_type", "programme"], how="left")
        .with_columns(
            withhold=(pl.col("indicator") == "registrations")
            & pl.col("gap").is_between(1, threshold - 1)
        )
        .with_columns(
            suppressed=pl.col("suppressed") | pl.col("withhold"),
            count=pl.when(pl.col("withhold")).then(None).otherwise(pl.col("count")),
        )
        .select(COUNT_COLUMNS)
    )


@dataclass(frozen=True)
class Overlaps:
    programmes: tuple[str, ...]
    sizes: tuple[int | None, ...]  # people per programme (None: withheld)
    combinations: tuple[tuple[tuple[int, ...], int | None], ...]  # exclusive, by count
    people: int | None = None  # distinct people of the measure type (None: withheld)
    in_two_or_more: int | None = None  # people in two or more of its programmes


Cell = tuple[str, tuple[int, ...]]
"""A published figure of the overlaps: ("combo", programmes), ("size", (i,)),
("people", ()) or ("multi", ())."""


def overlap_equations(
    programmes: int, combos: list[tuple[int, ...]]
) -> list[tuple[list[Cell], list[Cell]]]:
    """The sums the published overlaps obey: (members, totals), the members adding up to
    the totals' sum (`singles` is people minus multi). Every row and column of the table:
    a programme's size is the sum of its combinations; the people of the measure type the
    sum of all; the people in two or more programmes the sum of the combinations of two or
    more, and the rest the combinations of one."""
    equations: list[tuple[list[Cell], list[Cell]]] = [
        ([("combo", c) for c in combos if i in c], [("size", (i,))]) for i in range(programmes)
    ]
    equations.append(([("combo", c) for c in combos], [("people", ())]))
    equations.append(([("combo", c) for c in combos if len(c) >= 2], [("multi", ())]))
    equations.append(
        ([("combo", c) for c in combos if len(c) == 1], [("people", ()), ("multi", ())])
    )
    return equations


def complementary_suppression(
    values: dict[Cell, int], withheld: set[Cell], equations: list[tuple[list[Cell], list[Cell]]]
) -> set[Cell]:
    """Withhold more cells until no equation whose totals are published has exactly one
    withheld member (which a subtraction would reveal): the next-smallest published member
    of that equation, or, when it has none, its smallest total. Repeated until stable, so
    that chains of subtractions reveal nothing either."""
    withheld = set(withheld)
    changed = True
    while changed:
        changed = False
        for members, totals in equations:
            if any(total in withheld for total in totals):
                continue
            hidden = [cell for cell in members if cell in withheld]
            if len(hidden) != 1:
                continue
            shown = [cell for cell in members if cell not in withheld and values[cell] > 0]
            pool = shown or totals
            withheld.add(min(pool, key=lambda cell: (values[cell], cell)))
            changed = True
    return withheld


def overlaps(
    frame: pl.DataFrame, period: Period, measure_type: str, *, threshold: int = 5
) -> Overlaps:
    """The UpSet figures of one measure type in a period: for every combination of its
    programmes, the people whose programmes in the period are exactly that combination.
    Counts from 1 to threshold - 1 are withheld, and then the cells that would let a
    subtraction within a programme's column or a total recover them
    (`complementary_suppression`)."""
    part = in_period(frame, period).filter(pl.col("measure_type") == measure_type)
    programmes = tuple(sorted(set(part["programme"].to_list())))
    index = {programme: i for i, programme in enumerate(programmes)}
    sets = part.group_by("cluster").agg(pl.col("programme").unique())
    counter: Counter[tuple[int, ...]] = Counter(
        tuple(sorted(index[p] for p in members)) for members in sets["programme"].to_list()
    )
    sizes = [part.filter(pl.col("programme") == p)["cluster"].n_unique() for p in programmes]
    values: dict[Cell, int] = {("combo", combo): count for combo, count in counter.items()}
    values.update({("size", (i,)): size for i, size in enumerate(sizes)})
    values[("people", ())] = sets.height
    values[("multi", ())] = sum(count for combo, count in counter.items() if len(combo) >= 2)
    small = {cell for cell, count in values.items() if 1 <= count < threshold}
    withheld = complementary_suppression(
        values, small, overlap_equations(len(programmes), list(counter))
    )

    def shown(cell: Cell) -> int | None:
        return None if cell in withheld else values[cell]

    ordered = sorted(counter.items(), key=lambda item: (-item[1], len(item[0]), item[0]))
    return Overlaps(
        programmes=programmes,
        sizes=tuple(shown(("size", (i,))) for i in range(len(programmes))),
        combinations=tuple((combo, shown(("combo", combo))) for combo, _count in ordered),
        people=shown(("people", ())),
        in_two_or_more=shown(("multi", ())),
    )


def withhold_as_overlaps(counts: pl.DataFrame, result: Overlaps, measure_type: str) -> pl.DataFrame:
    """The counts table with the figures the overlaps of `measure_type` withheld (a
    programme's people, the people of the type, those in two or more programmes) withheld
    too, so that the table does not publish what the chart hides."""
    hidden = [
        (programme, "people")
        for programme, size in zip(result.programmes, result.sizes, strict=True)
        if size is None
    ]
    if result.people is None:
        hidden.append((ALL, "people"))
    if result.in_two_or_more is None:
        hidden.append((ALL, "in_two_or_more_programmes"))
    if not hidden or counts.is_empty():
        return counts
    match = pl.lit(False)
    for programme, indicator in hidden:
        match = match | (
            (pl.col("measure_type") == measure_type)
            & (pl.col("programme") == programme)
            & (pl.col("indicator") == indicator)
        )
    return counts.with_columns(
        count=pl.when(match).then(None).otherwise(pl.col("count")),
        suppressed=pl.col("suppressed") | match,
    )


def overlaps_frame(result: Overlaps, measure_type: str) -> pl.DataFrame:
    """The overlaps as rows: measure_type, programmes ("a + b"), size, count, suppressed."""
    return pl.DataFrame(
        [
            {
                "measure_type": measure_type,
                "programmes": " + ".join(result.programmes[i] for i in combo),
                "size": len(combo),
                "count": count,
                "suppressed": count is None,
            }
            for combo, count in result.combinations
        ],
        schema={
            "measure_type": pl.String,
            "programmes": pl.String,
            "size": pl.Int64,
            "count": pl.Int64,
            "suppressed": pl.Boolean,
        },
    )
