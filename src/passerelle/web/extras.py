"""A page that needs an optional extra which is not installed (passerelle.core.extras)
answers 503 with a page naming the extra to install, instead of a server error; under
/api/ the same in the API's JSON shape."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from passerelle.core.extras import extra_of

logger = logging.getLogger(__name__)


def extra_missing_message(extra: str) -> str:
    return _(
        "This part of passerelle needs the optional “%(extra)s” component, which is not "
        "installed on this server. The administrator installs it with: "
        "pip install 'passerelle[%(extra)s]'"
    ) % {"extra": extra}


class ExtraMissingMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        extra = extra_of(exception)
        if extra is None:
            return None
        logger.warning("%s needs the %s extra, not installed", request.path, extra)
        message = extra_missing_message(extra)
        if request.path.startswith("/api/"):
            item = {"loc": ["server"], "msg": message, "type": "extra_missing"}
            return JsonResponse({"detail": [item]}, status=503)
        return render(
            request, "errors/extra_missing.html", {"extra": extra, "message": message}, status=503
        )
