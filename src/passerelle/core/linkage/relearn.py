"""Re-estimating the linkage model from clerical decisions, with a held-out check.

The review queue's decisions (the same person / not the same person) are labels. Splink
estimates m probabilities from pairs labelled as matches
(`estimate_m_from_pairwise_labels`); the u probabilities stay those of random pairs. Before
the relearned model is used, both models score labelled pairs that were kept out of the
estimate, and the new one is called better only if it scores them better (lower Brier
score, and no more pairs on the wrong side of the threshold). docs/linkage.md, "Learning
from the review queue".
"""

from __future__ import annotations

import copy
import hashlib
from dataclasses import dataclass
from typing import Any

import polars as pl

from .bloom import encoded_features
from .features import LinkageInputError
from .model import _quiet_splink

LABEL_COLUMNS = ("record_id_l", "record_id_r", "is_match")
HELD_OUT_SHARE = 0.3  # of the labelled pairs, kept out of the estimate to check it
MIN_MATCHES = 20  # labelled matches needed to estimate m for every comparison at all


@dataclass(frozen=True)
class Scores:
    """How a model scores the held-out labelled pairs."""

    brier: float  # mean squared distance of the match probability from the label
    wrong: int  # pairs on the wrong side of the threshold


@dataclass(frozen=True)
class RelearnReport:
    labels: int
    matches_used: int  # labelled matches the m probabilities were estimated from
    held_out: int
    current: Scores
    relearned: Scores
    model: dict[str, Any]  # the relearned model, as Splink's JSON

    @property
    def better(self) -> bool:
        """The relearned model scores the held-out pairs better (and no more are wrong)."""
        return (
            self.held_out > 0
            and self.relearned.brier < self.current.brier
            and self.relearned.wrong <= self.current.wrong
        )


def _held_out(left: str, right: str, share: float) -> bool:
    # a pair's side of the split depends on the pair only: the same labels split alike
    digest = hashlib.blake2b(f"{left}|{right}".encode(), digest_size=4).digest()
    return int.from_bytes(digest, "big") < share * 2**32


def _linker(features: pl.DataFrame, model: dict[str, Any]) -> tuple[Any, Any]:
    import duckdb
    from splink import DuckDBAPI, Linker

    settings = copy.deepcopy(model)
    connection = duckdb.connect()
    connection.register("records_arrow", features.to_arrow())
    connection.execute("CREATE TABLE records AS SELECT * FROM records_arrow")
    connection.unregister("records_arrow")
    return Linker("records", settings, DuckDBAPI(connection=connection)), connection


def _scores(linker: Any, labels: pl.DataFrame, threshold: float) -> Scores:
    """Brier score and wrong-side count of `linker`'s model on `labels`."""
    from splink.internals.accuracy import predictions_from_sample_of_pairwise_labels_sql
    from splink.internals.pipeline import CTEPipeline
    from splink.internals.vertically_concatenate import compute_df_concat_with_tf

    table = labels.select(
        pl.lit("records").alias("source_dataset_l"),
        pl.col("record_id_l").alias("unique_id_l"),
        pl.lit("records").alias("source_dataset_r"),
        pl.col("record_id_r").alias("unique_id_r"),
        pl.col("is_match").cast(pl.Float64).alias("clerical_match_score"),
    )
    linker.table_management.register_table(table.to_pandas(), "__labels", overwrite=True)
    # Splink's accuracy functions score labelled pairs whether or not blocking finds them
    # (the pairs of a review queue were found by blocking, but relabelled runs may differ);
    # the scores themselves, not only the errors, are what the check needs
    pipeline = CTEPipeline()
    concat = compute_df_concat_with_tf(linker, pipeline)
    pipeline = CTEPipeline([concat])
    sqls = predictions_from_sample_of_pairwise_labels_sql(linker, "__labels")  # type: ignore[no-untyped-call]
    pipeline.enqueue_list_of_sqls(sqls)
    scored = linker._db_api.sql_pipeline_to_splink_dataframe(pipeline).as_pandas_dataframe()
    frame = pl.from_pandas(scored[["clerical_match_score", "match_probability"]])
    if frame.height == 0:
        return Scores(brier=0.0, wrong=0)
    error = pl.col("match_probability") - pl.col("clerical_match_score")
    wrong = (pl.col("match_probability") >= threshold) != (pl.col("clerical_match_score") >= 0.5)
    result = frame.select(error.pow(2).mean().alias("brier"), wrong.sum().alias("wrong"))
    return Scores(brier=float(result["brier"][0]), wrong=int(result["wrong"][0]))


def relearn(
    encoded: pl.DataFrame,
    model: dict[str, Any],
    labels: pl.DataFrame,
    *,
    threshold: float,
    held_out_share: float = HELD_OUT_SHARE,
) -> RelearnReport:
    """Re-estimate `model`'s m probabilities from `labels` and check it on held-out labels.

    `encoded`: the encoded records (`bloom.encode`) the labels refer to; `model`: a model
    trained by `dedupe_encoded` (`LinkageRun.model`); `labels`: `record_id_l`,
    `record_id_r`, `is_match` (bool). Raises `LinkageInputError` when a column is missing,
    a label names a record not in `encoded`, or there are fewer than `MIN_MATCHES`
    matches to estimate from.
    """
    missing = [column for column in LABEL_COLUMNS if column not in labels.columns]
    if missing:
        raise LinkageInputError(
            missing[0], "missing column; labels need " + ", ".join(LABEL_COLUMNS)
        )
    labels = labels.select(
        pl.col("record_id_l").cast(pl.String),
        pl.col("record_id_r").cast(pl.String),
        pl.col("is_match").cast(pl.Boolean),
    )
    known = set(encoded["record_id"].cast(pl.String).to_list())
    for column in ("record_id_l", "record_id_r"):
        unknown = [value for value in labels[column].to_list() if value not in known]
        if unknown:
            raise LinkageInputError(column, f"{unknown[0]!r} is not an encoded record")
    held = pl.Series(
        [
            _held_out(left, right, held_out_share)
            for left, right in zip(labels["record_id_l"], labels["record_id_r"], strict=True)
        ],
        dtype=pl.Boolean,
    )
    train, check = labels.filter(~held), labels.filter(held)
    matches = train.filter(pl.col("is_match"))
    if matches.height < MIN_MATCHES:
        raise LinkageInputError(
            "is_match",
            f"{matches.height} labelled matches to learn from; at least {MIN_MATCHES} are "
            "needed (decide more pairs in the review queue)",
        )
    features = encoded_features(encoded)
    with _quiet_splink():
        linker, connection = _linker(features, model)
        current = _scores(linker, check, threshold)
        pairs = matches.select(
            pl.lit("records").alias("source_dataset_l"),
            pl.col("record_id_l").alias("unique_id_l"),
            pl.lit("records").alias("source_dataset_r"),
            pl.col("record_id_r").alias("unique_id_r"),
        )
        linker.table_management.register_table(pairs.to_pandas(), "__matches", overwrite=True)
        linker.training.estimate_m_from_pairwise_labels("__matches")
        relearned_model = linker.misc.save_model_to_json()
        relearned = _scores(linker, check, threshold)
        connection.close()
    return RelearnReport(
        labels=labels.height,
        matches_used=matches.height,
        held_out=check.height,
        current=current,
        relearned=relearned,
        model=relearned_model,
    )
