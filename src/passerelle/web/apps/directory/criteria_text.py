"""The criteria language in plain words, for the programme page and the finder."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from passerelle.knowledge.criteria import (
    CEFR_LEVELS,
    LANGUAGE_FIELD_PREFIX,
    AllOf,
    Compare,
    Criterion,
    Not,
    Operand,
)
from passerelle.knowledge.loader import load_knowledge
from passerelle.web.common.labels import LANGUAGE_LABELS, reader_date, request_language

FIELD_LABELS = {
    "legal_status": lambda: _("legal status"),
    "nationality": lambda: _("nationality"),
    "eu_national": lambda: _("citizen of the European Union"),
    "municipality": lambda: _("municipality"),
    "in_brussels_region": lambda: _("living in the Brussels-Capital Region"),
    "residence_permit_months": lambda: _("months of validity of the residence permit"),
    "labour_market_access": lambda: _("access to work on the residence card"),
    "education_isced": lambda: _("education level (ISCED)"),
    "migration_background": lambda: _("migration background"),
    "age": lambda: _("age"),
    "years_in_belgium": lambda: _("years in Belgium"),
    "months_since_application": lambda: _("months since the asylum application"),
    "years_since_first_registration_brussels": lambda: _(
        "years since the first registration in Brussels"
    ),
    "right_to_work": lambda: _("right to work"),
    "integration_pathway": lambda: _("integration pathway"),
}

VALUE_LABELS = {
    "asylum_seeker": lambda: _("asylum seeker"),
    "refugee": lambda: _("refugee"),
    "subsidiary_protection": lambda: _("subsidiary protection"),
    "temporary_protection": lambda: _("temporary protection"),
    "eu_citizen": lambda: _("EU citizen"),
    "family_reunification": lambda: _("family reunification"),
    "other_permit": lambda: _("other residence permit"),
    "no_permit": lambda: _("no residence permit"),
    "yes": lambda: _("yes"),
    "no": lambda: _("no"),
    "with_permit": lambda: _("with a work permit"),
    "obliged": lambda: _("mandatory"),
    "eligible": lambda: _("eligible"),
    "not_eligible": lambda: _("not eligible"),
    "unlimited": lambda: _("unlimited"),
    "limited": lambda: _("limited"),
    "none": lambda: _("none"),
}


def field_label(field: str) -> str:
    if field.startswith(LANGUAGE_FIELD_PREFIX):
        code = field.removeprefix(LANGUAGE_FIELD_PREFIX)
        label = LANGUAGE_LABELS.get(code)
        return str(label) if label else code
    return FIELD_LABELS[field]() if field in FIELD_LABELS else field


def value_label(field: str, value: object) -> str:
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if field == "municipality" and isinstance(value, str):
        municipality = load_knowledge().municipalities.get(value)
        if municipality is not None:
            return municipality.names.get(request_language())
    if isinstance(value, str) and value in VALUE_LABELS:
        return VALUE_LABELS[value]()
    return str(value)


def _values(field: str, value: Operand) -> str:
    items = value if isinstance(value, tuple) else (value,)
    return _(" or ").join(value_label(field, item) for item in items)


def _pathway_conditions() -> str:
    """The integration pathway's own conditions, from the parameters in force today."""
    parameters = load_knowledge().parameters
    today = timezone.localdate()

    def value(parameter_id: str) -> object:
        found = parameters[parameter_id].value_on(today)
        return None if found is None else found.value

    return _(
        "newcomers from outside the European Union with a residence permit of more than "
        "%(months)s months, in Belgium for less than %(years)s years and registered in one of "
        "the 19 Brussels municipalities (the Brussels integration pathway)"
    ) % {
        "months": value("integration_pathway.minimum_permit_months_exclusive"),
        "years": value("integration_pathway.maximum_years_in_belgium_exclusive"),
    }


def compare_text(node: Compare) -> str:
    label = field_label(node.field)
    value = node.value
    accepted = value if isinstance(value, tuple) else (value,)
    if node.field == "integration_pathway" and node.op == "in" and "not_eligible" not in accepted:
        return _pathway_conditions()
    if node.field == "right_to_work" and node.op == "in" and "no" not in accepted:
        if "with_permit" in accepted:
            return _("allowed to work (with or without a work permit)")
        return _("allowed to work without a work permit")
    if node.field == "age" and node.op == "between" and isinstance(value, tuple):
        return _("aged %(low)s to %(high)s") % {"low": value[0], "high": value[1]}
    if node.field.startswith(LANGUAGE_FIELD_PREFIX) and node.op in ("ge", "gt"):
        return _("%(language)s at level %(level)s or above") % {
            "language": label,
            "level": value,
        }
    if isinstance(value, bool) and node.op == "eq":
        return label if value else _("not: %(label)s") % {"label": label}
    if node.op in ("eq", "in"):
        return _("%(label)s: %(values)s") % {"label": label, "values": _values(node.field, value)}
    if node.op in ("ne", "not_in"):
        return _("%(label)s: not %(values)s") % {
            "label": label,
            "values": _values(node.field, value),
        }
    if node.op == "between" and isinstance(value, tuple):
        return _("%(label)s between %(low)s and %(high)s") % {
            "label": label,
            "low": value[0],
            "high": value[1],
        }
    words = {
        "lt": _("%(label)s below %(value)s"),
        "le": _("%(label)s at most %(value)s"),
        "gt": _("%(label)s above %(value)s"),
        "ge": _("%(label)s at least %(value)s"),
    }
    return words[node.op] % {"label": label, "value": value}


def criterion_items(criterion: Criterion) -> list[dict[str, object]]:
    """The conditions as a tree of {"text", "children"} items, all of which must hold."""
    if isinstance(criterion, Compare):
        return [{"text": compare_text(criterion), "children": []}]
    if isinstance(criterion, Not):
        return [{"text": _("none of these:"), "children": criterion_items(criterion.item)}]
    if isinstance(criterion, AllOf):
        return [item for child in criterion.items for item in criterion_items(child)]
    count = len(criterion.items)
    header = ngettext("this condition:", "one of these %(count)s conditions:", count) % {
        "count": count
    }
    children = [item for child in criterion.items for item in criterion_items(child)]
    return [{"text": header, "children": children}]


def _actual_text(field: str, actual: object) -> str:
    if field.startswith(LANGUAGE_FIELD_PREFIX) and isinstance(actual, int):
        return _("not spoken") if actual == 0 else CEFR_LEVELS[actual - 1]
    return value_label(field, actual)


def condition_sentence(condition: dict[str, Any]) -> str:
    """One evaluated condition of the finder's result, in words: what is required, whether
    the answers meet it, and from when that changes."""
    expected = condition["expected"]
    node = Compare(
        condition["field"],
        condition["op"],
        tuple(expected) if isinstance(expected, list) else expected,
    )
    requirement = compare_text(node)
    label = field_label(condition["field"])
    if condition["outcome"] == "unknown":
        return _("%(requirement)s: answer the question about %(label)s") % {
            "requirement": requirement,
            "label": label,
        }
    values = {
        "requirement": requirement,
        "label": label,
        "actual": _actual_text(condition["field"], condition["actual"]),
    }
    if condition["outcome"] == "met":
        text = _("%(requirement)s: yes (%(label)s: %(actual)s)") % values
    else:
        text = _("%(requirement)s: no (%(label)s: %(actual)s)") % values
    if condition.get("changes_on"):
        day = reader_date(dt.date.fromisoformat(condition["changes_on"]))
        text += " " + _("(changes on %(date)s)") % {"date": day}
    return text
