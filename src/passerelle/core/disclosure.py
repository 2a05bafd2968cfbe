"""Cell-key perturbation: published counts that differencing cannot open.

Small-cell suppression alone leaks through differences: two overlapping queries (a period
one day longer, a union of programmes, a total beside its parts) whose exact counts differ
by one reveal that one person, even when the one-day cell itself is withheld. National
statistics offices answer flexible tables with *cell-key perturbation* (Fraser and Wooton,
"A proposed method for confidentialising tabular output to protect against differencing",
Australian Bureau of Statistics, 2005, used by ABS TableBuilder; the UK Office for National
Statistics applied it to the 2021 census outputs, "Protecting personal data in Census 2021
results", ONS 2022):

1. every record (a person, a referral) carries a fixed random **record key** in
   [0, MODULUS), derived by HMAC-SHA256 from a secret and the record's id, so the same
   record always has the same key and no one without the secret can compute it;
2. a cell's **cell key** is the sum of the record keys of the records it counts, modulo
   MODULUS: the same records give the same cell key, whatever query produced the cell;
3. the cell key picks a small integer **noise** from the published `PERTURBATION` table
   (zero mean, at most 2 either way); the published count is the true count plus the noise.

So the same cell always shows the same value (asking again, or through another query that
counts the same people, averages nothing away), and two cells that differ by one person have
cell keys that differ by that person's secret random key: their noises are independent, and
the difference of the published counts no longer tells whether that person is there.

Counts from 1 to `threshold - 1` stay withheld (primary suppression, decided on the true
count by the callers' existing rules), zeros stay zeros (an empty cell has no one to
protect), and a count whose perturbed value falls below the threshold is withheld too, so
no published count is negative or small. `publish_count` is the one function every path
that publishes a count goes through; `perturb_frame` applies it to a table.

Pure Python and polars (no Django): researchers can reproduce the published figures with
the secret, and the web application and the CLI use the same code.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Mapping, Sequence

import polars as pl

MODULUS = 256
"""Record and cell keys lie in [0, MODULUS)."""

PERTURBATION: tuple[tuple[int, int], ...] = ((13, -2), (64, -1), (192, 0), (243, 1), (256, 2))
"""The published perturbation table: a cell key below the first number gets the second as
noise, else the next line. Probabilities over the 256 cell keys: -2 and +2 13/256 each
(5.1 %), -1 and +1 51/256 each (19.9 %), 0 128/256 (50 %); mean 0, variance 206/256
(0.80), standard deviation 0.90."""

SECRET_PURPOSE = b"passerelle cell-key perturbation"
SYNTHETIC_SECRET = b"passerelle synthetic data only: a public cell-key secret"
"""The secret for reports on the synthetic cohort: public, so it protects nothing; real data
need a secret of their own."""


def noise(cell_key: int) -> int:
    """The noise the published table gives a cell key."""
    if not 0 <= cell_key < MODULUS:
        raise ValueError(f"cell_key: {cell_key}; allowed values: 0 to {MODULUS - 1}")
    for below, value in PERTURBATION:
        if cell_key < below:
            return value
    raise AssertionError("PERTURBATION covers every cell key")  # pragma: no cover


def record_key(record_id: object, secret: bytes) -> int:
    """The fixed random key of one record: HMAC-SHA256(secret, id) modulo MODULUS."""
    if not secret:
        raise ValueError("secret: empty; a cell-key secret of at least 16 bytes is needed")
    digest = hmac.new(secret, str(record_id).encode(), hashlib.sha256).digest()
    return int.from_bytes(digest[:8], "big") % MODULUS


def cell_key(record_keys: Iterable[int]) -> int:
    """The key of a cell: the sum of its records' keys modulo MODULUS."""
    return sum(record_keys) % MODULUS


def publish_count(count: int | None, key: int, *, threshold: int) -> int | None:
    """What may be published of a cell of `count` records whose cell key is `key`: None
    (withheld) for a withheld or small count (1 to threshold - 1) or one whose perturbed
    value would be below the threshold; 0 for 0; else the count plus its noise."""
    if threshold < 1:
        raise ValueError(f"threshold: {threshold}; allowed values: an integer of at least 1")
    if count is None:
        return None
    if count < 0:
        raise ValueError(f"count: {count}; a count is never negative")
    if count == 0:
        return 0
    if count < threshold:
        return None
    published = count + noise(key)
    return published if published >= max(threshold, 1) else None


def with_record_keys(
    frame: pl.LazyFrame, id_column: str, secret: bytes, *, name: str = "record_key"
) -> pl.LazyFrame:
    """`frame` with the record key of `id_column` as `name` (Int64; null for a null id)."""
    ids = frame.select(pl.col(id_column).drop_nulls().unique()).collect()[id_column]
    keys = pl.DataFrame(
        {id_column: ids, name: [record_key(value, secret) for value in ids.to_list()]},
        schema={id_column: ids.dtype, name: pl.Int64},
    )
    return frame.join(keys.lazy(), on=id_column, how="left", maintain_order="left")


def key_sum(where: pl.Expr | None = None, column: str = "record_key") -> pl.Expr:
    """An aggregation: the cell key of the rows aggregated (those `where` holds), the sum of
    their record keys modulo MODULUS."""
    keys = pl.col(column) if where is None else pl.col(column).filter(where)
    return (keys.sum() % MODULUS).cast(pl.Int64)


def perturb_frame(
    frame: pl.DataFrame,
    counts: Mapping[str, str],
    *,
    threshold: int,
    rates: Sequence[tuple[str, str, str]] = (),
) -> pl.DataFrame:
    """`frame` with each count column (key of `counts`) replaced by what `publish_count`
    publishes given its cell-key column (the value; dropped from the result). A row with a
    count withheld is withheld whole (`suppressed` true, its counts and every float column
    null);
    `rates` are (value, numerator, denominator) columns recomputed from the published
    counts, so a rate never reveals the true counts behind it (a row without a denominator
    keeps its value, such as a median of days: it is withheld with its count only)."""
    rows = frame.to_dicts()
    for row in rows:
        withheld = bool(row.get("suppressed"))
        true = {column: row[column] for column in counts}
        for column, key_column in counts.items():
            key = row[key_column]
            shown = publish_count(true[column], int(key or 0), threshold=threshold)
            withheld = withheld or (shown is None and true[column] is not None)
            row[column] = shown
        if withheld:  # every count and every derived figure, as `suppress_small_cells`
            row.update(dict.fromkeys(counts))
            row.update({name: None for name, dtype in frame.schema.items() if dtype.is_float()})
        for value, numerator, denominator in rates:
            top, bottom = row[numerator], row[denominator]
            if withheld:
                row[value] = None
            elif true.get(denominator, row[denominator]) is not None:
                row[value] = top / bottom if top is not None and bottom else None
        row["suppressed"] = withheld
    schema: dict[str, pl.DataType] = {
        name: dtype for name, dtype in frame.schema.items() if name not in counts.values()
    }
    schema["suppressed"] = pl.Boolean()
    return pl.DataFrame([{name: row[name] for name in schema} for row in rows], schema=schema)
