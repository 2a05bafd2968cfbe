"""Marking user-facing text for translation without tying the engines to Django.

Engines produce English text through `_`; the web layer and the CLI install the catalogue of
the reader's language (`with language_of(...)`). Message ids are the English strings.
"""

from __future__ import annotations

import datetime as dt
import functools
import gettext
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
DOMAIN = "django"  # one catalogue for the engines and the web layer

_ENGLISH = gettext.NullTranslations()
_translations: ContextVar[gettext.NullTranslations | None] = ContextVar(
    "passerelle_translations", default=None
)


_language_of: weakref.WeakKeyDictionary[gettext.NullTranslations, str] = weakref.WeakKeyDictionary()


def _locale_name(language: str) -> str:
    """The catalogue directory of a language code, as Django names it: "fa-af" -> "fa_AF"."""
    base, _sep, region = language.partition("-")
    return f"{base}_{region.upper()}" if region else base


@functools.cache
def _catalogue(language: str) -> gettext.NullTranslations:
    """Once per language and process: `gettext.translation` looks for the files on disk at
    each call, which cost every public request about 0.3 ms (docs/benchmarks.md)."""
    catalogue = gettext.translation(
        DOMAIN, LOCALE_DIR, languages=[_locale_name(language)], fallback=True
    )
    _language_of[catalogue] = language
    return catalogue


def current_language() -> str:
    """The language engine messages are translated into in this context ("en" by default)."""
    catalogue = _translations.get()
    return "en" if catalogue is None else _language_of.get(catalogue, "en")


@contextmanager
def language_of(language: str) -> Iterator[None]:
    """Engine messages in `language` inside the block, as they were after it (per request)."""
    token = _translations.set(_catalogue(language))
    try:
        yield
    finally:
        _translations.reset(token)


def _(message: str) -> str:
    return (_translations.get() or _ENGLISH).gettext(message)


def country_name(code: str) -> str:
    """A country's name in the current language, from pycountry's ISO 3166 catalogues (a
    reader sees "Syria", "Syrië" or "سوريا", never "SY"); the code when it is unknown."""
    import pycountry  # the rules engine's own dependency; loaded only when a name is shown

    country = pycountry.countries.get(alpha_2=code.upper())
    if country is None:
        return code
    language = current_language()
    english = str(getattr(country, "common_name", None) or country.name)
    if language == "en":
        return english
    catalogue = gettext.translation(
        "iso3166-1", pycountry.LOCALES_DIR, languages=[_locale_name(language)], fallback=True
    )
    for name in (english, str(country.name)):
        translated = catalogue.gettext(name)
        if translated != name:
            return translated
    return english


def gettext_noop(message: str) -> str:
    """Mark a string for extraction where it is translated later, with `_()` at use."""
    return message


COMMA_DECIMAL_LANGUAGES = frozenset({"fr", "nl", "uk"})
"""Languages that write a decimal comma. Django's locale formats say the same for pages
(web/formats, docs/i18n.md); the engines cannot read them, so the few languages are named
here. Every language keeps Latin digits (docs/i18n.md, "Numbers")."""


def decimal(value: float, places: int, *, signed: bool = False) -> str:
    """`value` rounded to `places` decimals with the decimal mark of the engines' current
    language: "12,3" in French, "12.3" in English and Arabic."""
    text = f"{value:+.{places}f}" if signed else f"{value:.{places}f}"
    return text.replace(".", ",") if current_language() in COMMA_DECIMAL_LANGUAGES else text


def pgettext(context: str, message: str) -> str:
    """`message` translated in `context` (a month name inside a date is not the same word as
    a month on its own in Ukrainian, for example)."""
    return (_translations.get() or _ENGLISH).pgettext(context, message)


def _month_in_date(month: int) -> str:
    # Each name literal inside pgettext() so that makemessages extracts it (docs/i18n.md).
    return (
        pgettext("month in a date", "January"),
        pgettext("month in a date", "February"),
        pgettext("month in a date", "March"),
        pgettext("month in a date", "April"),
        pgettext("month in a date", "May"),
        pgettext("month in a date", "June"),
        pgettext("month in a date", "July"),
        pgettext("month in a date", "August"),
        pgettext("month in a date", "September"),
        pgettext("month in a date", "October"),
        pgettext("month in a date", "November"),
        pgettext("month in a date", "December"),
    )[month - 1]


def _month_alone(month: int) -> str:
    return (
        pgettext("month and year", "January"),
        pgettext("month and year", "February"),
        pgettext("month and year", "March"),
        pgettext("month and year", "April"),
        pgettext("month and year", "May"),
        pgettext("month and year", "June"),
        pgettext("month and year", "July"),
        pgettext("month and year", "August"),
        pgettext("month and year", "September"),
        pgettext("month and year", "October"),
        pgettext("month and year", "November"),
        pgettext("month and year", "December"),
    )[month - 1]


def long_date(value: dt.date, precision: str = "day") -> str:
    """A date as a reader reads it, in the engines' current language: "20 janvier 2023",
    "1er juin 2023", "20 januari 2023", "20 يناير 2023"; "juin 2023" or "2023" for a date
    known to the month or the year. Month names are CLDR's (docs/i18n.md, "Dates"); digits
    stay Latin in every language."""
    if precision == "year":
        return str(value.year)
    if precision == "month":
        return _("{month} {year}").format(month=_month_alone(value.month), year=value.year)
    # French writes the first day of a month as an ordinal ("1er juin"); the catalogue says so.
    day = pgettext("first day of a month", "1") if value.day == 1 else str(value.day)
    return _("{day} {month} {year}").format(
        day=day, month=_month_in_date(value.month), year=value.year
    )


def reader_date(value: object) -> str:
    """`long_date` of a `datetime.date`, or of a date known to a year, a month or a day (an
    object with `first_day` and `precision`, as knowledge's PartialDate); `str()` otherwise."""
    if isinstance(value, dt.datetime):
        return long_date(value.date())
    if isinstance(value, dt.date):
        return long_date(value)
    first_day = getattr(value, "first_day", None)
    if isinstance(first_day, dt.date):
        return long_date(first_day, str(getattr(value, "precision", "day")))
    return str(value)
