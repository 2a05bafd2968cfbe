"""Pairwise quality of a clustering against ground truth, and the recall of blocking."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl


@dataclass(frozen=True)
class PairwiseQuality:
    true_pairs: int
    predicted_pairs: int
    correct_pairs: int

    @property
    def precision(self) -> float:
        return self.correct_pairs / self.predicted_pairs if self.predicted_pairs else 1.0

    @property
    def recall(self) -> float:
        return self.correct_pairs / self.true_pairs if self.true_pairs else 1.0

    @property
    def f1(self) -> float:
        total = self.precision + self.recall
        return 2 * self.precision * self.recall / total if total else 0.0


def _pairs(counts: pl.Series) -> int:
    return int((counts * (counts - 1) // 2).sum())


def pairwise_quality(clusters: pl.DataFrame, truth: pl.DataFrame) -> PairwiseQuality:
    """Compare `clusters` (record_id, cluster_id) with `truth` (record_id, person_id).

    A pair of records is predicted when both are in one cluster, and true when both belong
    to one person; precision, recall and F1 are over pairs.
    """
    joined = clusters.select("record_id", "cluster_id").join(
        truth.select("record_id", "person_id"), on="record_id", how="inner"
    )
    predicted = _pairs(joined.group_by("cluster_id").len()["len"])
    true = _pairs(joined.group_by("person_id").len()["len"])
    correct = _pairs(joined.group_by("cluster_id", "person_id").len()["len"])
    return PairwiseQuality(true_pairs=true, predicted_pairs=predicted, correct_pairs=correct)


def blocking_recall(
    features: pl.DataFrame, truth: pl.DataFrame, rules: tuple[tuple[str, ...], ...]
) -> float:
    """The share of true pairs that at least one blocking rule puts in the same block.

    `features` has `unique_id` and the blocking columns; `truth` has record_id, person_id.
    """
    keyed = features.join(
        truth.select(pl.col("record_id").alias("unique_id"), "person_id"), on="unique_id"
    )
    left = keyed.rename({c: f"{c}_l" for c in keyed.columns if c != "person_id"})
    right = keyed.rename({c: f"{c}_r" for c in keyed.columns if c != "person_id"})
    pairs = left.join(right, on="person_id").filter(pl.col("unique_id_l") < pl.col("unique_id_r"))
    if pairs.height == 0:
        return 1.0
    kept = pl.lit(False)
    for rule in rules:
        same = pl.lit(True)
        for key in rule:
            left_key, right_key = pl.col(f"{key}_l"), pl.col(f"{key}_r")
            if isinstance(features.schema[key], pl.List):  # exploded: any shared key
                equal = left_key.list.set_intersection(right_key).list.len() > 0
            else:
                equal = left_key == right_key
            same = same & equal.fill_null(False)
        kept = kept | same
    return float(pairs.select(kept.mean()).item())
