"""A worker killed mid-import, for the import jobs' tests: the first rows of a bulk insert
are written, then the process dies without any handler running (what SIGKILL does)."""

from __future__ import annotations

from typing import Any

import pytest


class WorkerKilledError(BaseException):
    """What SIGKILL does to the task: no handler runs, the transaction is abandoned."""


def die_mid_bulk_create(monkeypatch: pytest.MonkeyPatch, manager: Any) -> Any:
    """Make `manager.bulk_create` write one row and die; return the real one, to restore."""
    real = manager.bulk_create

    def dying(objects: list[Any], **kwargs: Any) -> Any:
        real(objects[:1], **kwargs)  # some rows are written, then the process dies
        raise WorkerKilledError

    monkeypatch.setattr(manager, "bulk_create", dying)
    return real
