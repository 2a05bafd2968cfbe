"""Candidate pairs: sparse generation by blocking, hard constraints, and the score.

Everything here is column-wise (numpy arrays indexed by person and slot row), so a million
persons with fifty candidate slots each is fifty million pairs in a few arrays, never a
person x slot matrix.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import polars as pl

from passerelle.core.matching.geography import COMMUTE_ZERO_KM, DISTANCES, municipality_codes
from passerelle.core.matching.model import (
    MAX_LANGUAGE_ALTERNATIVES,
    PROGRAMME_BY_KIND,
    Kind,
    person_language_codes,
    slot_occupation_columns,
)
from passerelle.core.rules.vectorised import POPULATION_SCHEMA, evaluate_population
from passerelle.knowledge.loader import Knowledge

EPOCH = dt.date(1970, 1, 1)
NO_DATE = -(2**30)

# Hard constraints, in the order in which the first failing one is named.
RULES = 1
"""No right to work (vacancy) or not eligible for the programme (mentoring, internship)."""
RULES_UNKNOWN = 2
LANGUAGE = 4
RECOGNITION = 8
DIPLOMA = 16
LICENCE = 32
AVAILABILITY = 64
CONSTRAINTS = (RULES, RULES_UNKNOWN, LANGUAGE, RECOGNITION, DIPLOMA, LICENCE, AVAILABILITY)
CONSTRAINT_NAMES = {
    RULES: "rules",
    RULES_UNKNOWN: "rules_unknown",
    LANGUAGE: "language",
    RECOGNITION: "recognition",
    DIPLOMA: "diploma",
    LICENCE: "licence",
    AVAILABILITY: "availability",
}
BLOCKERS = {
    "right_to_work": RULES | RULES_UNKNOWN,
    "language": LANGUAGE,
    "recognition": RECOGNITION,
    "diploma": DIPLOMA,
    "licence": LICENCE,
    "availability": AVAILABILITY,
}
"""The hard constraints as a reader names them, in the order they are explained: the rules
failing and the rules unknown are one blocker (the right to work for a vacancy, the
programme's eligibility for the other kinds)."""

TERMS = ("language", "occupation", "commute", "availability", "wish")
"""The fit terms, each in [0, 1]; with `waiting` (priority, not fit) they explain a score."""


@dataclass(frozen=True)
class Weights:
    """Points of each fit term (they add up to 100) and of the time waiting."""

    language: float = 25.0
    occupation: float = 25.0
    commute: float = 15.0
    availability: float = 10.0
    wish: float = 25.0
    waiting: float = 5.0
    """Priority points for two years of waiting; `waiting_priority` raises it."""


@dataclass(frozen=True)
class Options:
    min_score: float = 0.0
    """Pairs whose fit score (0 to 100) is below are not proposed."""
    waiting_priority: bool = False
    """Priority to those waiting longest: the waiting term weighs ten times more."""
    balance_organisations: bool = False
    """Each referring organisation first gets its proportional share of the places."""
    availability_grace_days: int = 30
    """A person available at most this many days after the start date is still a
    candidate, with a lower availability term."""
    block_digits: int = 2
    """Candidate pairs share the first this many digits of an ISCO code (2 to 4)."""
    weights: Weights = field(default_factory=Weights)
    probability_floor: float = 0.05
    probability_ceiling: float = 0.60
    """The assumed chance that a match leads to a lasting placement, from a fit score of 0
    to 100 (linear). An assumption, not an estimate: see docs/matching.md."""


def days(column: pl.Series) -> np.ndarray:
    """Dates as days since 1970-01-01 (NO_DATE when missing)."""
    return column.cast(pl.Int32).fill_null(NO_DATE).to_numpy().astype(np.int32)


def isco_prefixes(column: pl.Series, missing: int) -> np.ndarray:
    """(n, 4) array: the code's first k digits as a number at column k-1, `missing` where the
    code is shorter or absent."""
    codes = column.to_list()
    out = np.full((len(codes), 4), missing, dtype=np.int32)
    cache: dict[str, list[int]] = {}
    for i, code in enumerate(codes):
        if not code:
            continue
        prefixes = cache.get(code)
        if prefixes is None:
            prefixes = [int(code[:k]) + 10**k for k in range(1, len(code) + 1)]
            cache[code] = prefixes
        out[i, : len(prefixes)] = prefixes
    return out


def candidate_pairs(
    persons: pl.DataFrame, slots: pl.DataFrame, digits: int = 2
) -> tuple[np.ndarray, np.ndarray]:
    """Pairs (person row, slot row) sharing the first `digits` digits of an ISCO code between
    the person's occupation or wish and the slot's occupation (two digits: the sub-major
    group). A slot with several codes (`other_occupations`) pairs on any of them, once. A
    person with neither, or a slot without any code, pairs with every slot or person (dense
    only for those rows); a shorter code counts as none."""

    def key(column: str) -> pl.Expr:
        code = pl.col(column)
        return pl.when(code.str.len_chars() >= digits).then(code.str.slice(0, digits))

    person_keys = (
        pl.concat(
            [
                persons.select(
                    pl.int_range(pl.len(), dtype=pl.UInt32).alias("p"),
                    key(column).alias("key"),
                )
                for column in ("occupation", "wish")
            ]
        )
        .drop_nulls()
        .unique()
    )
    codes = slot_occupation_columns(slots)
    index = pl.int_range(pl.len(), dtype=pl.UInt32).alias("s")
    slot_keys = pl.concat(
        [
            pl.DataFrame({"occupation": column}).select(index, key("occupation").alias("key"))
            for column in codes
        ]
    )
    keyed_slots = slot_keys.drop_nulls().unique()
    joined = person_keys.join(keyed_slots, on="key").select("p", "s")
    # A slot with several codes may meet a person's occupation and wish on two of them.
    parts = [joined.unique() if len(codes) > 1 else joined]
    keyed = person_keys.get_column("p").unique()
    unkeyed_persons = pl.DataFrame({"p": np.arange(persons.height, dtype=np.uint32)}).filter(
        ~pl.col("p").is_in(keyed.implode())
    )
    all_slots = pl.DataFrame({"s": np.arange(slots.height, dtype=np.uint32)})
    open_slots = all_slots.filter(~pl.col("s").is_in(keyed_slots.get_column("s").implode()))
    if unkeyed_persons.height:
        parts.append(unkeyed_persons.join(all_slots, how="cross"))
    if open_slots.height:
        parts.append(keyed.to_frame("p").join(open_slots, how="cross"))
    pairs = pl.concat(parts)
    return (
        pairs.get_column("p").to_numpy().astype(np.int32),
        pairs.get_column("s").to_numpy().astype(np.int32),
    )


def rules_matrix(
    persons: pl.DataFrame, slots: pl.DataFrame, kind: Kind, knowledge: Knowledge
) -> tuple[np.ndarray, np.ndarray, list[tuple[dt.date, str | None]]]:
    """The rules engine's answer for every person on every (start date, programme) of the
    slots: 1 allowed, 0 not, -1 unknown. Returns (group of each slot, matrix, groups)."""
    default_programme = PROGRAMME_BY_KIND[kind]
    keys = slots.select(
        "start_date", pl.col("programme").fill_null(pl.lit(default_programme, pl.String))
    )
    groups = keys.unique(maintain_order=True)
    group_list: list[tuple[dt.date, str | None]] = list(groups.iter_rows())
    index = {key: i for i, key in enumerate(group_list)}
    slot_group = np.array([index[key] for key in keys.iter_rows()], dtype=np.int32)
    language_columns = [c for c in persons.columns if c.startswith("language_")]
    population = persons.select(*POPULATION_SCHEMA, *language_columns)
    matrix = np.zeros((len(group_list), persons.height), dtype=np.int8)
    for i, (on, programme) in enumerate(group_list):
        frame = evaluate_population(
            population, on, knowledge, programme_ids=[programme] if programme else []
        )
        if programme:
            status = frame.get_column(programme).cast(pl.String)
            allowed = status == "eligible"
        else:
            status = frame.get_column("right_to_work")
            allowed = status.is_in(["yes", "with_permit"])
        matrix[i] = np.where(status == "unknown", -1, allowed.to_numpy().astype(np.int8))
    return slot_group, matrix, group_list


@dataclass
class PairData:
    """Candidate pairs with, for each, the failing constraints and the score terms."""

    person: np.ndarray
    slot: np.ndarray
    failed: np.ndarray
    """Bitmask of failing constraints (0: feasible)."""
    best_language: np.ndarray
    """Index (0-2) of the slot's accepted language that the person speaks best, -1: none."""
    language_rank: np.ndarray
    best_occupation: np.ndarray
    """Which of the slot's codes scored the pair: 0 `occupation`, k the k-th other one."""
    terms: dict[str, np.ndarray]
    waiting: np.ndarray
    fit: np.ndarray
    """Fit score, 0 to 100."""
    km: np.ndarray
    """Commute distance between municipality centroids (NaN: unknown)."""
    rules_groups: list[tuple[dt.date, str | None]]
    slot_group: np.ndarray


def _language_ranks(persons: pl.DataFrame, slots: pl.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    codes = person_language_codes(persons)
    matrix = np.zeros((persons.height, len(codes) + 1), dtype=np.int8)
    for j, code in enumerate(codes):
        matrix[:, j] = persons.get_column(f"language_{code}").fill_null(0).to_numpy()
    index = {code: j for j, code in enumerate(codes)}
    alternatives = np.full((slots.height, MAX_LANGUAGE_ALTERNATIVES), -1, dtype=np.int32)
    levels = np.zeros((slots.height, MAX_LANGUAGE_ALTERNATIVES), dtype=np.int8)
    for i in range(MAX_LANGUAGE_ALTERNATIVES):
        lang = slots.get_column(f"lang_{i + 1}")
        coded = lang.replace_strict(index, default=len(codes), return_dtype=pl.Int32)
        alternatives[:, i] = np.where(lang.is_null().to_numpy(), -1, coded.to_numpy())
        levels[:, i] = slots.get_column(f"level_{i + 1}").fill_null(0).to_numpy()
    # Column len(codes) is a language nobody in the frame speaks (rank 0).
    return matrix, np.stack([alternatives, levels.astype(np.int32)], axis=2)


def evaluate_pairs(
    persons: pl.DataFrame,
    slots: pl.DataFrame,
    person: np.ndarray,
    slot: np.ndarray,
    kind: Kind,
    on: dt.date,
    knowledge: Knowledge,
    options: Options,
    *,
    language_bonus_levels: np.ndarray | None = None,
    recognised_override: np.ndarray | None = None,
    rules_on: dt.date | None = None,
) -> PairData:
    """Hard constraints and score terms for candidate pairs. The keyword arguments project
    the persons forward (gap analysis): extra CEFR levels, recognised diplomas, and the date
    on which the rules are asked instead of each slot's start date."""
    if rules_on is not None:
        slots = slots.with_columns(pl.lit(rules_on).alias("start_date"))
    slot_group, rules, groups = rules_matrix(persons, slots, kind, knowledge)
    failed = np.zeros(person.shape, dtype=np.uint8)
    verdict = rules[slot_group[slot], person]
    failed |= np.where(verdict == 0, RULES, 0).astype(np.uint8)
    failed |= np.where(verdict < 0, RULES_UNKNOWN, 0).astype(np.uint8)
    language = _language(persons, slots, person, slot, language_bonus_levels)
    failed |= language.failed
    failed |= _qualifications_failed(persons, slots, person, slot, recognised_override)
    availability_failed, availability_term = _availability(persons, slots, person, slot, options)
    failed |= availability_failed
    best_occupation, occupation_term, wish_term = _occupation(persons, slots, person, slot, options)
    km, commute_term = _commute(persons, slots, person, slot)
    waiting_since = days(persons.get_column("waiting_since"))
    waited = np.where(waiting_since == NO_DATE, 0, (on - EPOCH).days - waiting_since)
    waiting_term = np.clip(waited / 730.0, 0.0, 1.0).astype(np.float32)[person]

    terms = {
        "language": language.term,
        "occupation": occupation_term,
        "commute": commute_term,
        "availability": availability_term,
        "wish": wish_term,
    }
    weights = options.weights
    fit = np.zeros(person.size, dtype=np.float32)
    for name, value in terms.items():
        fit += np.float32(getattr(weights, name)) * value
    return PairData(
        person=person,
        slot=slot,
        failed=failed,
        best_language=language.best,
        language_rank=language.rank,
        best_occupation=best_occupation,
        km=km,
        terms=terms,
        waiting=waiting_term,
        fit=fit.astype(np.float32),
        rules_groups=groups,
        slot_group=slot_group,
    )


@dataclass(frozen=True)
class _LanguageFit:
    failed: np.ndarray
    """LANGUAGE where the person falls short of every language the slot accepts."""
    term: np.ndarray
    best: np.ndarray
    """Index of the accepted language the person speaks best, -1: the slot asks none."""
    rank: np.ndarray
    """The person's CEFR rank in that language."""


def _language(
    persons: pl.DataFrame,
    slots: pl.DataFrame,
    person: np.ndarray,
    slot: np.ndarray,
    bonus_levels: np.ndarray | None,
) -> _LanguageFit:
    """Of the languages a slot accepts, the one the person speaks best (by margin over the
    level asked), and the score term of that margin."""
    ranks, alternatives = _language_ranks(persons, slots)
    width = ranks.shape[1]
    flat_ranks = ranks.ravel()
    base = person.astype(np.int64) * width
    gained = None
    if bonus_levels is not None:
        # A course in the accepted language: levels gained, up to C2.
        gained = np.minimum(bonus_levels, 6).astype(np.int8)[person]
    best_margin = np.full(person.size, -99, dtype=np.int8)
    best = np.full(person.size, -1, dtype=np.int8)
    language_rank = np.zeros(person.size, dtype=np.int8)
    for i in range(MAX_LANGUAGE_ALTERNATIVES):
        code = alternatives[:, i, 0][slot]
        present = code >= 0
        if not present.any():
            continue
        rank = flat_ranks[base + np.where(present, code, width - 1)]
        if gained is not None:
            rank = np.minimum(rank + gained, 6).astype(np.int8)
        margin = np.where(present, rank - alternatives[:, i, 1].astype(np.int8)[slot], -99)
        better = margin > best_margin
        best_margin = np.where(better, margin, best_margin).astype(np.int8)
        best = np.where(better, i, best).astype(np.int8)
        language_rank = np.where(better, rank, language_rank).astype(np.int8)
    no_requirement = best < 0
    failed = ((~no_requirement & (best_margin < 0)) * LANGUAGE).astype(np.uint8)
    # Term by margin: -1 (fails) 0, 0 -> 0.6, 1 -> 0.8, 2 or more -> 1; no requirement: 1.
    term = np.array([0.0, 0.6, 0.8, 1.0], dtype=np.float32)[np.clip(best_margin, -1, 2) + 1]
    term[no_requirement] = 1.0
    return _LanguageFit(failed=failed, term=term, best=best, rank=language_rank)


def _qualifications_failed(
    persons: pl.DataFrame,
    slots: pl.DataFrame,
    person: np.ndarray,
    slot: np.ndarray,
    recognised_override: np.ndarray | None,
) -> np.ndarray:
    """RECOGNITION, DIPLOMA and LICENCE where the slot asks what the person lacks."""
    foreign = persons.get_column("diploma_foreign").fill_null(False).to_numpy()
    recognised = persons.get_column("diploma_recognised").fill_null(False).to_numpy()
    if recognised_override is not None:
        recognised = recognised | recognised_override
    unrecognised = foreign & ~recognised
    needs = slots.get_column("recognition_required").fill_null(False).to_numpy()
    failed: np.ndarray = ((needs[slot] & unrecognised[person]) * RECOGNITION).astype(np.uint8)
    isced = persons.get_column("diploma_isced").fill_null(-1).to_numpy().astype(np.int8)
    required = slots.get_column("diploma_isced_required").fill_null(-1).to_numpy().astype(np.int8)
    failed |= ((isced[person] < required[slot]) * DIPLOMA).astype(np.uint8)
    no_licence = ~persons.get_column("driving_licence").fill_null(False).to_numpy()
    licence_required = slots.get_column("driving_licence_required").fill_null(False).to_numpy()
    failed |= ((licence_required[slot] & no_licence[person]) * LICENCE).astype(np.uint8)
    return failed


def _availability(
    persons: pl.DataFrame,
    slots: pl.DataFrame,
    person: np.ndarray,
    slot: np.ndarray,
    options: Options,
) -> tuple[np.ndarray, np.ndarray]:
    """AVAILABILITY where the person is free later than the grace period after the start,
    and the term falling from 1 (free on time) to 0 (free at the end of the grace)."""
    start = days(slots.get_column("start_date"))
    available = days(persons.get_column("available_from"))
    available = np.where(available == NO_DATE, -(2**30), available)
    late = np.maximum(available[person] - start[slot], 0)
    grace = options.availability_grace_days
    failed = ((late > grace) * AVAILABILITY).astype(np.uint8)
    term = np.clip(np.float32(1.0) - late.astype(np.float32) / np.float32(max(grace, 1)), 0.0, 1.0)
    return failed, term.astype(np.float32)


def _occupation(
    persons: pl.DataFrame,
    slots: pl.DataFrame,
    person: np.ndarray,
    slot: np.ndarray,
    options: Options,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Which of the slot's occupation codes scores the pair best, and its occupation and wish
    terms."""
    person_occupation = isco_prefixes(persons.get_column("occupation"), -1)
    person_wish = isco_prefixes(persons.get_column("wish"), -1)
    wish_len = (person_wish >= 0).sum(axis=1).astype(np.int8)
    # Each of the slot's codes in turn; the pair keeps the one that gives the most points
    # (occupation and wish terms; ties: the first), and which code it was
    # (`best_occupation`, for the explanation).
    best_key = np.full(person.size, -1.0, dtype=np.float32)
    best_occupation = np.zeros(person.size, dtype=np.int8)
    occupation_term = np.zeros(person.size, dtype=np.float32)
    wish_term = np.zeros(person.size, dtype=np.float32)
    for j, column in enumerate(slot_occupation_columns(slots)):
        slot_occupation = isco_prefixes(column, -2)
        # Prefixes are nested: the number of equal prefixes is the common prefix length.
        common = np.zeros(person.size, dtype=np.int8)
        common_wish = np.zeros(person.size, dtype=np.int8)
        for k in range(4):
            slot_prefix = slot_occupation[:, k][slot]
            common += person_occupation[:, k][person] == slot_prefix
            common_wish += person_wish[:, k][person] == slot_prefix
        slot_len = (slot_occupation >= 0).sum(axis=1).astype(np.int8)
        shorter = np.minimum(wish_len[person], slot_len[slot])
        wished = (shorter > 0) & (common_wish >= shorter)
        present = slot_len[slot] > 0
        points = (
            np.float32(options.weights.occupation / 4) * common
            + np.float32(options.weights.wish) * wished
        )
        key = np.where(present, points, np.float32(-1.0))
        better = key > best_key
        best_key = np.where(better, key, best_key)
        best_occupation = np.where(better, j, best_occupation).astype(np.int8)
        occupation_term = np.where(better, common / np.float32(4.0), occupation_term)
        wish_term = np.where(better, wished, wish_term).astype(np.float32)
    return best_occupation, occupation_term.astype(np.float32), wish_term


def _commute(
    persons: pl.DataFrame, slots: pl.DataFrame, person: np.ndarray, slot: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The distance between the municipalities' centroids (NaN: unknown) and the commute
    term (1 at 0 km, 0 from COMMUTE_ZERO_KM or when unknown)."""
    person_place = municipality_codes(persons.get_column("municipality"))
    slot_place = municipality_codes(slots.get_column("municipality"))
    places = DISTANCES.shape[0]
    table = np.full((places + 1, places + 1), np.nan, dtype=np.float32)
    table[:places, :places] = DISTANCES
    rows = np.where(person_place < 0, places, person_place)[person]
    columns = np.where(slot_place < 0, places, slot_place)[slot]
    commute_table = np.nan_to_num(np.clip(1.0 - table / COMMUTE_ZERO_KM, 0.0, 1.0), nan=0.0)
    return table[rows, columns], commute_table[rows, columns].astype(np.float32)


def probability(fit: np.ndarray, options: Options) -> np.ndarray:
    """The assumed chance of a lasting placement for a fit score (see `Options`)."""
    low, high = options.probability_floor, options.probability_ceiling
    chance: np.ndarray = (low + (high - low) * np.clip(fit, 0.0, 100.0) / 100.0).astype(np.float64)
    return chance


def arc_weights(data: PairData, options: Options) -> np.ndarray:
    """What the solver maximises per pair, in integer units: expected placements times 10 000
    plus the priority points of the time waiting."""
    waiting_weight = options.weights.waiting * (10.0 if options.waiting_priority else 1.0)
    value = probability(data.fit, options) * 10_000 + data.waiting * waiting_weight * 100
    weights: np.ndarray = np.rint(value).astype(np.int64)
    return weights
