"""The scalar evaluator of the criteria language, with a full explanation.

Three-valued logic (Kleene): a comparison on a missing input is unknown; `all` is false as
soon as one item is false, unknown if none is false and one is unknown; `any` the mirror;
`not` keeps unknown. The vectorised evaluator follows the same logic with polars nulls.
"""

from __future__ import annotations

import datetime as dt
import operator
from dataclasses import dataclass
from typing import Any

from passerelle.core.i18n import _, gettext_noop, reader_date
from passerelle.core.rules.fields import DURATIONS, FieldValue, duration_reached
from passerelle.core.rules.situation import Situation
from passerelle.knowledge.criteria import (
    AllOf,
    AnyOf,
    Compare,
    Criterion,
    Not,
    Operand,
    cefr_rank,
    field_spec,
)

Outcome = bool | None


@dataclass(frozen=True)
class ConditionResult:
    """One comparison: what was required, what the profile gives, the outcome, and when the
    outcome changes if nothing else does."""

    field: str
    op: str
    expected: Operand
    actual: str | int | bool | None
    outcome: Outcome
    missing: tuple[str, ...]
    changes_on: dt.date | None

    @property
    def text(self) -> str:
        expected = _render_operand(self.field, self.op, self.expected)
        if self.outcome is None:
            return _("{field}: unknown, answer {missing} ({requirement})").format(
                field=self.field, missing=", ".join(self.missing), requirement=expected
            )
        actual = _render_value(self.field, self.actual)
        if self.outcome:
            text = _("{field} is {actual}: {requirement}, met").format(
                field=self.field, actual=actual, requirement=expected
            )
            if self.changes_on:
                text += _(" (no longer from {date})").format(date=reader_date(self.changes_on))
            return text
        text = _("{field} is {actual}: {requirement}, not met").format(
            field=self.field, actual=actual, requirement=expected
        )
        if self.changes_on:
            text += _(" (met from {date})").format(date=reader_date(self.changes_on))
        return text


@dataclass(frozen=True)
class Evaluation:
    outcome: Outcome
    conditions: tuple[ConditionResult, ...]
    """The comparisons that decide the outcome (for a pass, all of them)."""

    @property
    def missing(self) -> tuple[str, ...]:
        names: dict[str, None] = {}
        for condition in self.conditions:
            if condition.outcome is None:
                names.update(dict.fromkeys(condition.missing))
        return tuple(names)


_OP_WORDS = {
    "eq": gettext_noop("equal to"),
    "ne": gettext_noop("not equal to"),
    "in": gettext_noop("one of"),
    "not_in": gettext_noop("none of"),
    "lt": gettext_noop("below"),
    "le": gettext_noop("at most"),
    "gt": gettext_noop("above"),
    "ge": gettext_noop("at least"),
    "between": gettext_noop("between"),
}


def _render_value(field_name: str, value: object) -> str:
    if field_spec(field_name).kind == "cefr" and isinstance(value, int):
        return _("not spoken") if value == 0 else ("A1", "A2", "B1", "B2", "C1", "C2")[value - 1]
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, dt.date):
        return reader_date(value)
    return str(value)


def _render_operand(field_name: str, op: str, value: Operand) -> str:
    if op == "between" and isinstance(value, tuple):
        return _("required between {low} and {high}").format(low=value[0], high=value[1])
    if isinstance(value, tuple):
        shown = ", ".join(_render_value(field_name, item) for item in value)
    else:
        shown = _render_value(field_name, value)
    return _("required {op} {value}").format(op=_(_OP_WORDS[op]), value=shown)


def _normalised(field_name: str, value: Operand) -> Operand:
    """CEFR levels compare by rank."""
    if field_spec(field_name).kind != "cefr":
        return value
    if isinstance(value, tuple):
        return tuple(cefr_rank(str(item)) for item in value)
    return cefr_rank(str(value))


def compare(op: str, actual: object, expected: Operand) -> bool:
    if isinstance(expected, tuple):
        if op == "between":
            low, high = expected
            return bool(low <= actual <= high)  # type: ignore[operator]
        return (actual in expected) != (op == "not_in")
    if op == "eq":
        return actual == expected
    if op == "ne":
        return actual != expected
    ordered = {
        "lt": operator.lt,
        "le": operator.le,
        "gt": operator.gt,
        "ge": operator.ge,
    }
    comparable: Any = actual
    return bool(ordered[op](comparable, expected))


def evaluate_compare(node: Compare, situation: Situation, on: dt.date) -> ConditionResult:
    expected = _normalised(node.field, node.value)
    field_value = situation.field(node.field, on)
    actual = field_value.value
    outcome = _outcome(node.op, field_value, expected)
    changes_on = _next_flip(node, situation, on, outcome, expected)
    return ConditionResult(
        node.field,
        node.op,
        node.value,
        actual,
        outcome,
        field_value.missing if outcome is None else (),
        changes_on,
    )


def _next_flip(
    node: Compare, situation: Situation, on: dt.date, outcome: Outcome, expected: Operand
) -> dt.date | None:
    """The first date after `on` on which this comparison's outcome changes."""
    if node.field in DURATIONS:
        start_field, unit = DURATIONS[node.field]
        start = getattr(situation.profile, start_field)
        if start is None:
            return None
        return comparison_change_date(node.op, expected, start, unit, on, outcome)
    for day in situation.change_dates(node.field):
        if day > on and evaluate_compare_outcome(node, situation, day) != outcome:
            return day
    return None


def evaluate_compare_outcome(node: Compare, situation: Situation, on: dt.date) -> Outcome:
    expected = _normalised(node.field, node.value)
    return _outcome(node.op, situation.field(node.field, on), expected)


def _outcome(op: str, field_value: FieldValue, expected: Operand) -> Outcome:
    if field_value.value is not None:
        return compare(op, field_value.value, expected)
    if field_value.possible:
        # A fact known to be one of several values: decided if they all agree.
        outcomes = {compare(op, value, expected) for value in field_value.possible}
        return outcomes.pop() if len(outcomes) == 1 else None
    return None


def comparison_change_date(
    op: str, expected: Operand, start: dt.date, unit: str, on: dt.date, outcome: Outcome
) -> dt.date | None:
    """Durations only grow, so a comparison on one flips when the duration reaches one of the
    boundaries of the expected values: the next such date whose outcome differs."""
    values = expected if isinstance(expected, tuple) else (expected,)
    boundaries = sorted({int(v) + shift for v in values for shift in (0, 1)})
    for amount in boundaries:
        day = duration_reached(start, unit, amount)
        if day > on and compare(op, amount, expected) != outcome:
            return day
    return None


def evaluate(criterion: Criterion, situation: Situation, on: dt.date) -> Evaluation:
    if isinstance(criterion, Compare):
        result = evaluate_compare(criterion, situation, on)
        return Evaluation(result.outcome, (result,))
    if isinstance(criterion, Not):
        inner = evaluate(criterion.item, situation, on)
        return Evaluation(None if inner.outcome is None else not inner.outcome, inner.conditions)
    items = [evaluate(item, situation, on) for item in criterion.items]
    decisive = not isinstance(criterion, AllOf)
    if not isinstance(criterion, AllOf | AnyOf):
        raise TypeError(f"criterion: expected AllOf | AnyOf, got {type(criterion).__name__}")
    deciding = [item for item in items if item.outcome is decisive]
    if deciding:
        return Evaluation(decisive, _flatten(deciding))
    unknown = [item for item in items if item.outcome is None]
    if unknown:
        return Evaluation(None, _flatten(unknown))
    return Evaluation(not decisive, _flatten(items))


def _flatten(items: list[Evaluation]) -> tuple[ConditionResult, ...]:
    return tuple(condition for item in items for condition in item.conditions)


def outcome_only(criterion: Criterion, situation: Situation, on: dt.date) -> Outcome:
    """The outcome without building an explanation (used to search for a future date)."""
    if isinstance(criterion, Compare):
        return evaluate_compare_outcome(criterion, situation, on)
    if isinstance(criterion, Not):
        inner = outcome_only(criterion.item, situation, on)
        return None if inner is None else not inner
    seen_unknown = False
    decisive = isinstance(criterion, AnyOf)
    for item in criterion.items:
        outcome = outcome_only(item, situation, on)
        if outcome is decisive:
            return decisive
        if outcome is None:
            seen_unknown = True
    return None if seen_unknown else not decisive


def change_dates_after(criterion: Criterion, situation: Situation, on: dt.date) -> set[dt.date]:
    """Dates after `on` on which some comparison of the criterion may change outcome."""
    if isinstance(criterion, Compare):
        if criterion.field in DURATIONS:
            start_field, unit = DURATIONS[criterion.field]
            start = getattr(situation.profile, start_field)
            if start is None:
                return set()
            expected = _normalised(criterion.field, criterion.value)
            values = expected if isinstance(expected, tuple) else (expected,)
            return {
                day
                for v in values
                for shift in (0, 1)
                if (day := duration_reached(start, unit, int(v) + shift)) > on
            }
        return {day for day in situation.change_dates(criterion.field) if day > on}
    if isinstance(criterion, Not):
        return change_dates_after(criterion.item, situation, on)
    dates: set[dt.date] = set()
    for item in criterion.items:
        dates |= change_dates_after(item, situation, on)
    return dates
