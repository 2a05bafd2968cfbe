"""What can a person do on a date: rights, and every programme's status with its reasons.

`options` is what `passerelle options`, the public finder and the caseworker's view show.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, Protocol, TypeVar

from passerelle.core.i18n import _, current_language, reader_date
from passerelle.core.landscape import organisation_change_dates, organisation_status_on
from passerelle.core.profile import Profile
from passerelle.core.rules.explain import (
    ConditionResult,
    change_dates_after,
    evaluate,
    outcome_only,
)
from passerelle.core.rules.facts import FACTS, Fact, fact_with_next_change
from passerelle.core.rules.fields import COVERAGE_END, check_coverage
from passerelle.core.rules.situation import Situation
from passerelle.knowledge.loader import Knowledge, load_knowledge
from passerelle.knowledge.model import Citation, Programme

ProgrammeStatus = Literal["eligible", "not_eligible", "eligible_from", "unknown"]
OptionGroup = Literal["eligible", "later", "ask", "not_eligible"]
OPTION_GROUPS: tuple[OptionGroup, ...] = ("eligible", "later", "ask", "not_eligible")
"""How the finder, the person file and `passerelle options` list programmes: checked and
open now; open from a date or after more answers; no conditions recorded, so the person
must ask the organisation; not open. Only the first is "available": a programme whose
conditions nobody recorded is never presented as checked (issue 18)."""

MAX_SEARCH_STEPS = 64
"""How many change dates to try when looking for the date a programme opens to a person."""
MEMO_ENTRIES = 200_000
"""Entries a knowledge base's memo holds before it starts again (dates come from requests)."""


class _Memo:
    """What the options of a knowledge base do not owe to the person, kept once per
    knowledge base (the server's is loaded once per process, and a new version is a new
    object): the version of a programme in force on a date, why it is closed on a date (in
    a language), the dates on which its versions or its organisation change, and the
    citations as JSON. Building these anew for every programme of every answer was most of
    `POST /api/options`' CPU (docs/benchmarks.md)."""

    def __init__(self, knowledge: Knowledge) -> None:
        self.knowledge = knowledge
        self.versions: dict[tuple[str, dt.date], Programme | None] = {}
        self.closed: dict[tuple[str, dt.date, str], str | None] = {}
        self.fixed_dates: dict[str, frozenset[dt.date]] = {}
        self.sources: dict[tuple[int, ...], list[dict[str, Any]]] = {}

    def full(self) -> bool:
        return len(self.versions) + len(self.closed) > MEMO_ENTRIES


_MEMOS_KEPT = 4
"""Knowledge bases with a memo (one per process in production; tests load a few)."""
_memos: dict[int, _Memo] = {}


class PerKnowledge(Protocol):
    knowledge: Knowledge


Kept = TypeVar("Kept", bound=PerKnowledge)


def kept_for(
    kept: dict[int, Kept], knowledge: Knowledge, make: Callable[[Knowledge], Kept]
) -> Kept:
    """What `kept` holds for this knowledge base, made by `make` the first time (a new
    version of the knowledge base is a new object, so a new entry); at most _MEMOS_KEPT."""
    found = kept.get(id(knowledge))
    if found is not None and found.knowledge is knowledge:
        return found
    if len(kept) >= _MEMOS_KEPT:
        kept.clear()
    found = kept[id(knowledge)] = make(knowledge)
    return found


def _memo(knowledge: Knowledge) -> _Memo:
    return kept_for(_memos, knowledge, _Memo)


def memo_bounded(knowledge: Knowledge) -> None:
    """Start the memo again when it has grown past MEMO_ENTRIES (once per answer)."""
    if _memo(knowledge).full():
        del _memos[id(knowledge)]


@dataclass(frozen=True)
class ProgrammeOption:
    id: str
    organisation: str
    status: ProgrammeStatus
    from_date: dt.date | None
    missing: tuple[str, ...]
    reasons: tuple[str, ...]
    sources: tuple[Citation, ...]
    conditions: tuple[ConditionResult, ...] = ()
    conditions_recorded: bool = True
    """False when the knowledge base records no eligibility condition for the programme:
    the engine cannot check anything, only the organisation can answer."""

    @property
    def group(self) -> OptionGroup:
        if self.status == "not_eligible":
            return "not_eligible"
        if not self.conditions_recorded:
            return "ask"
        if self.status == "eligible":
            return "eligible"
        return "later"

    @property
    def local_elsewhere(self) -> bool:
        """A local service closed to the person only because they live in another
        municipality: lists may leave it out."""
        failing = [c for c in self.conditions if c.outcome is False]
        return (
            self.status == "not_eligible"
            and bool(failing)
            and all(c.field == "municipality" for c in failing)
        )


@dataclass(frozen=True)
class Options:
    on: dt.date
    rights: dict[str, Fact]
    programmes: tuple[ProgrammeOption, ...]


def rights(profile: Profile, on: dt.date, knowledge: Knowledge | None = None) -> dict[str, Fact]:
    """The derived facts on a date, each with its next change."""
    check_coverage(on)
    situation = Situation(profile, knowledge or load_knowledge())
    return {name: fact_with_next_change(situation, name, on) for name in FACTS}


def options(profile: Profile, on: dt.date, knowledge: Knowledge | None = None) -> Options:
    check_coverage(on)
    knowledge = knowledge or load_knowledge()
    memo_bounded(knowledge)
    situation = Situation(profile, knowledge)
    facts = {name: fact_with_next_change(situation, name, on) for name in FACTS}
    programmes = tuple(
        programme_option(situation, programme_id, on)
        for programme_id in sorted(knowledge.programmes)
    )
    return Options(on, facts, programmes)


def _version(situation: Situation, programme_id: str, on: dt.date) -> Programme | None:
    versions = _memo(situation.knowledge).versions
    key = (programme_id, on)
    if key not in versions:
        versions[key] = situation.knowledge.programme_on(programme_id, on)
    return versions[key]


def _closed_reason(situation: Situation, programme_id: str, on: dt.date) -> str | None:
    """Why the programme is not offered on this date, if it is not (the same for everyone:
    kept per language)."""
    closed = _memo(situation.knowledge).closed
    key = (programme_id, on, current_language())
    if key not in closed:
        closed[key] = _closed_reason_made(situation, programme_id, on)
    return closed[key]


def _closed_reason_made(situation: Situation, programme_id: str, on: dt.date) -> str | None:
    knowledge = situation.knowledge
    version = _version(situation, programme_id, on)
    if version is None:
        versions = knowledge.programmes[programme_id]
        future = [v for v in versions if v.valid_from and v.valid_from.first_day > on]
        if future:
            return _("offered from {date}").format(date=reader_date(future[0].valid_from))
        return _("no longer offered (ended {date})").format(date=reader_date(versions[-1].valid_to))
    organisation = knowledge.organisations[version.organisation]
    status = organisation_status_on(organisation, on)
    if status.offers(version.offered_while_dormant):
        return None
    if status.status == "dormant":
        return _("{name} is dormant since {since}").format(
            name=status.name, since=reader_date(status.since)
        )
    if status.status == "not_yet_founded":
        return _("{name} is founded in {date}").format(
            name=status.name, date=reader_date(status.until)
        )
    return _("{name} is closed since {since}").format(
        name=status.name, since=reader_date(status.since)
    )


def _outcome_on(situation: Situation, programme_id: str, on: dt.date) -> bool | None:
    if _closed_reason(situation, programme_id, on) is not None:
        return False
    version = _version(situation, programme_id, on)
    if version is None:
        raise RuntimeError("version is missing")
    if version.eligibility is None:
        return True
    return outcome_only(version.eligibility, situation, on)


def programme_fixed_dates(knowledge: Knowledge, programme_id: str) -> frozenset[dt.date]:
    """The dates on which a programme's versions or their organisations change (the same
    for everyone)."""
    fixed = _memo(knowledge).fixed_dates
    if programme_id not in fixed:
        dates: set[dt.date] = set()
        for version in knowledge.programmes[programme_id]:
            for bound in (version.valid_from, version.valid_to):
                if bound is not None:
                    dates.add(bound.first_day)
            organisation = knowledge.organisations[version.organisation]
            dates.update(organisation_change_dates(organisation))
        fixed[programme_id] = frozenset(dates)
    return fixed[programme_id]


def _change_dates_after(situation: Situation, programme_id: str, on: dt.date) -> set[dt.date]:
    knowledge = situation.knowledge
    dates = {day for day in programme_fixed_dates(knowledge, programme_id) if day > on}
    version = _version(situation, programme_id, on) or knowledge.programme_latest(programme_id)
    if version.eligibility is not None:
        dates |= change_dates_after(version.eligibility, situation, on)
    return dates


@dataclass(frozen=True)
class Opening:
    """The first later date on which a programme is no longer closed to the person: open
    (`eligible`) or depending on answers the profile does not give (`missing`)."""

    on: dt.date
    eligible: bool
    missing: tuple[str, ...] = ()


def next_opening(situation: Situation, programme_id: str, on: dt.date) -> Opening | None:
    """Walk forward through the dates on which an input changes, the profile unchanged."""
    day = on
    for _step in range(MAX_SEARCH_STEPS):
        upcoming = [
            d for d in _change_dates_after(situation, programme_id, day) if d <= COVERAGE_END
        ]
        if not upcoming:
            return None
        day = min(upcoming)
        outcome = _outcome_on(situation, programme_id, day)
        if outcome is True:
            return Opening(day, eligible=True)
        if outcome is None:
            version = _version(situation, programme_id, day)
            if version is None:
                raise RuntimeError("version is missing")
            if version.eligibility is None:
                raise RuntimeError("version.eligibility is missing")
            return Opening(
                day, eligible=False, missing=evaluate(version.eligibility, situation, day).missing
            )
    return None


def _closed_option(
    situation: Situation,
    version: Programme,
    on: dt.date,
    reasons: tuple[str, ...],
    conditions: tuple[ConditionResult, ...] = (),
) -> ProgrammeOption:
    """A programme closed to the person on `on`: eligible from a later date, or not."""
    opening = next_opening(situation, version.id, on)
    if opening is not None and opening.eligible:
        return ProgrammeOption(
            version.id,
            version.organisation,
            "eligible_from",
            opening.on,
            (),
            reasons,
            tuple(version.sources),
            conditions,
            version.eligibility is not None,
        )
    missing: tuple[str, ...] = ()
    if opening is not None:
        missing = opening.missing
        reasons = (
            *reasons,
            _("from {date} it depends on: {fields}").format(
                date=reader_date(opening.on), fields=", ".join(missing)
            ),
        )
    return ProgrammeOption(
        version.id,
        version.organisation,
        "not_eligible",
        None,
        missing,
        reasons,
        tuple(version.sources),
        conditions,
        version.eligibility is not None,
    )


def programme_option(situation: Situation, programme_id: str, on: dt.date) -> ProgrammeOption:
    knowledge = situation.knowledge
    version = _version(situation, programme_id, on) or knowledge.programme_latest(programme_id)
    sources = tuple(version.sources)
    closed = _closed_reason(situation, programme_id, on)
    if closed is not None:
        return _closed_option(situation, version, on, (closed,))
    if version.eligibility is None:
        return ProgrammeOption(
            programme_id,
            version.organisation,
            "eligible",
            None,
            (),
            (_("no eligibility conditions recorded; ask the organisation"),),
            sources,
            conditions_recorded=False,
        )
    evaluation = evaluate(version.eligibility, situation, on)
    reasons = tuple(condition.text for condition in evaluation.conditions)
    if evaluation.outcome is True:
        return ProgrammeOption(
            programme_id,
            version.organisation,
            "eligible",
            None,
            (),
            reasons,
            sources,
            evaluation.conditions,
        )
    if evaluation.outcome is None:
        return ProgrammeOption(
            programme_id,
            version.organisation,
            "unknown",
            None,
            evaluation.missing,
            reasons,
            sources,
            evaluation.conditions,
        )
    return _closed_option(situation, version, on, reasons, evaluation.conditions)


# --- JSON shapes (documented in docs/cli.md) -----------------------------------------------


def citation_json(citation: Citation, knowledge: Knowledge) -> dict[str, Any]:
    document = knowledge.sources[citation.source]
    where = ", ".join(
        part
        for part in (
            f"paragraph {citation.paragraph}" if citation.paragraph else "",
            f"footnote {citation.footnote}" if citation.footnote else "",
            f"article {citation.article}" if citation.article else "",
        )
        if part
    )
    return {
        "id": citation.source,
        "title": document.title,
        "where": where or None,
        "date": str(document.date) if document.date else None,
        "url": document.url,
    }


def sources_json(citations: tuple[Citation, ...], knowledge: Knowledge) -> list[dict[str, Any]]:
    """The citations as JSON, once per knowledge base: they do not depend on the person, and
    building them was a fifth of `POST /api/options`' CPU (docs/benchmarks.md). The lists
    are shared between answers: callers serialise them, never change them."""
    # By the citations' identities: they belong to the knowledge base, which the memo keeps
    # alive, and hashing them by value cost as much as the JSON.
    kept = _memo(knowledge).sources
    key = tuple(map(id, citations))
    made = kept.get(key)
    if made is None:
        made = kept[key] = _sources_json(citations, knowledge)
    return made


def _sources_json(citations: tuple[Citation, ...], knowledge: Knowledge) -> list[dict[str, Any]]:
    seen: dict[tuple[str, str | None], dict[str, Any]] = {}
    for citation in citations:
        item = citation_json(citation, knowledge)
        seen.setdefault((item["id"], item["where"]), item)
    return list(seen.values())


def fact_json(fact: Fact, knowledge: Knowledge) -> dict[str, Any]:
    return {
        "value": fact.value if fact.value is not None else "unknown",
        "from": fact.next_change.isoformat() if fact.next_change else None,
        "next_value": ((fact.next_value or "unknown") if fact.next_change is not None else None),
        "missing": list(fact.missing),
        "possible": list(fact.possible),
        "reasons": list(fact.reasons),
        "sources": sources_json(fact.sources, knowledge),
    }


def rights_json(facts: dict[str, Fact], knowledge: Knowledge) -> dict[str, Any]:
    return {name: fact_json(fact, knowledge) for name, fact in facts.items()}


def condition_json(condition: ConditionResult) -> dict[str, Any]:
    expected = condition.expected
    return {
        "field": condition.field,
        "op": condition.op,
        "expected": list(expected) if isinstance(expected, tuple) else expected,
        "actual": condition.actual,
        "outcome": {True: "met", False: "not_met", None: "unknown"}[condition.outcome],
        "missing": list(condition.missing),
        "changes_on": condition.changes_on.isoformat() if condition.changes_on else None,
    }


def programme_json(option: ProgrammeOption, knowledge: Knowledge) -> dict[str, Any]:
    return {
        "id": option.id,
        "organisation": option.organisation,
        "status": option.status,
        "group": option.group,
        "conditions_recorded": option.conditions_recorded,
        "from": option.from_date.isoformat() if option.from_date else None,
        "missing": list(option.missing),
        "reasons": list(option.reasons),
        "local_elsewhere": option.local_elsewhere,
        "conditions": [condition_json(c) for c in option.conditions],
        "sources": sources_json(option.sources, knowledge),
    }


def options_json(result: Options, knowledge: Knowledge) -> dict[str, Any]:
    """The answer's shape; `answer.options_answer` writes the same as text, faster."""
    return {
        "on": result.on.isoformat(),
        "rights": rights_json(result.rights, knowledge),
        "programmes": [programme_json(option, knowledge) for option in result.programmes],
    }
