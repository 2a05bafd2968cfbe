"""Start Django from the command line or a script (settings default to dev)."""

from __future__ import annotations

import os


def django_setup(settings: str = "passerelle.web.config.settings.dev") -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", settings)
    import django

    django.setup()
