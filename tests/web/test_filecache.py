"""The shared file cache lists its directory to cull now and then, not at every write (a
cost that grew with every public page kept), and still culls."""

from __future__ import annotations

from pathlib import Path

import pytest

from passerelle.web import filecache
from passerelle.web.filecache import SharedFileCache


def test_writes_do_not_list_the_directory_each_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = SharedFileCache(str(tmp_path), {"OPTIONS": {"MAX_ENTRIES": 1000}})
    listings = []
    original = cache._list_cache_files
    monkeypatch.setattr(cache, "_list_cache_files", lambda: listings.append(1) or original())
    for n in range(50):
        cache.set(f"page-{n}", "x" * 100)
    assert len(listings) == 1
    assert cache.get("page-49") == "x" * 100


def test_the_directory_is_still_culled(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(filecache, "CULL_EVERY", 5)
    cache = SharedFileCache(str(tmp_path), {"OPTIONS": {"MAX_ENTRIES": 10, "CULL_FREQUENCY": 2}})
    for n in range(60):
        cache.set(f"page-{n}", n)
    assert len(list(tmp_path.glob("*.djcache"))) <= 10 + 5
