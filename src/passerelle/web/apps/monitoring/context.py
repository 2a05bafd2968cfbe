"""The demonstration banner's flag, for every page (base.html)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest


def demonstration(request: HttpRequest) -> dict[str, Any]:
    return {"demonstration": bool(getattr(settings, "PASSERELLE_DEMONSTRATION", False))}
