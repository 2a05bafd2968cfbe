"""Template helpers: content in the visitor's language, or another with a visible marker."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import template
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import get_language

from passerelle.knowledge.dates import PartialDate

register = template.Library()

FALLBACK_ORDER = ("en", "fr", "nl", "ar")


def pick_language(texts: dict[str, Any] | None, language: str) -> tuple[str, str]:
    """(language, text): the visitor's language if the data has it, else a fallback."""
    if not texts:
        return language, ""
    for code in (language, *FALLBACK_ORDER):
        value = texts.get(code)
        if isinstance(value, str) and value:
            return code, value
    return language, ""


@register.simple_tag
def localised(texts: dict[str, Any] | None) -> SafeString:
    """The text in the current language; otherwise another one, marked with its `lang`
    and a visible language code so that screen readers and people both know."""
    language = (get_language() or "fr")[:2]
    code, value = pick_language(texts, language)
    if code == language:
        return format_html("{}", value)
    return format_html(
        '<span lang="{}" dir="{}">{}</span> <span class="lang-marker">{}</span>',
        code,
        "rtl" if code == "ar" else "ltr",
        value,
        code.upper(),
    )


@register.filter
def partial_date(value: object) -> str:
    """A date as precise as its source: 2012, March 2018 or 12 May 2019, per locale."""
    if not value:
        return ""
    parsed = PartialDate.parse(value)
    if parsed.precision == "year":
        return str(parsed.first_day.year)
    if parsed.precision == "month":
        return date_format(parsed.first_day, "YEAR_MONTH_FORMAT")
    return date_format(parsed.first_day, "DATE_FORMAT")


@register.filter
def iso_date(value: dt.date | str | None) -> str:
    if not value:
        return ""
    day = value if isinstance(value, dt.date) else dt.date.fromisoformat(value)
    return date_format(day, "DATE_FORMAT")
