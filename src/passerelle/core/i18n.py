"""Marking user-facing text for translation without tying the engines to Django.

Engines produce English text through `_`; the web layer and the CLI install the catalogue of
the reader's language (`with language_of(...)`). Message ids are the English strings.
"""

from __future__ import annotations

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


def _catalogue(language: str) -> gettext.NullTranslations:
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
