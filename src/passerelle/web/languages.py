"""Public languages and staff languages.

The public side (finder, directory, organisation and programme pages, the rights sentences)
speaks `settings.PUBLIC_LANGUAGES`; staff pages only `settings.STAFF_LANGUAGES`, since their
catalogues, e-mails, PDFs and exports are kept in those four. A staff page asked for in a
public-only language (a caseworker who read the finder in Tigrinya, then logged in) is shown
in `settings.STAFF_FALLBACK_LANGUAGE`, with its own `lang` and `dir`, rather than half
translated. See docs/i18n.md.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase
from django.utils import translation


def is_staff_path(path: str) -> bool:
    return path.startswith(tuple(settings.STAFF_PATH_PREFIXES))


def languages_for(path: str) -> tuple[str, ...]:
    """The languages a page at `path` can be read in."""
    return tuple(settings.STAFF_LANGUAGES if is_staff_path(path) else settings.PUBLIC_LANGUAGES)


def is_unreviewed(language: str) -> bool:
    return language in settings.UNREVIEWED_LANGUAGES


class StaffLanguageMiddleware:
    """After Django's LocaleMiddleware: staff pages fall back from a public-only language."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        language = translation.get_language() or settings.LANGUAGE_CODE
        if is_staff_path(request.path) and language not in settings.STAFF_LANGUAGES:
            language = settings.STAFF_FALLBACK_LANGUAGE
            translation.activate(language)
            request.LANGUAGE_CODE = language
        return self.get_response(request)


def reader_languages(request: HttpRequest) -> dict[str, Any]:
    """The switcher's choices for this page, and whether its interface is an unreviewed
    machine translation, with the original to offer (French, the site's reference language).
    A view showing translated content may set both names too."""
    language = translation.get_language() or settings.LANGUAGE_CODE
    return {
        "switcher_language_codes": languages_for(request.path),
        "unreviewed_translation": is_unreviewed(language) and not is_staff_path(request.path),
        "original_language": settings.LANGUAGE_CODE,
    }
