"""Labels of the needs assessment's codes, translated."""

from __future__ import annotations

from django import template
from django.utils.translation import gettext as _

from passerelle.core.assessment import (
    ISCED_LABELS,
    LITERACY_LABELS,
    RECOGNITION_LABELS,
    SOCIAL_NEED_LABELS,
    isco_label,
)
from passerelle.web.apps.people.models import FieldGroup

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
