"""Settings chosen across populations: threshold and candidate adjustment, cross-validated.

For each population (FEBRL4, our generator, the independent one) the model is trained once
(plaintext, unsupervised as always) and its pairs clustered at several thresholds, with and
without the candidate adjustment. The setting chosen on one side (FEBRL4 and our
generator, where the engine was developed) is then measured on the other (the independent
population), and the other way round: a setting that holds only where it was chosen shows
as a drop.

    python benchmarks/linkage_robustness.py                 # 20 000 records each
    python benchmarks/linkage_robustness.py --records 200000
"""

from __future__ import annotations

import argparse
import itertools

import polars as pl

from passerelle.core.linkage.evaluate import pairwise_quality
from passerelle.core.linkage.features import plaintext_features
from passerelle.core.linkage.model import (
    CANDIDATE_FLOOR,
    _quiet_splink,
    candidate_adjusted,
    coherent_clusters,
    scored_pairs,
    train_linker,
)
from passerelle.core.linkage.synthetic import generate
from passerelle.core.linkage.synthetic_independent import generate_independent

THRESHOLDS = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)
ADJUSTMENT = (True, False)


def _febrl4() -> pl.DataFrame:
    from linkage import febrl4  # benchmarks/linkage.py, run from the benchmarks directory

    return febrl4()


def f1_grid(records: pl.DataFrame, *, lenient: bool) -> dict[tuple[float, bool], float]:
    """F1 at every (threshold, candidate adjustment) for one trained model."""
    features = plaintext_features(records, lenient_dates=lenient, placeholder_dates=not lenient)
    ids = features["unique_id"].cast(pl.String)
    with _quiet_splink():
        linker, db_api = train_linker(features, mode="plaintext")
        predictions = scored_pairs(linker, db_api, mode="plaintext", threshold=CANDIDATE_FLOOR)
        edges = pl.from_pandas(
            linker.misc.query_sql(
                "SELECT unique_id_l, unique_id_r, match_probability "
                f"FROM {predictions.physical_name}",
                output_type="pandas",
            )
        )
    adjusted = candidate_adjusted(edges)
    grid = {}
    for threshold, adjust in itertools.product(THRESHOLDS, ADJUSTMENT):
        chosen = (adjusted if adjust else edges).filter(pl.col("match_probability") >= threshold)
        clusters = coherent_clusters(ids, chosen.select(edges.columns))
        grid[(threshold, adjust)] = pairwise_quality(clusters, records).f1
    return grid


def _best(grids: list[dict[tuple[float, bool], float]]) -> tuple[float, bool]:
    """The setting with the highest mean F1 over `grids`."""
    return max(grids[0], key=lambda setting: sum(grid[setting] for grid in grids) / len(grids))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=20_000)
    args = parser.parse_args()
    grids = {
        "FEBRL4": f1_grid(_febrl4(), lenient=True),
        "own": f1_grid(generate(args.records, seed=2026), lenient=False),
        "independent": f1_grid(generate_independent(args.records, seed=2026), lenient=False),
    }
    print(f"| threshold | adjustment | {' | '.join(grids)} |  ({args.records} records)")
    print("|---|---|" + "---|" * len(grids))
    for setting in grids["own"]:
        cells = " | ".join(f"{grid[setting]:.4f}" for grid in grids.values())
        print(f"| {setting[0]} | {'yes' if setting[1] else 'no'} | {cells} |")
    print()
    development = _best([grids["FEBRL4"], grids["own"]])
    independent = _best([grids["independent"]])
    print("| chosen on | threshold | adjustment | F1 FEBRL4 | F1 own | F1 independent |")
    print("|---|---|---|---|---|---|")
    for label, setting in (("FEBRL4 + own", development), ("independent", independent)):
        print(
            f"| {label} | {setting[0]} | {'yes' if setting[1] else 'no'} | "
            + " | ".join(f"{grids[name][setting]:.4f}" for name in grids)
            + " |"
        )


if __name__ == "__main__":
    main()
