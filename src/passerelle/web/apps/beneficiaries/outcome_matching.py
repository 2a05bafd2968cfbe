"""Which person an imported outcome row is about, from its scored pairs with the records of
a linkage run (pure Python, no database; docs/outcomes.md, "Matching").

A row is matched to a person when one person's best record reaches the run's threshold and
no other person comes close: another person at or above the threshold, or within
`AMBIGUITY_ODDS` of the best one's odds, makes the row ambiguous (a row that fits two
persons the run keeps apart cannot say which one it is about). A row with no record at or
above the threshold is unmatched.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

AMBIGUITY_ODDS = 10.0
"""A second person whose match odds are within this factor of the best one's makes a row
ambiguous (a choice of the project: an order of magnitude, about 3.3 bits of evidence; not
taken from a source)."""


@dataclass(frozen=True)
class Candidate:
    record: tuple[int, str]  # the record's organisation id and the organisation's record id
    person: int  # the record's cluster in the run
    probability: float


@dataclass(frozen=True)
class RowMatch:
    """`record` and `probability` are set when the row is matched."""

    status: str  # MATCHED, UNMATCHED or AMBIGUOUS
    record: tuple[int, str] | None = None
    probability: float | None = None


MATCHED, UNMATCHED, AMBIGUOUS = "matched", "unmatched", "ambiguous"


def _odds(probability: float) -> float:
    return probability / max(1.0 - probability, 1e-12)


def lowest_rival(threshold: float) -> float:
    """The lowest match probability a second person can have and still make a row
    ambiguous: pairs below it need not be scored."""
    odds = _odds(threshold) / AMBIGUITY_ODDS
    return odds / (1.0 + odds)


def match_row(candidates: Iterable[Candidate], *, threshold: float) -> RowMatch:
    """The row's match from its candidate records (pairs not vetoed, any probability)."""
    best_of: dict[int, Candidate] = {}
    for candidate in candidates:
        known = best_of.get(candidate.person)
        if known is None or (candidate.probability, candidate.record) > (
            known.probability,
            known.record,
        ):
            best_of[candidate.person] = candidate
    ranked = sorted(best_of.values(), key=lambda c: (-c.probability, c.record))
    if not ranked or ranked[0].probability < threshold:
        return RowMatch(UNMATCHED)
    best = ranked[0]
    if len(ranked) > 1:
        second = ranked[1]
        if second.probability >= threshold or _odds(best.probability) < AMBIGUITY_ODDS * _odds(
            second.probability
        ):
            return RowMatch(AMBIGUOUS)
    return RowMatch(MATCHED, best.record, best.probability)
