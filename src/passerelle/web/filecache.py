"""The cache on disk that the worker processes of one server share (settings.CACHES).

Django's FileBasedCache lists its whole directory at every write to decide whether to cull
(`_cull`), a cost that grows with the entries: with thousands of public pages kept, each
new page cost more to store than to render (benchmarks/web_cpu.py, docs/benchmarks.md).
Here a cache culls at its first write and then at every CULL_EVERY-th, so the directory
may exceed MAX_ENTRIES by at most that many entries per worker between two culls.
"""

from __future__ import annotations

from typing import Any

from django.core.cache.backends.filebased import FileBasedCache

CULL_EVERY = 500


class SharedFileCache(FileBasedCache):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._writes = 0

    def _cull(self) -> None:
        self._writes += 1
        if self._writes % CULL_EVERY == 1:
            super()._cull()  # type: ignore[misc]  # private in the stubs, present in Django
