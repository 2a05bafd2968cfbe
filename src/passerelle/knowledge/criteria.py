"""The eligibility criteria language: one definition, read from YAML, evaluated by core.

A criterion is a YAML mapping, one of:

    {all: [criterion, ...]}            every one holds
    {any: [criterion, ...]}            at least one holds
    {not: criterion}                   the criterion does not hold
    {field: NAME, OP: VALUE}           a comparison on a profile field or a derived fact

OP is one of eq, ne, in, not_in, lt, le, gt, ge, between (inclusive, [low, high]).
Fields are listed in `FIELDS` with their kind and allowed values; durations (`age`,
`years_in_belgium`, `months_since_application`, ...) are measured on the evaluation date.
The evaluators live in `passerelle.core.rules`; this module only defines and validates.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, TypeAlias, get_args

CefrLevel = Literal["A1", "A2", "B1", "B2", "C1", "C2"]
CEFR_LEVELS: tuple[str, ...] = get_args(CefrLevel)
"""Common European Framework of Reference levels; a language not spoken ranks below A1."""

LegalStatus = Literal[
    "asylum_seeker",
    "refugee",
    "subsidiary_protection",
    "temporary_protection",
    "eu_citizen",
    "family_reunification",
    "other_permit",
    "no_permit",
]
LEGAL_STATUSES: tuple[str, ...] = get_args(LegalStatus)
LabourMarketAccess = Literal["unlimited", "limited", "none"]
LABOUR_MARKET_ACCESS: tuple[str, ...] = get_args(LabourMarketAccess)
RIGHT_TO_WORK_VALUES: tuple[str, ...] = ("yes", "no", "with_permit")
INTEGRATION_PATHWAY_VALUES: tuple[str, ...] = ("obliged", "eligible", "not_eligible")

FieldKind = Literal["enum", "code", "int", "bool", "cefr", "duration"]


@dataclass(frozen=True)
class FieldSpec:
    name: str
    kind: FieldKind
    description: str
    values: tuple[str, ...] = ()
    depends_on: tuple[str, ...] = ()
    """Profile fields whose absence makes this field unknown."""


FIELDS: dict[str, FieldSpec] = {
    spec.name: spec
    for spec in (
        FieldSpec(
            "legal_status",
            "enum",
            "legal status on the evaluation date (an applicant is an asylum seeker until "
            "the decision)",
            LEGAL_STATUSES,
            ("legal_status",),
        ),
        FieldSpec("nationality", "code", "ISO 3166-1 alpha-2 code", depends_on=("nationality",)),
        FieldSpec(
            "eu_national",
            "bool",
            "nationality of a member state of the European Union on the evaluation date",
            depends_on=("nationality",),
        ),
        FieldSpec(
            "municipality",
            "code",
            "municipality id (see landscape/municipalities.yaml)",
            depends_on=("municipality",),
        ),
        FieldSpec(
            "in_brussels_region",
            "bool",
            "registered in one of the 19 municipalities of the Brussels-Capital Region",
            depends_on=("municipality",),
        ),
        FieldSpec(
            "residence_permit_months",
            "int",
            "validity of the residence permit in months",
            depends_on=("residence_permit_months",),
        ),
        FieldSpec(
            "labour_market_access",
            "enum",
            "access to the labour market written on the residence card",
            LABOUR_MARKET_ACCESS,
            ("labour_market_access",),
        ),
        FieldSpec(
            "education_isced",
            "int",
            "highest level of education, ISCED 2011 (0-8)",
            depends_on=("education_isced",),
        ),
        FieldSpec(
            "migration_background",
            "bool",
            "has a migration background",
            depends_on=("migration_background",),
        ),
        FieldSpec("age", "duration", "age in whole years", depends_on=("birth_date",)),
        FieldSpec(
            "years_in_belgium",
            "duration",
            "whole years since arrival in Belgium",
            depends_on=("arrival_in_belgium",),
        ),
        FieldSpec(
            "months_since_application",
            "duration",
            "whole months since the asylum application",
            depends_on=("asylum_application_date",),
        ),
        FieldSpec(
            "years_since_first_registration_brussels",
            "duration",
            "whole years since the first registration in a Brussels municipality",
            depends_on=("first_registration_brussels",),
        ),
        FieldSpec(
            "right_to_work",
            "enum",
            "derived fact: may the person work on the evaluation date",
            RIGHT_TO_WORK_VALUES,
        ),
        FieldSpec(
            "integration_pathway",
            "enum",
            "derived fact: the Brussels integration pathway for this person",
            INTEGRATION_PATHWAY_VALUES,
        ),
    )
}

LANGUAGE_FIELD_PREFIX = "language."
"""`language.fr` is the CEFR level in French; a language not listed in the profile ranks
below A1, and the field is unknown only when the profile gives no languages at all."""

Operator = Literal["eq", "ne", "in", "not_in", "lt", "le", "gt", "ge", "between"]
OPERATORS: tuple[str, ...] = ("eq", "ne", "in", "not_in", "lt", "le", "gt", "ge", "between")
ORDERED_KINDS: frozenset[str] = frozenset({"int", "cefr", "duration"})

Scalar: TypeAlias = str | int | bool
Operand: TypeAlias = Scalar | tuple[Scalar, ...]


@dataclass(frozen=True)
class Compare:
    field: str
    op: Operator
    value: Operand


@dataclass(frozen=True)
class AllOf:
    items: tuple[Criterion, ...]


@dataclass(frozen=True)
class AnyOf:
    items: tuple[Criterion, ...]


@dataclass(frozen=True)
class Not:
    item: Criterion


Criterion: TypeAlias = Compare | AllOf | AnyOf | Not


class CriteriaError(ValueError):
    """A criterion that is not valid; `path` says where in the criterion."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path


def field_spec(name: str) -> FieldSpec:
    """The spec of a field, including `language.<code>`; KeyError if unknown."""
    if name.startswith(LANGUAGE_FIELD_PREFIX):
        code = name.removeprefix(LANGUAGE_FIELD_PREFIX)
        if len(code) == 2 and code.isalpha() and code.islower():
            return FieldSpec(
                name, "cefr", f"CEFR level in language '{code}'", CEFR_LEVELS, ("languages",)
            )
    return FIELDS[name]


def parse_criterion(raw: object, path: str = "eligibility") -> Criterion:
    """Read a criterion from YAML data, with an error naming the place and what is allowed."""
    if not isinstance(raw, Mapping):
        raise CriteriaError(path, f"expected a mapping, got {type(raw).__name__}")
    keys = set(raw)
    if keys in ({"all"}, {"any"}):
        (key,) = keys
        items = raw[key]
        if not isinstance(items, list) or not items:
            raise CriteriaError(f"{path}.{key}", "expected a non-empty list of criteria")
        parsed = tuple(parse_criterion(item, f"{path}.{key}[{i}]") for i, item in enumerate(items))
        return AllOf(parsed) if key == "all" else AnyOf(parsed)
    if keys == {"not"}:
        return Not(parse_criterion(raw["not"], f"{path}.not"))
    if "field" not in keys:
        raise CriteriaError(
            path,
            f"expected one of 'all', 'any', 'not' or 'field', got {sorted(map(str, keys))}",
        )
    name = raw["field"]
    ops = keys - {"field"}
    if len(ops) != 1 or not ops <= set(OPERATORS):
        raise CriteriaError(
            path, f"expected exactly one operator among {', '.join(OPERATORS)}, got {sorted(ops)}"
        )
    op: Operator = ops.pop()
    try:
        spec = field_spec(str(name))
    except KeyError:
        raise CriteriaError(
            f"{path}.field",
            f"unknown field {name!r}; allowed: {', '.join(FIELDS)}, language.<iso639-1>",
        ) from None
    value = _parse_operand(spec, op, raw[op], f"{path}.{op}")
    return Compare(spec.name, op, value)


def _parse_operand(spec: FieldSpec, op: str, raw: object, path: str) -> Operand:
    if op in ("lt", "le", "gt", "ge", "between") and spec.kind not in ORDERED_KINDS:
        raise CriteriaError(path, f"field {spec.name!r} is not ordered; use eq, ne, in or not_in")
    if op in ("in", "not_in", "between"):
        if not isinstance(raw, list) or not raw:
            raise CriteriaError(path, "expected a non-empty list")
        items = tuple(_parse_scalar(spec, item, f"{path}[{i}]") for i, item in enumerate(raw))
        if op == "between" and len(items) != 2:
            raise CriteriaError(path, "expected [low, high]")
        return items
    return _parse_scalar(spec, raw, path)


def _parse_scalar(spec: FieldSpec, raw: object, path: str) -> Scalar:
    if spec.kind == "bool":
        if not isinstance(raw, bool):
            raise CriteriaError(path, f"field {spec.name!r} takes true or false, got {raw!r}")
        return raw
    if spec.kind in ("int", "duration"):
        if isinstance(raw, bool) or not isinstance(raw, int):
            raise CriteriaError(path, f"field {spec.name!r} takes a whole number, got {raw!r}")
        return raw
    if not isinstance(raw, str):
        raise CriteriaError(path, f"field {spec.name!r} takes a text value, got {raw!r}")
    if spec.values and raw not in spec.values:
        raise CriteriaError(
            path, f"{raw!r} is not allowed for {spec.name!r}; allowed: {', '.join(spec.values)}"
        )
    return raw


def criterion_to_data(criterion: Criterion) -> dict[str, object]:
    """The YAML form of a criterion (the inverse of `parse_criterion`)."""
    if isinstance(criterion, Compare):
        value = list(criterion.value) if isinstance(criterion.value, tuple) else criterion.value
        return {"field": criterion.field, criterion.op: value}
    if isinstance(criterion, Not):
        return {"not": criterion_to_data(criterion.item)}
    key = "all" if isinstance(criterion, AllOf) else "any"
    return {key: [criterion_to_data(item) for item in criterion.items]}


def cefr_rank(level: str | None) -> int:
    """0 for a language not spoken, 1 for A1 up to 6 for C2."""
    return 0 if level is None else CEFR_LEVELS.index(level) + 1


def criterion_fields(criterion: Criterion) -> set[str]:
    """Every field a criterion reads."""
    if isinstance(criterion, Compare):
        return {criterion.field}
    if isinstance(criterion, Not):
        return criterion_fields(criterion.item)
    return set().union(*(criterion_fields(item) for item in criterion.items))
