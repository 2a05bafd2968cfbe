"""What the benchmarks share: their command line, timing a call, peak memory and the
tables they print. The benchmarks run as scripts (`python benchmarks/NAME.py`), so
their own folder is on the path and they import this module as `harness`."""

from __future__ import annotations

import argparse
import resource
import time
import tracemalloc
from collections.abc import Callable, Sequence
from typing import TypeVar

T = TypeVar("T")


def arguments(doc: str | None) -> argparse.ArgumentParser:
    """A benchmark's command line, described by the first paragraph of its docstring."""
    return argparse.ArgumentParser(description=(doc or "").split("\n\n")[0])


def timed(call: Callable[[], T]) -> tuple[T, float]:
    """The call's result and its wall-clock seconds."""
    started = time.perf_counter()
    result = call()
    return result, time.perf_counter() - started


def timings(call: Callable[[], object], repeats: int) -> list[float]:
    """Wall-clock seconds of each of `repeats` calls (report the best: the machine is
    shared, and the slower runs measure the neighbours)."""
    return [timed(call)[1] for _ in range(repeats)]


def traced_peak(call: Callable[[], T]) -> tuple[T, int]:
    """The call's result and the peak bytes Python allocated during it. tracemalloc slows
    Python down: time the call in another run."""
    tracemalloc.start()
    try:
        result = call()
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def peak_rss_mib() -> float:
    """The process's peak resident memory so far, in MiB (Linux counts in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def print_table(header: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> None:
    """A plain-text table: the first and last columns (names, notes) aligned left, the
    figures between aligned right, each column as wide as its longest cell."""
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, tuple("-" * w for w in widths), *rows]:
        cells = [
            f"{cell:<{widths[i]}}" if i in (0, len(row) - 1) else f"{cell:>{widths[i]}}"
            for i, cell in enumerate(row)
        ]
        print("  ".join(cells).rstrip())
