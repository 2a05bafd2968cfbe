"""How far can pairwise comparisons go? Our model beside classifiers that see the truth.

The linkage model is unsupervised (Fellegi-Sunter, EM). To tell how much of its remaining
error is the model's and how much is in the information the comparisons carry, this
benchmark scores the candidate pairs of the synthetic population once (our blocking, our
comparison levels, the household veto) and clusters them the same way
(`coherent_clusters`) with three sets of match probabilities:

1. our model's (with its candidate adjustment);
2. a gradient-boosted classifier trained on the ground truth, on the same comparison
   levels, match weight and number of candidates;
3. the same classifier with name features the model does not have: where the shared
   tokens stand, how many tokens each record has and shares, and how many records of the
   data hold the same name, name skeletons, first-and-last-name pair, and pair with the
   birth year.

The classifiers are cross-fitted (each half of the pairs is scored by a classifier trained
on the other half). They see the truth: they are ceilings for what a model could do with
these pairs, not methods. Synthetic data only (see synthetic.py).

    python benchmarks/linkage_ceiling.py                    # 200 000 records
    python benchmarks/linkage_ceiling.py --records 1000000  # about 10 minutes
    python benchmarks/linkage_ceiling.py --population independent --records 20000

`--population independent` does the same on the independent population
(`synthetic_independent.py`, never tuned on); `benchmarks/linkage_misses.py` says which of
its true pairs carry evidence at all.
"""

from __future__ import annotations

import argparse
import time
from typing import get_args

import numpy as np
import polars as pl

from passerelle.core.linkage import DEFAULT_THRESHOLD
from passerelle.core.linkage.evaluate import pairwise_quality
from passerelle.core.linkage.features import plaintext_features
from passerelle.core.linkage.model import (
    CANDIDATE_FLOOR,
    _quiet_splink,
    candidate_adjusted,
    coherent_clusters,
    household_veto_sql,
    train_linker,
)
from passerelle.core.linkage.synthetic import NameSpread, generate
from passerelle.core.linkage.synthetic_independent import generate_independent

LOWEST_PROBABILITY = CANDIDATE_FLOOR  # pairs scored below are left out (as non-matches)
THRESHOLDS = (0.3, 0.4, DEFAULT_THRESHOLD)


def candidate_pairs(features: pl.DataFrame) -> pl.DataFrame:
    """Candidate pairs at or above `LOWEST_PROBABILITY` with their comparison levels, after
    the household veto, and the model's candidate adjustment (`adjusted_probability`)."""
    with _quiet_splink():
        linker, _ = train_linker(features, mode="plaintext")
        predictions = linker.inference.predict(threshold_match_probability=LOWEST_PROBABILITY)
        frame = linker.misc.query_sql(
            "SELECT unique_id_l, unique_id_r, match_probability, match_weight, gamma_name, "
            "gamma_birth_date, gamma_postcode, gamma_phone "
            f"FROM {predictions.physical_name} "
            f"WHERE NOT coalesce({household_veto_sql('plaintext')}, false)",
            output_type="pandas",
        )
    scored = pl.from_pandas(frame)
    adjusted = candidate_adjusted(scored.select("unique_id_l", "unique_id_r", "match_probability"))
    return scored.join(
        adjusted.select(
            "unique_id_l", "unique_id_r", "candidates", adjusted_probability="match_probability"
        ),
        on=["unique_id_l", "unique_id_r"],
    )


def name_features(features: pl.DataFrame, pairs: pl.DataFrame) -> tuple[pl.DataFrame, list[str]]:
    """`pairs` with the name features of classifier 3 (see the module docstring)."""

    def log_count(*columns: str) -> pl.Expr:
        return pl.len().over(*columns).cast(pl.Float64).log()

    per_record = features.select(
        "unique_id",
        "first_given",
        "last_family",
        "name_skels",
        log_count("name_text").alias("count_text"),
        log_count("name_key").alias("count_key"),
        log_count("blk_names").alias("count_pair"),
        log_count("blk_names", "dob_year").alias("count_pair_year"),
    )
    counts = ["count_text", "count_key", "count_pair", "count_pair_year"]
    left = per_record.rename({c: f"{c}_l" for c in per_record.columns})
    right = per_record.rename({c: f"{c}_r" for c in per_record.columns})
    both = pairs.join(left, on="unique_id_l").join(right, on="unique_id_r")
    tokens_l, tokens_r = pl.col("name_skels_l"), pl.col("name_skels_r")
    both = both.with_columns(
        same_first=(pl.col("first_given_l") == pl.col("first_given_r")).fill_null(False),
        same_last=(pl.col("last_family_l") == pl.col("last_family_r")).fill_null(False),
        first_among_other=(
            tokens_r.list.contains(pl.col("first_given_l"))
            | tokens_l.list.contains(pl.col("first_given_r"))
        ).fill_null(False),
        shared=tokens_l.list.set_intersection(tokens_r).list.len(),
        fewer=pl.min_horizontal(tokens_l.list.len(), tokens_r.list.len()),
        more=pl.max_horizontal(tokens_l.list.len(), tokens_r.list.len()),
    )
    extra = ["same_first", "same_last", "first_among_other", "shared", "fewer", "more"]
    extra += [f"{c}_{side}" for c in counts for side in ("l", "r")]
    return both, extra


def cross_fitted(pairs: pl.DataFrame, columns: list[str], truth: np.ndarray) -> np.ndarray:
    from sklearn.ensemble import HistGradientBoostingClassifier

    matrix = pairs.select(columns).cast(pl.Float64).fill_null(-9.0).to_numpy()
    half = (pairs["unique_id_l"].hash(seed=1) % 2).to_numpy()
    probability = np.zeros(len(truth))
    for fold in (0, 1):
        model = HistGradientBoostingClassifier(max_iter=200, random_state=1)
        model.fit(matrix[half != fold], truth[half != fold])
        probability[half == fold] = model.predict_proba(matrix[half == fold])[:, 1]
    return probability


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--names", choices=get_args(NameSpread), default="realistic")
    parser.add_argument("--population", choices=("own", "independent"), default="own")
    args = parser.parse_args()

    start = time.perf_counter()
    if args.population == "independent":
        records = generate_independent(args.records, seed=args.seed)
    else:
        records = generate(args.records, seed=args.seed, names=args.names)
    features = plaintext_features(records)
    pairs = candidate_pairs(features)
    left = records.select(unique_id_l="record_id", person_l="person_id")
    right = records.select(unique_id_r="record_id", person_r="person_id")
    pairs = (
        pairs.join(left, on="unique_id_l")
        .join(right, on="unique_id_r")
        .with_columns(match=pl.col("person_l") == pl.col("person_r"))
    )
    levels = [
        *("gamma_name", "gamma_birth_date", "gamma_postcode", "gamma_phone"),
        *("match_weight", "candidates"),
    ]
    pairs, extra = name_features(features, pairs)
    truth = pairs["match"].to_numpy()  # after the joins, which need not keep the order
    print(
        f"{args.population} population, {args.records} records, {pairs.height} candidate pairs "
        f"(probability ≥ {LOWEST_PROBABILITY}), {time.perf_counter() - start:.0f} s",
        flush=True,
    )
    methods = {
        "our model (unsupervised)": pairs["adjusted_probability"].to_numpy(),
        "classifier on our levels": cross_fitted(pairs, levels, truth),
        "classifier, more name features": cross_fitted(pairs, levels + extra, truth),
    }
    ids = records["record_id"]
    print("\n| probabilities | threshold | precision | recall | F1 |\n|---|---:|---:|---:|---:|")
    for method, probability in methods.items():
        scored = pairs.select("unique_id_l", "unique_id_r").with_columns(
            match_probability=pl.Series(probability)
        )
        for threshold in THRESHOLDS:
            edges = scored.filter(pl.col("match_probability") >= threshold)
            quality = pairwise_quality(coherent_clusters(ids, edges), records)
            print(
                f"| {method} | {threshold} | {quality.precision:.4f} | {quality.recall:.4f} "
                f"| {quality.f1:.4f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
