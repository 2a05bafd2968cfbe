"""Unique beneficiaries and overlaps from clustered participations (pure polars, no
database): what the pages, the CSV and the PDF show. Aggregates only, small cells withheld.

Input: one row per participation with `cluster` (one person), `organisation`,
`programme`, `measure_type`, `start_date`, `end_date` (empty: still running), and optionally
`person`, a stable id of the person (else `cluster`) for the cell keys. A participation
counts in a period when it overlaps it.

Published counts are perturbed by cell key (`core.disclosure`, docs/indicators.md
"Differencing") after the small cells and the linear-programming audit have decided what is
withheld on the true counts: each person's record key comes from `person`, a cell's key is
the sum over the people it counts (a registration carries its person's key), so a
programme's people show the same value in the counts table and in the overlaps.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from dataclasses import dataclass

import numpy as np
import polars as pl
from scipy.optimize import linprog

from passerelle.core.disclosure import (
    MODULUS,
    cell_key,
    perturb_frame,
    publish_count,
    with_record_keys,
)
from passerelle.core.indicators.suppression import suppress_small_cells

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


def with_keys(frame: pl.DataFrame, secret: bytes | None) -> pl.DataFrame:
    """`frame` with each person's record key (`record_key`; from `person`, else `cluster`).
    Without a secret the keys are computed all the same and nothing is perturbed."""
    column = "person" if "person" in frame.columns else "cluster"
    return with_record_keys(frame.lazy(), column, secret or b"exact").collect()


def _person_keys(part: pl.DataFrame) -> dict[int, int]:
    return dict(part.select("cluster", "record_key").unique("cluster").iter_rows())


def _at_once(part: pl.DataFrame) -> tuple[int, int]:
    """Persons with two participations in different programmes whose dates overlap, and
    their cell key."""
    count = key = 0
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
        key += int(rows["record_key"][0]) if found else 0
    return count, key % MODULUS


def _rows(measure: str, programme: str, part: pl.DataFrame, full: bool) -> list[dict[str, object]]:
    people = part["cluster"].n_unique()
    people_key = cell_key(_person_keys(part).values())
    registrations = part.height
    registrations_key = cell_key(part["record_key"].to_list())

    def row(indicator: str, count: int, key: int) -> dict[str, object]:
        return {
            "measure_type": measure,
            "programme": programme,
            "indicator": indicator,
            "count": count,
            "count_key": key % MODULUS,
        }

    rows = [
        row("people", people, people_key),
        row("registrations", registrations, registrations_key),
    ]
    if full:
        programmes = part.group_by("cluster").agg(
            pl.col("programme").n_unique().alias("n"), pl.col("record_key").first()
        )
        several = programmes.filter(pl.col("n") >= 2)
        rows += [
            row("counted_more_than_once", registrations - people, registrations_key - people_key),
            row("in_two_or_more_programmes", several.height, cell_key(several["record_key"])),
            row("in_two_programmes_at_once", *_at_once(part)),
        ]
    return rows


def unique_beneficiaries(
    frame: pl.DataFrame, period: Period, *, threshold: int = 5, secret: bytes | None
) -> pl.DataFrame:
    """Per measure type and programme: distinct people (clusters) and registrations; per
    measure type also the registrations counted more than once, and the people in two or
    more programmes of the type (in the period; and at the same time); a total over every
    measure type. Counts from 1 to threshold - 1 are withheld; so is a registration count
    whose difference from the people count would reveal such a small number. With a
    cell-key `secret` the counts left are perturbed (see the module); `None`: exact."""
    part = in_period(with_keys(frame, secret), period)
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
            "count_key": pl.Int64,
        },
    )
    if table.is_empty():
        return table.drop("count_key").with_columns(pl.lit(False).alias("suppressed"))
    # complementary: registrations - people would reveal a small count of duplicates
    gaps = (
        table.pivot(on="indicator", index=["measure_type", "programme"], values="count")
        .with_columns((pl.col("registrations") - pl.col("people")).alias("gap"))
        .select("measure_type", "programme", "gap")
    )
    suppressed = suppress_small_cells(table, threshold, counts=["count"])
    counts = (
        suppressed.join(gaps, on=["measure_type", "programme"], how="left", maintain_order="left")
        .with_columns(
            withhold=(pl.col("indicator") == "registrations")
            & pl.col("gap").is_between(1, threshold - 1)
        )
        .with_columns(
            suppressed=pl.col("suppressed") | pl.col("withhold"),
            count=pl.when(pl.col("withhold")).then(None).otherwise(pl.col("count")),
        )
        .select(*COUNT_COLUMNS, "count_key")
    )
    if secret is None:
        return counts.drop("count_key")
    return perturb_frame(counts, {"count": "count_key"}, threshold=threshold).select(COUNT_COLUMNS)


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


def _definitions(equations: list[tuple[list[Cell], list[Cell]]]) -> dict[Cell, list[Cell]]:
    """Each total with the combinations it adds up (the equations with one total)."""
    return {totals[0]: members for members, totals in equations if len(totals) == 1}


def feasible_ranges(
    values: dict[Cell, int],
    withheld: set[Cell],
    equations: list[tuple[list[Cell], list[Cell]]],
    cells: set[Cell] | None = None,
    *,
    exact: bool = True,
) -> dict[Cell, tuple[float, float]]:
    """What an attacker can tell of each withheld figure (or of `cells`) from the published
    ones: its smallest and largest value (`inf` when unbounded) under every published sum
    and cell, by two linear programs (HiGHS). The unknowns are the withheld combinations
    (the combinations listed, so each holds at least one person; a combination not listed
    holds none), integrality relaxed. With `exact=False` a figure unbounded above gets
    `-inf` as its smallest value (one linear program instead of two: enough to see that
    it is protected)."""
    definitions = _definitions(equations)
    unknown = sorted(cell for cell in values if cell[0] == "combo" and cell in withheld)
    column = {cell: j for j, cell in enumerate(unknown)}
    a_eq, b_eq = _published_sums(values, withheld, definitions, column)
    ranges: dict[Cell, tuple[float, float]] = {}
    for cell in sorted(withheld if cells is None else cells):
        members = [cell] if cell[0] == "combo" else definitions[cell]
        coefficients, constant = _sum_row(members, column, values)
        ranges[cell] = _range(coefficients, constant, a_eq, b_eq, exact=exact)
    return ranges


def _sum_row(
    members: list[Cell], column: dict[Cell, int], values: dict[Cell, int]
) -> tuple[np.ndarray, float]:
    """The sum of `members` as coefficients over the unknowns (`column`: each one's index)
    plus a known constant (the published members)."""
    coefficients = np.zeros(len(column))
    constant = 0.0
    for member in members:
        if member in column:
            coefficients[column[member]] += 1.0
        else:
            constant += values[member]
    return coefficients, constant


def _published_sums(
    values: dict[Cell, int],
    withheld: set[Cell],
    definitions: dict[Cell, list[Cell]],
    column: dict[Cell, int],
) -> tuple[np.ndarray | None, np.ndarray | None]:
    """The published totals that involve an unknown, as equalities over the unknowns
    (`A_eq`, `b_eq` of the linear programs; None when there is none)."""
    rows, rhs = [], []
    for total, members in definitions.items():
        if total in values and total not in withheld:
            coefficients, constant = _sum_row(members, column, values)
            if coefficients.any():
                rows.append(coefficients)
                rhs.append(values[total] - constant)
    if not rows:
        return None, None
    return np.array(rows), np.array(rhs)


def _range(
    coefficients: np.ndarray,
    constant: float,
    a_eq: np.ndarray | None,
    b_eq: np.ndarray | None,
    *,
    exact: bool,
) -> tuple[float, float]:
    """The smallest and largest value of `coefficients` . unknowns + `constant` under the
    equalities, each unknown at least 1 (see `feasible_ranges` for `exact`)."""
    if not coefficients.any():
        return constant, constant
    bounds: list[float] = []
    for sign in (-1.0, 1.0):  # the largest first: when unbounded, the smallest is enough
        if bounds and math.isinf(bounds[0]) and not exact:
            bounds.append(-math.inf)
            break
        result = linprog(
            sign * coefficients, A_eq=a_eq, b_eq=b_eq, bounds=(1, None), method="highs"
        )
        if result.status == 3:  # unbounded
            bounds.append(math.inf)
        elif result.status != 0:
            raise RuntimeError(f"disclosure audit: linear program failed ({result.message})")
        else:
            bounds.append(sign * float(result.fun) + constant)
    return bounds[1], bounds[0]


def complementary_suppression(
    values: dict[Cell, int],
    withheld: set[Cell],
    equations: list[tuple[list[Cell], list[Cell]]],
    *,
    protection: int = 5,
    every_withheld: bool = False,
) -> set[Cell]:
    """Withhold more figures until every sensitive one (those of `withheld`, the small
    counts) is protected: an attacker solving every published sum and cell together
    (`feasible_ranges`, a linear-programming audit as in τ-ARGUS) can only place it in a
    range at least `protection` wide. The figures withheld on the way need no protection
    (every published count is 0 or at least the threshold, so recovering one reveals no
    small count), as in τ-ARGUS; `every_withheld` demands it of them too, at the price of
    withholding more.

    While a figure is exposed, one more figure is withheld: of the candidates (the
    published combinations in a sum that binds it, smallest first, at most `_TRIES`; then
    every published total of those sums; then other published figures, at most
    `_TRIES`), the first that protects it on its own, else the one that widens its range
    most. Withholding more only widens ranges, so a figure found protected is not audited
    again; the loop ends at the latest when everything is withheld (nothing is then
    bounded above). Last, the figures withheld on the way are published again one by one
    (the people of the type first, then those in two or more programmes, the programmes'
    sizes, the largest combinations; at most `_REPUBLISH`) when every sensitive figure
    stays protected without them. Deterministic: every choice is by value, then name."""
    audit = _Audit(values, equations, protection)
    sensitive = set(withheld)
    withheld = set(withheld)
    protected: set[Cell] = set()
    while True:
        pending = sorted((withheld if every_withheld else sensitive) - protected)
        exposed = audit.first_exposed(withheld, pending)
        protected.update(pending[: pending.index(exposed)] if exposed else pending)
        if exposed is None:
            break
        withheld.add(audit.protector(exposed, withheld))
    if every_withheld:
        return withheld
    return _publish_again(audit, withheld, sensitive)


class _Audit:
    """`complementary_suppression`'s questions to the audit (`feasible_ranges`) of one
    table: is a figure protected, and which figure to withhold to protect it."""

    def __init__(
        self,
        values: dict[Cell, int],
        equations: list[tuple[list[Cell], list[Cell]]],
        protection: int,
    ) -> None:
        self.values = values
        self.equations = equations
        self.definitions = _definitions(equations)
        self.protection = protection

    def width(self, cell: Cell, hidden: set[Cell]) -> float:
        low, high = feasible_ranges(self.values, hidden, self.equations, {cell}, exact=False)[cell]
        return high - low

    def first_exposed(self, hidden: set[Cell], cells: list[Cell]) -> Cell | None:
        """The first of `cells` whose range is narrower than the protection."""
        return next(
            (cell for cell in cells if self.width(cell, hidden) < self.protection - 1e-6), None
        )

    def ranked(self, pool: set[Cell]) -> list[Cell]:
        """Cells before totals, the smallest first."""
        return sorted(pool, key=lambda cell: (cell[0] != "combo", self.values[cell], cell))

    def candidates(self, exposed: Cell, withheld: set[Cell]) -> list[Cell]:
        """The figures to try withholding for `exposed`: the published combinations in a sum
        that binds it (at most `_TRIES`), those sums' published totals, then any other."""
        definitions = self.definitions
        unknown = {exposed} if exposed[0] == "combo" else set(definitions[exposed])
        unknown &= withheld
        binding = [
            (total, members)
            for total, members in definitions.items()
            if total in self.values and total not in withheld and not unknown.isdisjoint(members)
        ]
        if exposed in definitions:
            binding.append((exposed, definitions[exposed]))
        cells = {m for _t, members in binding for m in members if m not in withheld}
        totals = {t for t, _members in binding if t not in withheld}
        others = self.ranked(
            {cell for cell in self.values if cell not in withheld} - cells - totals
        )
        return self.ranked(cells)[:_TRIES] + self.ranked(totals) + others[:_TRIES]

    def protector(self, exposed: Cell, withheld: set[Cell]) -> Cell:
        """The first candidate that protects `exposed` on its own, if any; else the one
        that widens its range most."""
        candidates = self.candidates(exposed, withheld)
        best, chosen = -1.0, candidates[0]
        for candidate in candidates:
            wide = self.width(exposed, withheld | {candidate})
            if wide > best + 1e-6:
                best, chosen = wide, candidate
            if wide >= self.protection - 1e-6:
                break
        return chosen


def _publish_again(audit: _Audit, withheld: set[Cell], sensitive: set[Cell]) -> set[Cell]:
    """`withheld` without the figures the sensitive ones do not need: the totals first (the
    people, those in two or more programmes, the programmes' sizes), then the largest."""
    last: list[Cell] = []  # the figure found exposed last: audited first (fails fast)
    rank = {"people": 0, "multi": 1, "size": 2, "combo": 3}
    again = sorted(
        withheld - sensitive, key=lambda cell: (rank[cell[0]], -audit.values[cell], cell)
    )
    for cell in again[:_REPUBLISH]:
        exposed = audit.first_exposed(withheld - {cell}, last + sorted(sensitive - set(last)))
        if exposed is None:
            withheld.discard(cell)
        else:
            last = [exposed]
    return withheld


_TRIES = 16
"""Candidates tried, per step of `complementary_suppression`, for one that protects."""
_REPUBLISH = 32
"""Figures withheld on the way that `complementary_suppression` tries to publish again
(the totals first): a bound on its time on large tables."""


def overlaps(
    frame: pl.DataFrame,
    period: Period,
    measure_type: str,
    *,
    threshold: int = 5,
    secret: bytes | None,
) -> Overlaps:
    """The UpSet figures of one measure type in a period: for every combination of its
    programmes, the people whose programmes in the period are exactly that combination.
    Counts from 1 to threshold - 1 are withheld, and then more figures until no withheld
    small count can be placed, from the published figures, in a range narrower than the
    threshold (`complementary_suppression`, a linear-programming audit, on the true
    counts). With a cell-key `secret` the figures published are then perturbed, and one
    whose perturbed value falls below the threshold is withheld too (withholding more only
    widens the audit's ranges); `None`: exact."""
    part = in_period(with_keys(frame, secret), period).filter(
        pl.col("measure_type") == measure_type
    )
    programmes = tuple(sorted(set(part["programme"].to_list())))
    index = {programme: i for i, programme in enumerate(programmes)}
    sets = part.group_by("cluster").agg(pl.col("programme").unique(), pl.col("record_key").first())
    combos = [tuple(sorted(index[p] for p in members)) for members in sets["programme"]]
    counter: Counter[tuple[int, ...]] = Counter(combos)
    keys: Counter[Cell] = Counter()
    for combo, key in zip(combos, sets["record_key"].to_list(), strict=True):
        keys[("combo", combo)] += key
        keys[("people", ())] += key
        keys[("multi", ())] += key if len(combo) >= 2 else 0
        for i in combo:
            keys[("size", (i,))] += key
    sizes = [part.filter(pl.col("programme") == p)["cluster"].n_unique() for p in programmes]
    values: dict[Cell, int] = {("combo", combo): count for combo, count in counter.items()}
    values.update({("size", (i,)): size for i, size in enumerate(sizes)})
    values[("people", ())] = sets.height
    values[("multi", ())] = sum(count for combo, count in counter.items() if len(combo) >= 2)
    small = {cell for cell, count in values.items() if 1 <= count < threshold}
    withheld = complementary_suppression(
        values, small, overlap_equations(len(programmes), list(counter)), protection=threshold
    )

    def shown(cell: Cell) -> int | None:
        if cell in withheld:
            return None
        if secret is None:
            return values[cell]
        return publish_count(values[cell], keys[cell] % MODULUS, threshold=threshold)

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
    too, so that the table does not publish what the chart hides; with the people of the
    type, its registrations counted more than once (registrations minus that is the
    people); and when `measure_type` is the only type, the same figures of the total over
    every measure, which equal them."""
    hidden = [
        (measure_type, programme, "people")
        for programme, size in zip(result.programmes, result.sizes, strict=True)
        if size is None
    ]
    totals = []
    if result.people is None:
        totals += ["people", "counted_more_than_once"]
    if result.in_two_or_more is None:
        totals.append("in_two_or_more_programmes")
    if counts.is_empty() or not (hidden or totals):
        return counts
    types = set(counts["measure_type"].to_list()) - {ALL}
    for measure in [measure_type] + ([ALL] if types == {measure_type} else []):
        hidden += [(measure, ALL, indicator) for indicator in totals]
    match = pl.lit(False)
    for measure, programme, indicator in hidden:
        match = match | (
            (pl.col("measure_type") == measure)
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
