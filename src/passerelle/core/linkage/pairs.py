"""Scored pairs of encoded records, for a clerical review queue and for clustering with
decisions (the platform's part of the engine; docs/linkage.md, "In the platform").

`score_pairs` scores the candidate pairs of encoded records again with a model already
trained by `dedupe_encoded` (`LinkageRun.model`), and says for every pair what each
comparison found: the level's label and its weight (log2 of its Bayes factor). No field
value is returned, only levels and weights, so the pairs can be shown to a reviewer who
holds encodings only.
"""

from __future__ import annotations

import copy
import math
from typing import Any

import polars as pl

from .bloom import encoded_features
from .model import CANDIDATE_FLOOR, _quiet_splink, candidate_adjusted, household_veto_sql

PAIR_COLUMNS = ("record_id_l", "record_id_r", "match_probability", "match_weight", "vetoed")
# the candidate adjustment (model.candidate_adjusted), shown as one more comparison; a
# factor within a quarter of a bit (about 19 %) of 1 reads "about as many", since counts
# that close to the mean move the odds too little for a reviewer to weigh
CANDIDATES = "candidates"
FEWER_CANDIDATES = "fewer candidate pairs than most records"
AS_MANY_CANDIDATES = "about as many candidate pairs as most records"
MORE_CANDIDATES = "more candidate pairs than most records"


def comparison_levels(model: dict[str, Any]) -> dict[str, dict[int, str]]:
    """The label of every level of every comparison of a trained model, by its gamma value
    (Splink numbers the levels from "else" = 0 upwards; a null level is -1)."""
    levels: dict[str, dict[int, str]] = {}
    for comparison in model["comparisons"]:
        named = comparison["comparison_levels"]
        counted = [level for level in named if not level.get("is_null_level")]
        labels = {-1: "missing on one side"}
        for index, level in enumerate(counted):
            labels[len(counted) - 1 - index] = str(level.get("label_for_charts") or "")
        levels[str(comparison["output_column_name"])] = labels
    return levels


def score_pairs(
    encoded: pl.DataFrame, model: dict[str, Any], *, min_probability: float
) -> pl.DataFrame:
    """The candidate pairs of `encoded` (the output of `encode`) whose match probability is
    at least `min_probability`, scored with `model` (from `dedupe_encoded`).

    Columns: `record_id_l`, `record_id_r` (`_l` < `_r`), `match_probability`,
    `match_weight`, `vetoed` (the household veto of `dedupe_encoded`: such a pair is never
    joined automatically), and per comparison `level_<name>` (label) and `weight_<name>`,
    the last comparison being `candidates` (the candidate adjustment of `dedupe_encoded`,
    so that the probabilities are the ones its clusters were made with).
    """
    import duckdb
    from splink import DuckDBAPI, Linker

    features = encoded_features(encoded)
    settings = copy.deepcopy(model)
    settings["retain_matching_columns"] = True
    settings["retain_intermediate_calculation_columns"] = True
    levels = comparison_levels(model)
    names = list(levels)
    with _quiet_splink():
        connection = duckdb.connect()
        connection.register("records_arrow", features.to_arrow())
        connection.execute("CREATE TABLE records AS SELECT * FROM records_arrow")
        linker = Linker("records", settings, DuckDBAPI(connection=connection))
        predictions = linker.inference.predict(
            threshold_match_probability=min(min_probability, CANDIDATE_FLOOR)
        )
        wanted = ", ".join(
            ['"unique_id_l"', '"unique_id_r"', '"match_probability"', '"match_weight"']
            + [f"coalesce({household_veto_sql('private')}, false) AS vetoed"]
            + [f'"gamma_{name}"' for name in names]
            + [f'"bf_{name}"' for name in names]
        )
        frame = pl.from_arrow(
            # The SQL names only tables and columns from code; every value is a parameter.
            connection.sql(f"SELECT {wanted} FROM {predictions.physical_name}").to_arrow_table()  # noqa: S608
        )
        connection.close()
    if not isinstance(frame, pl.DataFrame):
        raise TypeError(f"frame: expected pl.DataFrame, got {type(frame).__name__}")
    # the engine adjusts the pairs that survive the veto; vetoed pairs keep their score
    open_pairs = candidate_adjusted(frame.filter(~pl.col("vetoed")))
    vetoed = frame.filter(pl.col("vetoed")).with_columns(
        candidates=pl.lit(None, pl.Int64), candidate_weight=pl.lit(0.0)
    )
    frame = (
        pl.concat([open_pairs.with_columns(pl.col("candidates").cast(pl.Int64)), vetoed])
        .filter(pl.col("match_probability") >= min_probability)
        .with_columns(pl.col("match_weight") + pl.col("candidate_weight"))
    )
    weight = pl.col("candidate_weight")
    frame = frame.with_columns(
        pl.when(weight > 0.25)
        .then(pl.lit(FEWER_CANDIDATES))
        .when(weight < -0.25)
        .then(pl.lit(MORE_CANDIDATES))
        .otherwise(pl.lit(AS_MANY_CANDIDATES))
        .alias(f"level_{CANDIDATES}"),
        weight.alias(f"weight_{CANDIDATES}"),
    )
    left = pl.min_horizontal("unique_id_l", "unique_id_r")
    right = pl.max_horizontal("unique_id_l", "unique_id_r")
    return (
        frame.with_columns(
            left.cast(pl.String).alias("record_id_l"),
            right.cast(pl.String).alias("record_id_r"),
            *[
                pl.col(f"gamma_{name}")
                .replace_strict(levels[name], default="", return_dtype=pl.String)
                .alias(f"level_{name}")
                for name in names
            ],
            *[
                pl.col(f"bf_{name}")
                .map_elements(lambda bf: math.log2(bf) if bf > 0 else 0.0, return_dtype=pl.Float64)
                .alias(f"weight_{name}")
                for name in names
            ],
        )
        .select(
            *PAIR_COLUMNS,
            *[
                column
                for name in (*names, CANDIDATES)
                for column in (f"level_{name}", f"weight_{name}")
            ],
        )
        .sort("record_id_l", "record_id_r")
    )
