"""Which true pairs does the linkage miss, why, and which could any method find?

Runs the engine's own steps (plaintext mode: features, blocking, trained model, household
veto, candidate adjustment, coherent clusters, threshold 0.5; the F1 printed is the one
`dedupe` gives) on the independent population (`synthetic_independent.py`, which records
the kinds of error it injected into each record), and prints four tables:

1. **Where each missed true pair is lost**: no blocking key in common at all; a key in
   common that a block cap dropped; the household veto; scored below the candidate floor;
   below the threshold before the candidate adjustment; pushed below it by the adjustment;
   linked but cut by cluster coherence.
2. **The evidence a true pair carries**, from its fields alone (not from the model), in
   tiers: names (a token skeleton in common, or a token within Jaro-Winkler 0.88), birth
   dates (agreeing: same or day/month swapped or one digit apart or same year; missing on
   one side; contradicting: both known, other years), contact (same phone or postcode).
   For each tier, how many true pairs, how many the engine finds, and the F1 of an
   **oracle** that links exactly the true pairs of that tier and the tiers above (and
   nothing false): the ceiling of any method that needs that much evidence.
3. **Error kinds**: for each kind injected (into either record of a pair), the true pairs
   with it, the share missed, and its share of all misses.
4. The model's prior (probability that two random records match) and the candidate
   adjustment's mean, which change with the number of records.

    python benchmarks/linkage_misses.py                    # 20 000 records
    python benchmarks/linkage_misses.py --records 200000   # about as long as one dedupe

Synthetic data only (see synthetic_independent.py).
"""

from __future__ import annotations

import argparse
import itertools
import time

import duckdb
import polars as pl

from passerelle.core.linkage import DEFAULT_THRESHOLD
from passerelle.core.linkage.evaluate import pairwise_quality
from passerelle.core.linkage.features import ARRAY_BLOCKING_COLUMNS, plaintext_features
from passerelle.core.linkage.model import (
    CANDIDATE_FLOOR,
    _quiet_splink,
    candidate_adjusted,
    coherent_clusters,
    household_veto_sql,
    level_numbers,
    train_linker,
)
from passerelle.core.linkage.synthetic_independent import generate_independent

NAME_CLOSE = 0.88  # the model's Jaro-Winkler threshold for "close" names (skeletons)
BLOCK_COLUMNS = (*ARRAY_BLOCKING_COLUMNS, "phone")
PAIR_ID = ["unique_id_l", "unique_id_r"]


def true_pairs(records: pl.DataFrame) -> pl.DataFrame:
    ids = records.select(unique_id="record_id", person="person_id", errors="errors")
    return (
        ids.join(ids, on="person", suffix="_r")
        .filter(pl.col("unique_id") < pl.col("unique_id_r"))
        .rename({"unique_id": "unique_id_l", "errors": "errors_l"})
    )


def shares_key(pairs: pl.DataFrame, features: pl.DataFrame, suffix: str) -> pl.DataFrame:
    """`pairs` with a boolean column `blocked{suffix}`: one blocking key in common."""
    keys = features.select("unique_id", *BLOCK_COLUMNS)
    both = pairs.join(keys.rename(lambda c: f"{c}_l"), on="unique_id_l").join(
        keys.rename(lambda c: f"{c}_r"), on="unique_id_r"
    )
    shared = pl.lit(False)
    for column in BLOCK_COLUMNS:
        left, right = pl.col(f"{column}_l"), pl.col(f"{column}_r")
        if column == "phone":
            same = left == right
        else:
            same = left.list.set_intersection(right).list.len() > 0
        shared = shared | same.fill_null(False)
    return both.select(*pairs.columns, shared.alias(f"blocked{suffix}"))


def evidence(pairs: pl.DataFrame, features: pl.DataFrame) -> pl.DataFrame:
    """`pairs` with the evidence columns and `tier` (see the module docstring)."""
    columns = features.select(
        "unique_id",
        "name_skels",
        tokens=pl.concat_str(
            pl.col("given_text").fill_null(""), pl.col("surname_text").fill_null(""), separator=" "
        )
        .str.strip_chars()
        .str.split(" "),
        date=pl.col("dob_swap"),
        digits=pl.col("dob_digits"),
        year=pl.col("dob_year"),
        postcode=pl.col("postcode"),
        phone=pl.col("phone"),
    )
    joined = pairs.select(PAIR_ID).join(columns.rename(lambda c: f"{c}_l"), on="unique_id_l")
    joined = joined.join(columns.rename(lambda c: f"{c}_r"), on="unique_id_r")
    connection = duckdb.connect()
    connection.register("pairs", joined.to_arrow())
    close = connection.sql(
        "SELECT unique_id_l, unique_id_r, "
        "coalesce(len(list_intersect(name_skels_l, name_skels_r)), 0) AS shared_tokens, "
        "coalesce(list_max(list_transform(list_concat(tokens_l, name_skels_l), "
        "  lambda a: list_max(list_transform(list_concat(tokens_r, name_skels_r), "
        "  lambda b: CASE WHEN a = '' OR b = '' THEN 0 "
        "  ELSE jaro_winkler_similarity(a, b) END)))), 0)"
        "  AS name_similarity, "
        "date_l = date_r AS same_date, "
        "len(digits_l) = 8 AND len(digits_r) = 8 AND "
        "  hamming(digits_l, digits_r) = 1 AS digit_apart, "
        "year_l = year_r AS same_year, "
        "year_l IS NULL OR year_r IS NULL AS date_missing, "
        "postcode_l = postcode_r AS same_postcode, phone_l = phone_r AS same_phone "
        "FROM pairs"
    ).pl()
    close = close.with_columns(
        pl.col(c).fill_null(False)
        for c in ("same_date", "digit_apart", "same_year", "same_postcode", "same_phone")
    )
    names = (pl.col("shared_tokens") > 0) | (pl.col("name_similarity") >= NAME_CLOSE)
    date_agrees = pl.col("same_date") | pl.col("digit_apart") | pl.col("same_year")
    contact = pl.col("same_phone") | pl.col("same_postcode")
    tier = (
        pl.when(~names)
        .then(pl.lit("6 no name token in common, even close"))
        .when(~date_agrees & ~pl.col("date_missing"))
        .then(pl.lit("5 names agree, dates contradict (other years)"))
        .when(date_agrees)
        .then(pl.lit("1 names and birth date agree"))
        .when(contact)
        .then(pl.lit("2 names agree, no date on one side, same phone or postcode"))
        .when(pl.col("shared_tokens") >= 2)
        .then(pl.lit("3 two name tokens or more, nothing else"))
        .otherwise(pl.lit("4 one name token (or close), nothing else"))
    )
    return pairs.join(close.with_columns(tier=tier), on=PAIR_ID)


def oracle_f1(records: pl.DataFrame, linked: pl.DataFrame) -> float:
    """F1 of the clusters made by linking exactly the pairs `linked` (all true)."""
    edges = linked.select(*PAIR_ID, match_probability=pl.lit(1.0))
    clusters = coherent_clusters(records["record_id"], edges, split=False)
    return pairwise_quality(clusters, records).f1


GAMMAS = ("gamma_name", "gamma_birth_date", "gamma_postcode", "gamma_phone")


def _labels(comparison: str) -> dict[int, str]:
    return {number: label for label, number in level_numbers("plaintext", comparison).items()}


def comparison_vectors(pairs: pl.DataFrame, scored: pl.DataFrame, limit: int = 25) -> None:
    """The comparison vectors of the true pairs scored but lost under the threshold or the
    floor, with every scored pair (true or not, after the veto) of the same vector: a
    vector whose pairs are mostly true is one the model weighs too low."""
    lost = pairs.filter(
        pl.col("reason").str.starts_with("below") | pl.col("reason").str.starts_with("scored")
    )
    person = pairs.select(*PAIR_ID, truth=pl.lit(True))
    every = (
        scored.filter(~pl.col("vetoed"))
        .join(person, on=PAIR_ID, how="left")
        .with_columns(pl.col("truth").fill_null(False))
        .group_by(GAMMAS)
        .agg(
            scored=pl.len(),
            true=pl.col("truth").sum(),
            probability=pl.col("match_probability").median(),
        )
    )
    table = (
        lost.group_by(GAMMAS)
        .agg(lost=pl.len())
        .join(every, on=GAMMAS, how="left")
        .sort("lost", descending=True)
        .head(limit)
    )
    labels = {column: _labels(column.removeprefix("gamma_")) for column in GAMMAS}
    print(
        "\n| name | birth date | postcode | phone | true pairs lost | scored pairs "
        "(after the veto) | true share | median probability |\n"
        "|---|---|---|---|---:|---:|---:|---:|"
    )
    for row in table.iter_rows(named=True):
        cells = " | ".join(labels[c].get(row[c], str(row[c])) for c in GAMMAS)
        print(
            f"| {cells} | {row['lost']} | {row['scored']} | "
            f"{row['true'] / max(row['scored'], 1):.3f} | {row['probability']:.3f} |"
        )


BANDS = (CANDIDATE_FLOOR, 0.1, 0.3, 0.5, 0.7, 0.9, 0.99)


def calibration(kept: pl.DataFrame, adjusted: pl.DataFrame, records: pl.DataFrame) -> None:
    """Of the scored pairs (after the veto) in each band of match probability, the share
    that are true pairs: a calibrated model's share lies within its band."""
    person = records.select(unique_id="record_id", person="person_id")
    both = (
        kept.select(*PAIR_ID, raw="match_probability")
        .join(adjusted.select(*PAIR_ID, adjusted="match_probability"), on=PAIR_ID)
        .join(person.rename(lambda c: f"{c}_l"), on="unique_id_l")
        .join(person.rename(lambda c: f"{c}_r"), on="unique_id_r")
        .with_columns(match=pl.col("person_l") == pl.col("person_r"))
    )
    print(
        "\n| match probability | pairs (model) | true share (model) | pairs (adjusted) | "
        "true share (adjusted) |\n|---|---:|---:|---:|---:|"
    )
    edges = (*BANDS, 1.0001)
    for low, high in itertools.pairwise(edges):
        cells = []
        for column in ("raw", "adjusted"):
            band = both.filter((pl.col(column) >= low) & (pl.col(column) < high))
            share = band["match"].mean() if band.height else float("nan")
            cells.append(f"{band.height} | {share:.3f}")
        print(f"| [{low}, {min(high, 1.0)}) | {' | '.join(cells)} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    threshold = DEFAULT_THRESHOLD
    start = time.perf_counter()
    records = generate_independent(args.records, seed=args.seed, with_errors=True)
    features = plaintext_features(records)
    with _quiet_splink():
        linker, _ = train_linker(features, mode="plaintext")
        predictions = linker.inference.predict(threshold_match_probability=0.0)
        scored = pl.from_pandas(
            linker.misc.query_sql(
                "SELECT unique_id_l, unique_id_r, match_probability, "
                "gamma_name, gamma_birth_date, gamma_postcode, gamma_phone, "
                f"coalesce({household_veto_sql('plaintext')}, false) AS vetoed "
                f"FROM {predictions.physical_name}",
                output_type="pandas",
            )
        )
        prior = linker._settings_obj._probability_two_random_records_match
    # the engine's steps (model.dedupe_features): veto, floor, adjustment, threshold
    kept = scored.filter(~pl.col("vetoed") & (pl.col("match_probability") >= CANDIDATE_FLOOR))
    adjusted = candidate_adjusted(kept.select(*PAIR_ID, "match_probability"))
    edges = adjusted.filter(pl.col("match_probability") >= threshold)
    clusters = coherent_clusters(records["record_id"], edges)
    quality = pairwise_quality(clusters, records)
    mean_candidates = adjusted.filter(pl.col("match_probability") >= 0)["candidates"].mean()

    pairs = true_pairs(records)
    # order each pair as Splink does (unique_id_l < unique_id_r)
    pairs = shares_key(pairs, features, "")
    pairs = shares_key(pairs, plaintext_features(records, capped=False), "_uncapped")
    pairs = pairs.join(
        scored.select(*PAIR_ID, "vetoed", *GAMMAS, raw="match_probability"),
        on=PAIR_ID,
        how="left",
    ).join(adjusted.select(*PAIR_ID, adjusted="match_probability"), on=PAIR_ID, how="left")
    cluster_of = clusters.select(unique_id="record_id", cluster="cluster_id")
    pairs = (
        pairs.join(cluster_of.rename(lambda c: f"{c}_l"), on="unique_id_l")
        .join(cluster_of.rename(lambda c: f"{c}_r"), on="unique_id_r")
        .with_columns(found=pl.col("cluster_l") == pl.col("cluster_r"))
    )
    reason = (
        pl.when(pl.col("found"))
        .then(pl.lit("found"))
        .when(~pl.col("blocked_uncapped"))
        .then(pl.lit("no blocking key in common"))
        .when(~pl.col("blocked"))
        .then(pl.lit("common key dropped by a block cap"))
        .when(pl.col("vetoed"))
        .then(pl.lit("household veto"))
        .when(pl.col("raw") < CANDIDATE_FLOOR)
        .then(pl.lit(f"scored below the candidate floor ({CANDIDATE_FLOOR})"))
        .when(pl.col("raw") < threshold)
        .then(pl.lit("below the threshold before the candidate adjustment"))
        .when(pl.col("adjusted") < threshold)
        .then(pl.lit("pushed below the threshold by the candidate adjustment"))
        .otherwise(pl.lit("linked, cut by cluster coherence"))
    )
    pairs = evidence(pairs.with_columns(reason=reason), features)
    total, missed = pairs.height, pairs.filter(~pl.col("found")).height
    print(
        f"independent population, {args.records} records, seed {args.seed}: {total} true pairs, "
        f"{missed} missed; precision {quality.precision:.4f}, recall {quality.recall:.4f}, "
        f"F1 {quality.f1:.4f}; prior {prior:.3g} (× pairs of records = "
        f"{prior * args.records * (args.records - 1) / 2:.0f}), mean candidates "
        f"{mean_candidates:.1f}; {time.perf_counter() - start:.0f} s\n"
    )
    reasons = (
        pairs.filter(~pl.col("found"))
        .group_by("reason")
        .agg(pairs=pl.len())
        .sort("pairs", descending=True)
    )
    print("| where a missed true pair is lost | pairs | share of true pairs |\n|---|---:|---:|")
    for row in reasons.iter_rows(named=True):
        print(f"| {row['reason']} | {row['pairs']} | {row['pairs'] / total:.4f} |")

    print(
        "\n| evidence tier (fields only) | true pairs | share | found by the engine | "
        "oracle F1, this tier and above |\n|---|---:|---:|---:|---:|"
    )
    tiers = pairs.group_by("tier").agg(pairs=pl.len(), found=pl.col("found").sum()).sort("tier")
    for row in tiers.iter_rows(named=True):
        linked = pairs.filter(pl.col("tier") <= row["tier"])
        print(
            f"| {row['tier']} | {row['pairs']} | {row['pairs'] / total:.4f} | "
            f"{row['found'] / row['pairs']:.3f} | {oracle_f1(records, linked):.4f} |"
        )

    kinds = (
        pairs.with_columns(
            kind=pl.concat_list(
                pl.col("errors_l").str.split(" "), pl.col("errors_r").str.split(" ")
            )
            .list.eval(pl.element().filter(~pl.element().str.starts_with("system:")))
            .list.unique()
        )
        .explode("kind")
        .with_columns(pl.col("kind").fill_null("none"))
    )
    systems = pairs.with_columns(
        kind=pl.when(
            pl.col("errors_l").str.extract(r"system:(\S+)")
            != pl.col("errors_r").str.extract(r"system:(\S+)")
        )
        .then(pl.lit("romanised by two systems"))
        .otherwise(pl.lit("one romanisation system"))
    )
    table = (
        pl.concat([kinds.select("kind", "found"), systems.select("kind", "found")])
        .group_by("kind")
        .agg(pairs=pl.len(), missed=(~pl.col("found")).sum())
        .sort("missed", descending=True)
    )
    print(
        "\n| error kind (either record) | true pairs with it | missed | share missed | "
        "share of all misses |\n|---|---:|---:|---:|---:|"
    )
    for row in table.iter_rows(named=True):
        print(
            f"| {row['kind']} | {row['pairs']} | {row['missed']} | "
            f"{row['missed'] / row['pairs']:.3f} | {row['missed'] / max(missed, 1):.3f} |"
        )
    calibration(kept, adjusted, records)
    comparison_vectors(pairs, scored)
    cross = (
        pairs.filter(~pl.col("found"))
        .group_by("tier", "reason")
        .agg(pairs=pl.len())
        .sort("tier", "pairs", descending=[False, True])
    )
    print("\n| evidence tier | where lost | missed pairs |\n|---|---|---:|")
    for row in cross.iter_rows(named=True):
        print(f"| {row['tier']} | {row['reason']} | {row['pairs']} |")


if __name__ == "__main__":
    main()
