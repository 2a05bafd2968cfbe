"""Labels of the needs assessment's codes, translated."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import template
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from passerelle.core.assessment import (
    ISCED_LABELS,
    LITERACY_LABELS,
    RECOGNITION_LABELS,
    SOCIAL_NEED_LABELS,
    isco_label,
)
from passerelle.knowledge.loader import load_knowledge
from passerelle.web.apps.accounts.models import Role
from passerelle.web.apps.people.models import FieldGroup
from passerelle.web.common.labels import (
    LANGUAGE_LABELS,
    LEGAL_STATUS_LABELS,
    PROFILE_FIELD_LABELS,
)

register = template.Library()


@register.filter
def isco(code: str) -> str:
    return f"{code} · {_(isco_label(str(code)))}"


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
def field_groups(names: list[str]) -> str:
    labels = dict(FieldGroup.choices)
    return ", ".join(str(labels.get(name, name)) for name in names)


@register.filter
def profile_rows(profile: dict[str, Any]) -> list[tuple[str, str]]:
    """The rules' profile as (label, value) rows in the reader's language."""
    rows = []
    for name, value in profile.items():
        rows.append((str(PROFILE_FIELD_LABELS.get(name, name)), _profile_value(name, value)))
    return rows


def _profile_value(name: str, value: Any) -> str:
    if name == "legal_status":
        return str(LEGAL_STATUS_LABELS.get(value, value))
    if name == "languages" and isinstance(value, dict):
        return ", ".join(
            f"{LANGUAGE_LABELS.get(code, code)} {level}" for code, level in value.items()
        )
    if name == "education_isced":
        return isced(value)
    if name == "municipality":
        municipality = load_knowledge().municipalities.get(value)
        return municipality.names.fr if municipality else str(value)
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if name.endswith("_date") or name in ("arrival_in_belgium", "first_registration_brussels"):
        return str(date_format(dt.date.fromisoformat(value), "DATE_FORMAT"))
    return str(value)


@register.filter
def role_label(role: str) -> str:
    return str(Role(role).label) if role in Role.values else role
