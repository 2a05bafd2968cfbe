"""The finder's answer (`POST /api/options`, `passerelle options --format json`) as JSON
text, computed for each request from the profile and the date, and the same bytes as
`json.dumps(options_json(options(profile, on, knowledge), knowledge))`.

Most programmes' entries do not depend on the person at all, or only on a field that does
not change with time (the municipality of a CPAS, a language level): their entry is then a
function of the knowledge base, of the period the date falls in between two changes of the
programme (a version starting or ending, its organisation opening or closing), of the
language and of those fields' values. Such an entry is computed by the ordinary path
(`options.programme_option`) the first time and kept as JSON text per knowledge base; the
others (a right to work, an age, an integration pathway: they change on dates of the
person's own) are computed in full every time. Nothing of a request is kept but the text of
an entry, which names none of the person's answers beyond a knowledge-base value
(a municipality, a level), bounded by `ENTRIES_KEPT`.

Measured (docs/benchmarks.md, "CPU per request"): 20 of the knowledge base's 33
programmes ask only for a municipality and 9 record no condition, so an answer computes 4
programmes and the two rights instead of 33 and two.
"""

from __future__ import annotations

import bisect
import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from passerelle.core.i18n import current_language
from passerelle.core.profile import Profile
from passerelle.core.rules.facts import FACTS, fact_with_next_change
from passerelle.core.rules.fields import DURATIONS, FACT_NAMES, FieldValue, check_coverage
from passerelle.core.rules.options import (
    ProgrammeOption,
    kept_for,
    memo_bounded,
    programme_fixed_dates,
    programme_json,
    programme_option,
    rights_json,
)
from passerelle.core.rules.situation import Situation
from passerelle.knowledge.criteria import AllOf, AnyOf, Compare, Criterion, Not
from passerelle.knowledge.loader import Knowledge, load_knowledge

ENTRIES_KEPT = 50_000
"""Programme entries kept per knowledge base before starting again (a few hundred in
practice: periods x languages x municipalities)."""

TIMED_FIELDS = frozenset({"legal_status", "eu_national", *FACT_NAMES, *DURATIONS})
"""Criteria fields whose value on a date depends on the date (`Situation.change_dates` and
the durations): a programme that asks for one is computed for every request."""


def criterion_fields(criterion: Criterion) -> set[str]:
    if isinstance(criterion, Compare):
        return {criterion.field}
    if isinstance(criterion, Not):
        return criterion_fields(criterion.item)
    if isinstance(criterion, AllOf | AnyOf):
        return {name for item in criterion.items for name in criterion_fields(item)}
    raise TypeError(f"criterion: expected a criterion, got {type(criterion).__name__}")


@dataclass(frozen=True)
class ProgrammePlan:
    """What one programme's entry depends on: the dates its state changes on (sorted), and
    the untimed fields its conditions read, or None when one of them is timed."""

    id: str
    change_dates: tuple[dt.date, ...]
    fields: tuple[str, ...] | None


class CompiledOptions:
    """The plans of a knowledge base's programmes and the entries kept so far."""

    def __init__(self, knowledge: Knowledge) -> None:
        self.knowledge = knowledge
        self.plans = tuple(
            _plan(knowledge, programme_id) for programme_id in sorted(knowledge.programmes)
        )
        self.entries: dict[tuple[Any, ...], str] = {}

    def entries_json(self, situation: Situation, on: dt.date) -> str:
        """The programmes' entries, joined as in the answer's list."""
        language = current_language()
        values: dict[str, FieldValue] = {}  # each untimed field read once per answer
        texts = []
        for plan in self.plans:
            if plan.fields is None:
                texts.append(_entry_json(programme_option(situation, plan.id, on), self.knowledge))
                continue
            for name in plan.fields:
                if name not in values:
                    values[name] = situation.field(name, on)
            period = bisect.bisect_right(plan.change_dates, on)
            key = (plan.id, period, language, *(values[name] for name in plan.fields))
            text = self.entries.get(key)
            if text is None:
                if len(self.entries) >= ENTRIES_KEPT:
                    self.entries.clear()
                text = _entry_json(programme_option(situation, plan.id, on), self.knowledge)
                self.entries[key] = text
            texts.append(text)
        return ", ".join(texts)


def _plan(knowledge: Knowledge, programme_id: str) -> ProgrammePlan:
    fields: set[str] = set()
    for version in knowledge.programmes[programme_id]:
        if version.eligibility is not None:
            fields |= criterion_fields(version.eligibility)
    untimed = None if fields & TIMED_FIELDS else tuple(sorted(fields))
    return ProgrammePlan(
        programme_id, tuple(sorted(programme_fixed_dates(knowledge, programme_id))), untimed
    )


_compiled: dict[int, CompiledOptions] = {}


def compiled_options(knowledge: Knowledge) -> CompiledOptions:
    """The knowledge base's plans, made once per knowledge base."""
    return kept_for(_compiled, knowledge, CompiledOptions)


def options_answer(profile: Profile, on: dt.date, knowledge: Knowledge | None = None) -> str:
    """The options of `profile` on `on` as JSON text, in the current engine language."""
    check_coverage(on)
    knowledge = knowledge or load_knowledge()
    memo_bounded(knowledge)
    compiled = compiled_options(knowledge)
    situation = Situation(profile, knowledge)
    facts = {name: fact_with_next_change(situation, name, on) for name in FACTS}
    entries = compiled.entries_json(situation, on)
    head = json.dumps({"on": on.isoformat(), "rights": rights_json(facts, knowledge)})
    # `head` ends with "}": the programmes are the answer's last key.
    return f'{head[:-1]}, "programmes": [{entries}]}}'


def _entry_json(option: ProgrammeOption, knowledge: Knowledge) -> str:
    """One programme of `options_json`'s list, as `json.dumps` writes it there."""
    return json.dumps(programme_json(option, knowledge))
