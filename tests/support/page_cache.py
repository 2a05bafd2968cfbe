"""A real page cache for the tests of kept public pages (the test settings keep none)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import cache


@pytest.fixture
def kept_pages(settings: Any) -> Iterator[None]:
    """Pages kept in memory for one test, an hour each."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "kept-pages-test",
        },
        "ratelimit": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    }
    settings.DIRECTORY_CACHE_SECONDS = 3600
    cache.clear()
    yield
    cache.clear()
