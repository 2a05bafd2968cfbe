"""One matching round: candidates, constraints, scores, the optimal assignment, the greedy
baseline, and every person's outcome with its reason."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
import polars as pl

from passerelle.core.matching.model import Kind, slot_occupation_columns
from passerelle.core.matching.pairs import (
    CONSTRAINT_NAMES,
    CONSTRAINTS,
    EPOCH,
    NO_DATE,
    TERMS,
    Options,
    PairData,
    arc_weights,
    candidate_pairs,
    days,
    evaluate_pairs,
    probability,
)
from passerelle.core.matching.solve import priority_order, solve_flow, solve_greedy
from passerelle.knowledge.loader import Knowledge, load_knowledge

Progress = Callable[[str], None]
"""Called with the name of each phase as it starts."""

PHASES = ("candidates", "scoring", "solving", "greedy", "outcomes")

# Why a person has no match (besides the failing hard constraints, named as in pairs.py).
NO_CANDIDATE = "no_candidate"
BELOW_MIN_SCORE = "below_min_score"
CAPACITY = "capacity"
MATCHED = "matched"


@dataclass
class MatchResult:
    kind: Kind
    on: dt.date
    options: Options
    persons: pl.DataFrame
    slots: pl.DataFrame
    assignments: pl.DataFrame
    """One row per match: person_id, slot_id, fit, probability, waiting, km, each term, and
    the slot's ISCO code that scored the occupation and wish terms (`occupation_code`)."""
    outcomes: pl.DataFrame
    """One row per person: person_id, reason (matched, a constraint, no_candidate,
    below_min_score, capacity), slot_id when matched, and for those without a feasible pair
    the closest slot and its failing constraints."""
    pair_count: int
    feasible_count: int
    objective: float
    """Expected placements of the optimal assignment."""
    greedy_objective: float
    greedy_placed: int
    solver_objective: int
    """What the solver maximised (expected placements x 10 000 plus priority points)."""
    greedy_solver_objective: int
    """The same measure for the greedy assignment (never above `solver_objective`)."""
    rules_groups: list[tuple[dt.date, str | None]]
    timings: dict[str, float] = field(default_factory=dict)
    _rows: dict[str, dict[str, list[int]]] = field(default_factory=dict, repr=False)

    def rows_of(self, table: str, key: str) -> list[int]:
        """Row numbers of `key` in `persons`, `outcomes` (by person_id), `slots` (by
        slot_id) or `assignments` (by person_id); indexes built once."""
        if table not in self._rows:
            frame = getattr(self, table)
            column = "slot_id" if table == "slots" else "person_id"
            index: dict[str, list[int]] = {}
            for position, value in enumerate(frame.get_column(column).to_list()):
                index.setdefault(value, []).append(position)
            self._rows[table] = index
        return self._rows[table].get(key, [])

    @property
    def placed(self) -> int:
        return self.assignments.height

    @property
    def uplift(self) -> float | None:
        """Relative gain in expected placements over the greedy baseline."""
        if self.greedy_objective <= 0:
            return None
        return self.objective / self.greedy_objective - 1.0

    def unmatched_by_reason(self) -> dict[str, int]:
        counts = (
            self.outcomes.filter(pl.col("reason") != MATCHED)
            .group_by("reason")
            .len()
            .sort("len", descending=True)
        )
        return dict(zip(counts["reason"].to_list(), counts["len"].to_list(), strict=True))


class _Phases:
    """Announces each phase to `progress` as it starts and times it (`timings`, seconds)."""

    def __init__(self, progress: Progress | None) -> None:
        self.progress = progress
        self.timings: dict[str, float] = {}

    @contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        if self.progress is not None:
            self.progress(name)
        started = time.perf_counter()
        yield
        self.timings[name] = time.perf_counter() - started


def match(
    persons: pl.DataFrame,
    slots: pl.DataFrame,
    kind: Kind,
    on: dt.date,
    options: Options | None = None,
    knowledge: Knowledge | None = None,
    progress: Progress | None = None,
    with_greedy: bool = True,
) -> MatchResult:
    """Match `persons` to `slots` (frames as built by `model.persons_frame` and
    `slots_frame`) for a round held on `on`."""
    options = options or Options()
    knowledge = knowledge or load_knowledge()
    phases = _Phases(progress)
    with phases("candidates"):
        person, slot = candidate_pairs(persons, slots, options.block_digits)
    with phases("scoring"):
        data = evaluate_pairs(persons, slots, person, slot, kind, on, knowledge, options)
        feasible = (data.failed == 0) & (data.fit >= options.min_score)
        weight = arc_weights(data, options)
        fp, fs, fw = person[feasible], slot[feasible], weight[feasible]
    person_capacity = persons.get_column("capacity").fill_null(1).to_numpy().astype(np.int64)
    slot_capacity = slots.get_column("capacity").fill_null(1).to_numpy().astype(np.int64)
    with phases("solving"):
        organisation = _organisation_index(persons) if options.balance_organisations else None
        chosen = solve_flow(fp, fs, fw, person_capacity, slot_capacity, organisation)
    expected = probability(data.fit[feasible], options)
    greedy_objective, greedy_placed, greedy_weight = 0.0, 0, 0
    if with_greedy:
        with phases("greedy"):
            order = priority_order(_waited(persons, on))
            greedy = solve_greedy(fp, fs, fw, person_capacity, slot_capacity, order)
            greedy_objective = float(expected[greedy].sum())
            greedy_placed, greedy_weight = int(greedy.sum()), int(fw[greedy].sum())
    with phases("outcomes"):
        index = np.flatnonzero(feasible)[chosen]
        assignments = _assignments(persons, slots, data, index, options)
        outcomes = _outcomes(persons, slots, data, feasible, index, options)
    return MatchResult(
        kind=kind,
        on=on,
        options=options,
        persons=persons,
        slots=slots,
        assignments=assignments,
        outcomes=outcomes,
        pair_count=int(person.size),
        feasible_count=int(feasible.sum()),
        objective=float(expected[chosen].sum()),
        greedy_objective=greedy_objective,
        greedy_placed=greedy_placed,
        solver_objective=int(fw[chosen].sum()),
        greedy_solver_objective=greedy_weight,
        rules_groups=data.rules_groups,
        timings=phases.timings,
    )


def _organisation_index(persons: pl.DataFrame) -> np.ndarray:
    """Each person's organisation as a number (those without one share a number)."""
    organisation: np.ndarray = (
        persons.get_column("organisation").fill_null("").cast(pl.Categorical).to_physical()
    ).to_numpy()
    return organisation


def _waited(persons: pl.DataFrame, on: dt.date) -> np.ndarray:
    """Days each person has waited on `on`; those with no date come last in the queue."""
    waiting = days(persons.get_column("waiting_since"))
    return np.where(waiting == NO_DATE, -(2**31), (on - EPOCH).days - waiting.astype(np.int64))


def _assignments(
    persons: pl.DataFrame,
    slots: pl.DataFrame,
    data: PairData,
    index: np.ndarray,
    options: Options,
) -> pl.DataFrame:
    p, s = data.person[index], data.slot[index]
    weights = options.weights
    codes = np.stack(
        [c.cast(pl.String).to_numpy().astype(object) for c in slot_occupation_columns(slots)],
        axis=1,
    )
    occupation_code = codes[s, data.best_occupation[index].astype(np.int64)]
    return pl.DataFrame(
        {
            "person_id": persons.get_column("person_id").gather(p),
            "slot_id": slots.get_column("slot_id").gather(s),
            "fit": np.round(data.fit[index].astype(np.float64), 1),
            "probability": np.round(probability(data.fit[index], options), 3),
            **{
                name: np.round(
                    data.terms[name][index].astype(np.float64) * getattr(weights, name), 1
                )
                for name in TERMS
            },
            "waiting": np.round(data.waiting[index].astype(np.float64), 3),
            "km": np.round(data.km[index].astype(np.float64), 1),
            "language_index": data.best_language[index],
            "language_rank": data.language_rank[index],
            "occupation_code": pl.Series(occupation_code.tolist(), dtype=pl.String),
            "_person": p,
            "_slot": s,
        }
    )


def _outcomes(
    persons: pl.DataFrame,
    slots: pl.DataFrame,
    data: PairData,
    feasible: np.ndarray,
    index: np.ndarray,
    options: Options,
) -> pl.DataFrame:
    n = persons.height
    has_pair = np.zeros(n, dtype=bool)
    has_pair[data.person] = True
    passes = np.zeros(n, dtype=bool)
    passes[data.person[data.failed == 0]] = True
    above = np.zeros(n, dtype=bool)
    above[data.person[feasible]] = True
    matched = np.zeros(n, dtype=bool)
    matched[data.person[index]] = True
    slot_of = np.full(n, -1, dtype=np.int64)
    slot_of[data.person[index]] = data.slot[index]

    # For those without a feasible pair: the candidate slot with the fewest failing
    # constraints (ties: the first), and what fails there.
    blocked_pairs = np.flatnonzero(~passes[data.person])
    fail_count = np.zeros(blocked_pairs.size, dtype=np.int8)
    for bit in CONSTRAINTS:
        fail_count += (data.failed[blocked_pairs] & bit) > 0
    order = np.lexsort((fail_count, data.person[blocked_pairs]))
    ordered = blocked_pairs[order]
    first = np.unique(data.person[ordered], return_index=True)[1]
    closest_pair = np.full(n, -1, dtype=np.int64)
    closest_pair[data.person[ordered[first]]] = ordered[first]
    failed = _pick(data.failed, closest_pair, 0)
    first_failed = np.zeros(n, dtype=np.int64)
    for bit in reversed(CONSTRAINTS):
        first_failed = np.where((failed & bit) > 0, bit, first_failed)
    constraint = np.array([CONSTRAINT_NAMES.get(int(b), "") for b in range(256)], dtype=object)
    reason = np.select(
        [matched, ~has_pair, ~passes, ~above],
        [MATCHED, NO_CANDIDATE, constraint[first_failed], BELOW_MIN_SCORE],
        CAPACITY,
    )
    best_fit = np.zeros(n, dtype=np.float32)
    np.maximum.at(best_fit, data.person[data.failed == 0], data.fit[data.failed == 0])
    suitable = np.bincount(data.person[feasible], minlength=n)
    closest_slot = _pick(data.slot, closest_pair, -1)
    slot_ids = slots.get_column("slot_id")
    return pl.DataFrame(
        {
            "person_id": persons.get_column("person_id"),
            "reason": reason.astype(str),
            "slot_id": _ids(slot_ids, slot_of),
            "closest_slot_id": _ids(slot_ids, closest_slot),
            "failed": failed.astype(np.uint8),
            "language_index": _pick(data.best_language, closest_pair, -1),
            "language_rank": _pick(data.language_rank, closest_pair, 0),
            "rules_group": _pick(data.slot_group, closest_slot, -1),
            "best_fit": np.round(best_fit.astype(np.float64), 1),
            "suitable_slots": suitable,
        }
    )


def _pick(values: np.ndarray, rows: np.ndarray, default: int) -> np.ndarray:
    """values[rows], `default` where a row is -1 (or nothing to pick from)."""
    if values.size == 0:
        return np.full(rows.size, default, dtype=np.int64)
    return np.where(rows >= 0, values[np.maximum(rows, 0)], default)


def _ids(ids: pl.Series, rows: np.ndarray) -> pl.Series:
    gathered = ids.gather(np.maximum(rows, 0)) if ids.len() else pl.Series([None] * rows.size)
    missing = np.flatnonzero(rows < 0)
    return gathered.cast(pl.String).scatter(missing, None) if missing.size else gathered
