"""WSGI entry point: `gunicorn passerelle.web.config.wsgi`.

Everything a first request would otherwise load is loaded here, before the server takes
requests: every URL pattern (and so every view module) and the knowledge base. With
`gunicorn --preload` this happens once, in the master, and the workers share it; without,
each worker does it as it boots rather than while a request waits (seconds of CPU).
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "passerelle.web.config.settings.dev")
django_application = get_wsgi_application()
"""Django's own handler, every request through the whole stack."""


def _with_kept_pages() -> object:
    # Imported after Django's set-up: the wrapper reads the settings and the page cache.
    from passerelle.web.apps.directory.kept_pages_wsgi import KeptPagesApplication

    return KeptPagesApplication(django_application)


application = _with_kept_pages()
"""What gunicorn serves: kept public pages answered first (directory/kept_pages_wsgi.py)."""


def _warm_up() -> None:
    from django.urls import get_resolver

    from passerelle.knowledge.loader import load_knowledge

    get_resolver().url_patterns  # noqa: B018 - imports the URLconf and every view
    load_knowledge()


_warm_up()
