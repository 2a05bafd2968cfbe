"""Template helpers: content in the visitor's language, or another with a visible marker."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import get_language, get_language_bidi, gettext, ngettext

from passerelle.knowledge.dates import PartialDate
from passerelle.web.common.labels import reader_date

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


def is_proper_name(texts: dict[str, Any] | None) -> bool:
    """A name the records give identically in French, Dutch and English (an organisation's
    own name), which is shown as it is in every language, without a language marker."""
    if not texts:
        return False
    names = {texts.get(code) for code in ("fr", "nl", "en")}
    return len(names) == 1 and None not in names and "" not in names


RTL_LANGUAGES = frozenset({"ar", "fa-af", "ps"})
FIRST_STRONG_ISOLATE = "\u2068"
POP_DIRECTIONAL_ISOLATE = "\u2069"


def _direction(code: str) -> str:
    return "rtl" if code in RTL_LANGUAGES else "ltr"


def page_language() -> str:
    """The page's language as Django names it ("fr", "fa-af")."""
    return (get_language() or "fr").lower()


@register.simple_tag
def foreign_attrs(language: str | None) -> SafeString:
    """` lang="…" dir="…"` for an element holding text in `language`, or nothing when that
    is the page's language (`dir` only when the direction differs too). An unknown language
    (None or "") gives nothing: better no claim than a false one."""
    code = (language or "").lower()
    page = page_language()
    if not code or code == page:
        return SafeString("")
    if _direction(code) == _direction(page):
        return format_html(' lang="{}"', code)
    return format_html(' lang="{}" dir="{}"', code, _direction(code))


@register.simple_tag
def foreign(text: object, language: str | None) -> SafeString:
    """`text`, written in `language`, in a `<span lang dir>` when that is not the page's
    language (see `foreign_attrs`), so that a screen reader switches voice and the text
    keeps its direction; as it is otherwise."""
    attrs = foreign_attrs(language)
    if not attrs:
        return format_html("{}", text)
    return format_html("<span{}>{}</span>", attrs, text)


@register.simple_tag
def localised(texts: dict[str, Any] | None) -> SafeString:
    """The text in the current language; otherwise another one, marked with its `lang`
    and a visible language code so that screen readers and people both know."""
    language = page_language()
    code, value = pick_language(texts, language)
    if code == language:
        return format_html("{}", value)
    if is_proper_name(texts):
        # "Actiris", "Duo for a Job": the same name in every language is not English.
        return format_html("<bdi>{}</bdi>", value)
    # The marker is for sighted readers; a screen reader learns the language from `lang`
    # and would otherwise read the badge into link and heading names ("Actiris EN").
    return format_html(
        '{} <span class="lang-marker" aria-hidden="true">{}</span>',
        _marked(code, value),
        code.upper(),
    )


def _marked(code: str, value: str) -> SafeString:
    # The fallback text always names its language and direction (the marker's promise).
    return format_html('<span lang="{}" dir="{}">{}</span>', code, _direction(code), value)


@register.filter
def localised_text(texts: dict[str, Any] | None) -> str:
    """`localised` as plain text, for places that hold no markup (`<title>`, attributes).
    A text in a language of the other direction is isolated with Unicode bidi controls,
    the only way to keep "Actiris" whole at the start of an Arabic title."""
    language = page_language()
    code, value = pick_language(texts, language)
    if code != language and _direction(code) != _direction(language):
        return f"{FIRST_STRONG_ISOLATE}{value}{POP_DIRECTIONAL_ISOLATE}"
    return value


@register.simple_tag
def arrow() -> str:
    """ "→" along the reading direction: "←" on right-to-left pages, where "draft → sent"
    would point from the second step back to the first. Put each side in `<bdi>` so
    that Latin words around it do not turn the arrow's run left-to-right again."""
    return "←" if get_language_bidi() else "→"


@register.filter
def partial_date(value: object) -> str:
    """A date as precise as its source: 2012, juin 2018 or 1er juin 2019, per language."""
    if not value:
        return ""
    return reader_date(PartialDate.parse(value))


@register.filter
def iso_date(value: dt.date | str | None) -> str:
    if not value:
        return ""
    return reader_date(value if isinstance(value, dt.date) else dt.date.fromisoformat(value))


def _amount_text(value: float, unit: str) -> str:
    number = int(value) if float(value).is_integer() else value
    # A fraction takes the general plural form (in Arabic too, where 2 is the dual).
    count = int(value) if float(value).is_integer() else 100
    texts = {
        "hours": ngettext("%(n)s hour", "%(n)s hours", count),
        "days": ngettext("%(n)s day", "%(n)s days", count),
        "weeks": ngettext("%(n)s week", "%(n)s weeks", count),
        "months": ngettext("%(n)s month", "%(n)s months", count),
        "years": ngettext("%(n)s year", "%(n)s years", count),
        "people": ngettext("%(n)s person", "%(n)s people", count),
        "dossiers": ngettext("%(n)s file", "%(n)s files", count),
    }
    return texts.get(unit, "%(n)s " + unit) % {"n": number}


def _per_text(per: str | None) -> str:
    texts = {
        "day": gettext("per day"),
        "week": gettext("per week"),
        "month": gettext("per month"),
        "year": gettext("per year"),
        "session": gettext("per session"),
    }
    return texts.get(per or "", "")


@register.filter
def quantity(value: dict[str, Any] | None) -> str:
    """A sourced quantity such as a duration or a capacity, in words: "2 weeks",
    "about 6 000 people per year"."""
    if not value:
        return ""
    text = _amount_text(value["value"], value["unit"])
    per = _per_text(value.get("per"))
    if per:
        text = f"{text} {per}"
    if value.get("approximate"):
        text = gettext("about %(quantity)s") % {"quantity": text}
    return text


@register.filter
def money(value: dict[str, Any] | None) -> str:
    """A cost or allowance in words: "allowance: €25 per day", "free"."""
    if not value:
        return ""
    kinds = {
        "free": gettext("free"),
        "allowance": gettext("allowance"),
        "fee": gettext("fee"),
        "unpaid": gettext("unpaid"),
    }
    text = str(kinds.get(value["kind"], value["kind"]))
    amount = value.get("amount_eur")
    if amount is not None:
        shown = int(amount) if float(amount).is_integer() else amount
        text = gettext("%(kind)s: €%(amount)s %(per)s") % {
            "kind": text,
            "amount": shown,
            "per": _per_text(value.get("per")),
        }
    return text.strip()


@register.filter
def exemptions_open(form: Any, missing: list[str] | None) -> bool:
    """Whether the finder opens the integration exemptions (see `FinderForm`)."""
    opened = getattr(form, "exemptions_open", None)
    return bool(opened(missing)) if callable(opened) else False


@register.filter
def described_widget(field: Any) -> SafeString:
    """The field's widget pointing (`aria-describedby`) at its help and its error, the ids
    `directory/_field.html` gives them, so that both are read when the field takes focus."""
    ids = []
    if field.help_text:
        ids.append(f"{field.auto_id}_helptext")
    if field.errors:
        ids.append(f"{field.auto_id}_error")
    attrs = {"aria-describedby": " ".join(ids)} if ids else None
    return field.as_widget(attrs=attrs)  # type: ignore[no-any-return]
