"""System checks of the analysis side: a production deployment never shows synthetic
figures as its own."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, register


@register()
def demonstration_not_in_production(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    if getattr(settings, "PASSERELLE_PRODUCTION", False) and getattr(
        settings, "PASSERELLE_DEMONSTRATION", False
    ):
        return [
            Error(
                "PASSERELLE_DEMONSTRATION is True in production settings: the analysis pages "
                "would show the synthetic cohort instead of the platform's records.",
                hint="Set PASSERELLE_DEMONSTRATION = False (only development and `make demo` "
                "are demonstrations).",
                id="monitoring.E001",
            )
        ]
    return []
