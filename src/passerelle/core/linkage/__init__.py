"""Unique beneficiaries: probabilistic record linkage of people across organisations.

Fellegi-Sunter linkage on Splink (DuckDB by default, Spark with `backend="spark"`), with a
normaliser for transliterated names (`names`), a privacy-preserving mode on keyed Bloom
filters (`bloom`), a synthetic population for tests and benchmarks (`synthetic`), a second
one made independently, never tuned on (`synthetic_independent`), re-estimation from
clerical labels (`relearn`) and pairwise evaluation (`evaluate`). See docs/linkage.md.

    clusters = dedupe(records)                      # plaintext, record_id → cluster_id
    clusters = dedupe(records, private_key=key)     # encodes first, links encodings only
    encoded = encode(records, key)                  # what an organisation shares
    clusters = dedupe_encoded(pl.concat([encoded_a, encoded_b]))
"""

from __future__ import annotations

from typing import Any

import polars as pl

from .bloom import KeyFileError, encode, encoded_features, generate_key, load_key
from .features import REQUIRED_COLUMNS, LinkageInputError, plaintext_features
from .model import Backend, LinkageRun, Progress, dedupe_features

DEFAULT_THRESHOLD = 0.5

__all__ = [
    "DEFAULT_THRESHOLD",
    "REQUIRED_COLUMNS",
    "KeyFileError",
    "LinkageInputError",
    "LinkageRun",
    "dedupe",
    "dedupe_encoded",
    "encode",
    "generate_key",
    "load_key",
]


def _check_threshold(threshold: float) -> None:
    if not 0.0 < threshold < 1.0:
        raise LinkageInputError("threshold", f"{threshold} is not a probability in (0, 1)")


def dedupe(
    records: pl.DataFrame,
    *,
    threshold: float = DEFAULT_THRESHOLD,
    private_key: bytes | None = None,
    backend: Backend = "duckdb",
    spark: Any = None,
    progress: Progress | None = None,
    lenient_dates: bool = False,
    placeholder_dates: bool = True,
) -> LinkageRun:
    """Cluster records of people (columns `REQUIRED_COLUMNS`) into persons.

    With `private_key`, the records are first encoded as each organisation would
    (`encode`) and the linkage sees the encodings only. `lenient_dates` reads unparseable
    birth dates as missing; `placeholder_dates=False` reads 1 January as a real date.
    """
    _check_threshold(threshold)
    if private_key is not None:
        if progress:
            progress("encoding")
        # the encoded text is not kept once its comparison columns are made (memory)
        return dedupe_features(
            encoded_features(
                encode(
                    records,
                    private_key,
                    lenient_dates=lenient_dates,
                    placeholder_dates=placeholder_dates,
                )
            ),
            mode="private",
            threshold=threshold,
            backend=backend,
            spark=spark,
            progress=progress,
        )
    if progress:
        progress("normalising")
    return dedupe_features(
        plaintext_features(
            records, lenient_dates=lenient_dates, placeholder_dates=placeholder_dates
        ),
        mode="plaintext",
        threshold=threshold,
        backend=backend,
        spark=spark,
        progress=progress,
    )


def dedupe_encoded(
    encoded: pl.DataFrame,
    *,
    threshold: float = DEFAULT_THRESHOLD,
    backend: Backend = "duckdb",
    spark: Any = None,
    progress: Progress | None = None,
    model: dict[str, Any] | None = None,
) -> LinkageRun:
    """Cluster encoded records (the output of `encode`, possibly from several organisations).

    With `model` (`LinkageRun.model` of an earlier run, or one re-estimated from review
    decisions by `relearn.relearn`), the pairs are scored with it and nothing is trained.
    """
    _check_threshold(threshold)
    features = encoded_features(encoded)
    return dedupe_features(
        features,
        mode="private",
        threshold=threshold,
        backend=backend,
        spark=spark,
        progress=progress,
        model=model,
    )


def dedupe_baseline(records: pl.DataFrame, *, threshold: float = DEFAULT_THRESHOLD) -> LinkageRun:
    """A plain Splink model (raw fields, exact-match blocking): the benchmark's baseline."""
    frame = records.select(
        pl.col("record_id").alias("unique_id"),
        *[
            pl.col(c).cast(pl.String).str.to_lowercase().str.strip_chars().replace("", None)
            for c in REQUIRED_COLUMNS[1:]
        ],
    )
    return dedupe_features(frame, mode="baseline", threshold=threshold)
