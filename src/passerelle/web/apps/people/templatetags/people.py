"""Labels of the needs assessment's codes, translated."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import template
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from passerelle.core.assessment import (
    ISCED_LABELS,
    LITERACY_LABELS,
    RECOGNITION_LABELS,
    SOCIAL_NEED_LABELS,
)
from passerelle.knowledge.loader import load_knowledge
from passerelle.web.apps.accounts.models import Role
from passerelle.web.apps.people.models import ConsentPurpose, FieldGroup
from passerelle.web.common.labels import (
    FILE_FIELD_LABELS,
    LANGUAGE_LABELS,
    STAFF_LEGAL_STATUS_LABELS,
    STAFF_PROFILE_FIELD_LABELS,
    country_name,
    label,
    language_levels,
    months_label,
    occupation_label,
    organisation_label,
    reader_date,
    request_language,
    words_list,
)

register = template.Library()


@register.filter
def isco(code: str) -> str:
    return occupation_label(code)


@register.filter
def organisation_name(organisation: Any) -> str:
    """An organisation as its name in the reader's language, never its slug."""
    return organisation_label(organisation)


@register.filter
def file_fields(names: Any) -> str:
    """The changed fields of a file's version, as words."""
    return words_list(label(FILE_FIELD_LABELS, name) for name in names)


@register.filter
def isced(level: int | None) -> str:
    return "" if level is None else f"{level} · {_(ISCED_LABELS.get(int(level), str(level)))}"


@register.filter
def recognition(status: str) -> str:
    return _(RECOGNITION_LABELS.get(status, status))


@register.filter
def literacy(level: str | None) -> str:
    return _(LITERACY_LABELS[level]) if level in LITERACY_LABELS else ""


@register.filter
def social_need(need: str) -> str:
    return _(SOCIAL_NEED_LABELS.get(need, need))


@register.filter
def field_groups(names: Any) -> str:
    """Field groups in words, in the order of a file (names first)."""
    labels = dict(FieldGroup.choices)
    order = list(labels)
    ordered = sorted(names, key=lambda name: order.index(name) if name in order else len(order))
    return words_list(labels.get(name, name) for name in ordered)


@register.filter
def profile_rows(profile: dict[str, Any]) -> list[tuple[str, str]]:
    """The rules' profile as (label, value) rows in the reader's language, in the order of
    the labels (status first), with the file's words rather than the finder's questions."""
    order = list(STAFF_PROFILE_FIELD_LABELS)
    rows = []
    for name in sorted(profile, key=lambda key: order.index(key) if key in order else len(order)):
        rows.append((label(STAFF_PROFILE_FIELD_LABELS, name), _profile_value(name, profile[name])))
    return rows


def _profile_value(name: str, value: Any) -> str:
    if name == "legal_status":
        return label(STAFF_LEGAL_STATUS_LABELS, value)
    if name == "languages" and isinstance(value, dict):
        return language_levels(value)
    if name == "nationality":
        return country_name(value)
    if name == "residence_permit_months":
        return months_label(value)
    if name == "education_isced":
        return isced(value)
    if name == "municipality":
        municipality = load_knowledge().municipalities.get(value)
        return municipality.names.get(request_language()) if municipality else str(value)
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if name.endswith("_date") or name in ("arrival_in_belgium", "first_registration_brussels"):
        return reader_date(dt.date.fromisoformat(value))
    return str(value)


@register.filter
def role_label(role: str) -> str:
    return str(Role(role).label) if role in Role.values else role


@register.filter
def languages(levels: dict[str, Any] | None) -> str:
    """{"nl": "C2", "fr": "B1"} → "Dutch C2, French B1" in the reader's language."""
    return language_levels(levels or {})


@register.filter
def language_name(code: str) -> str:
    return label(LANGUAGE_LABELS, code)


@register.filter
def file_field(name: str) -> str:
    return label(FILE_FIELD_LABELS, name)


@register.filter
def consent_purpose(code: str) -> str:
    return label(dict(ConsentPurpose.choices), code)


@register.filter
def moment(value: str | dt.datetime | None) -> str:
    """An ISO date and time (as the export holds it) in the reader's format."""
    if not value:
        return ""
    when = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(value)
    return str(date_format(timezone.localtime(when), "DATETIME_FORMAT"))
