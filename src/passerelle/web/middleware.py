"""The engines' messages in the request's language.

`passerelle.core` translates through its own catalogue binding (`core.i18n.use_language`),
since it cannot ask Django; this middleware, after Django's LocaleMiddleware, sets it to the
language Django chose for the request, so that validation errors and rule explanations
read in French, Dutch, English or Arabic like the rest of the page.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponseBase
from django.utils import translation

from passerelle.core.i18n import language_of


class EngineLanguageMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        with language_of(translation.get_language() or "en"):
            return self.get_response(request)
