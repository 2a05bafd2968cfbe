"""An evaluation's input frame as the arrays the estimators use, checked for what outside
files bring: treatment and outcome coded 0/1, true/false or yes/no; a binary or a continuous
outcome; numeric, boolean and text covariates (text one-hot encoded against a reference
level); missing values refused (naming the column and the row), dropped or indicated;
constant and collinear columns dropped; samples too small or without one of the arms refused.
Every change made to the input is said in a note (`InputNote`) that the output carries.

Rows are numbered as data rows from 1 (row N is line N + 1 of a CSV file with a header).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import polars as pl

from passerelle.core.i18n import _
from passerelle.core.validation import check_allowed

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

MISSING_POLICIES = ("refuse", "drop", "indicator")
OUTCOME_KINDS = ("auto", "binary", "continuous")
# English, and the words a spreadsheet in French or Dutch writes (Brussels' two languages).
TRUE_WORDS = frozenset({"1", "1.0", "true", "t", "yes", "y", "oui", "vrai", "ja", "waar"})
FALSE_WORDS = frozenset({"0", "0.0", "false", "f", "no", "n", "non", "faux", "nee", "onwaar"})
BINARY_ALLOWED = "0/1, true/false, yes/no (or oui/non, vrai/faux, ja/nee, waar/onwaar)"
SKIPPED_BY_DEFAULT = frozenset({"person_id", "y0", "y1"})
"""Columns never taken as covariates by default: the synthetic cohort's id and truth."""
MAX_LEVELS = 20
"""Assumption (a project convention): a text column with more distinct values is taken for
an identifier or free text, not a category; named explicitly, it is refused."""
COLLINEAR_TOLERANCE = 1e-8
"""A column whose part not explained by the columns kept before it has a norm under this
share of its own norm (standardised) adds nothing: it is dropped."""


class EvaluationInputError(ValueError):
    """The evaluation frame lacks a column or a value is not allowed. `reason`, where set,
    is the same refusal for a reader: an English message id marked for translation (with
    `%(name)s` placeholders filled from `params`), that a page translates into its
    language (the message itself, in English, names columns for the command line)."""

    def __init__(self, message: str, *, reason: str = "", **params: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.params = params


@dataclass(frozen=True)
class InputNote:
    """One change made to the input before estimation, said in the output."""

    code: str
    """encoded, constant, collinear, skipped, missing_dropped or missing_indicator."""
    column: str
    detail: str = ""
    """The reference level (encoded), the kept columns it depends on (collinear), the count
    of distinct values (skipped) or of rows (missing_*)."""

    def message(self) -> str:
        templates = {
            "encoded": _("{column}: text, one-hot encoded against the reference level '{detail}'."),
            "constant": _("{column}: the same value on every row; left out."),
            "collinear": _(
                "{column}: a linear combination of other covariates ({detail}); left out."
            ),
            "skipped": _(
                "{column}: text with {detail} distinct values, taken for an identifier; left "
                "out (name it in the covariates to use it as a category)."
            ),
            "missing_dropped": _("{column}: missing on {detail} rows; those rows left out."),
            "missing_indicator": _(
                "{column}: missing on {detail} rows; filled in and marked by the indicator "
                "{column}_missing."
            ),
        }
        return templates[self.code].format(column=self.column, detail=self.detail)

    def to_json(self) -> dict[str, str]:
        return {
            "code": self.code,
            "column": self.column,
            "detail": self.detail,
            "message": self.message(),
        }


@dataclass(frozen=True)
class PreparedInput:
    x: FloatArray
    """One column per covariate term (numbers, 0/1 for booleans and for each non-reference
    level of a text covariate, and missingness indicators)."""
    t: IntArray
    y: FloatArray
    names: tuple[str, ...]
    outcome_kind: str
    """binary or continuous."""
    dropped_rows: int
    notes: tuple[InputNote, ...]


def _row(index: int) -> int:
    return index + 1


def binary_values(series: pl.Series) -> pl.Series:
    """0/1 (Int64) of a column coded 0/1, true/false or yes/no (any case); null where
    missing. Raise EvaluationInputError naming the column, the first bad row and value."""
    name = series.name
    if series.dtype == pl.Boolean:
        return series.cast(pl.Int64)
    words = series.cast(pl.String).str.strip_chars().str.to_lowercase()
    coded = (
        pl.DataFrame({"w": words})
        .select(
            pl.when(pl.col("w").is_in(list(TRUE_WORDS)))
            .then(1)
            .when(pl.col("w").is_in(list(FALSE_WORDS)))
            .then(0)
            .otherwise(None)
            .cast(pl.Int64)
        )
        .to_series()
        .rename(name)
    )
    bad = np.flatnonzero((coded.is_null() & series.is_not_null()).to_numpy())
    if len(bad):
        raise EvaluationInputError(
            f"{name}: {series[int(bad[0])]!r} on row {_row(int(bad[0]))} is not a binary "
            f"value; allowed values: {BINARY_ALLOWED}"
        )
    return coded


def _is_binary_words(series: pl.Series) -> bool:
    values = series.drop_nulls().cast(pl.String).str.strip_chars().str.to_lowercase()
    return values.len() > 0 and bool(values.is_in(list(TRUE_WORDS | FALSE_WORDS)).all())


def _outcome_values(series: pl.Series, kind: str) -> tuple[pl.Series, str]:
    check_allowed("outcome_kind", kind, OUTCOME_KINDS, EvaluationInputError)
    numeric = series.dtype.is_numeric()
    if kind == "continuous" or (kind == "auto" and numeric and not _is_binary_words(series)):
        if not numeric:
            bad = series.cast(pl.Float64, strict=False).is_null() & series.is_not_null()
            first = int(np.flatnonzero(bad.to_numpy())[0]) if bad.any() else 0
            raise EvaluationInputError(
                f"{series.name}: {series[first]!r} on row {_row(first)} is not a number; "
                f"allowed values: numbers (continuous outcome) or {BINARY_ALLOWED}"
            )
        return series.cast(pl.Float64), "continuous"
    return binary_values(series).cast(pl.Float64), "binary"


def _default_covariates(frame: pl.DataFrame, treatment: str, outcome: str) -> list[str]:
    return [name for name in frame.columns if name not in {treatment, outcome, *SKIPPED_BY_DEFAULT}]


def _first_missing(frame: pl.DataFrame, name: str) -> tuple[int, int]:
    missing = np.flatnonzero(frame[name].is_null().to_numpy())
    return int(missing[0]), len(missing)


def _refuse_missing(frame: pl.DataFrame, columns: Sequence[str]) -> None:
    for name in columns:
        if frame[name].null_count():
            first, count = _first_missing(frame, name)
            raise EvaluationInputError(
                f"{name}: missing on row {_row(first)} ({count} rows in all); allowed: a value "
                "on every row, or missing='drop' (--missing drop) to leave those rows out, or "
                "missing='indicator' (--missing indicator) for covariates"
            )


def _kinds(
    frame: pl.DataFrame, names: Sequence[str], explicit: bool
) -> tuple[dict[str, str], list[InputNote]]:
    """Each covariate's kind (number, binary or category); text taken for an identifier is
    skipped by default and refused when named."""
    kinds: dict[str, str] = {}
    notes: list[InputNote] = []
    for name in names:
        dtype = frame.schema[name]
        if dtype == pl.Boolean:
            kinds[name] = "binary"
        elif dtype.is_numeric():
            kinds[name] = "number"
        elif dtype in (pl.String, pl.Categorical) or isinstance(dtype, pl.Enum):
            if _is_binary_words(frame[name]):
                kinds[name] = "binary"
                continue
            _refuse_stray_text(frame[name])
            levels = frame[name].drop_nulls().n_unique()
            if levels > MAX_LEVELS:
                if explicit:
                    raise EvaluationInputError(
                        f"covariates: {name!r} is text with {levels} distinct values; allowed: "
                        f"numbers, booleans, or text with at most {MAX_LEVELS} distinct values "
                        "(categories)"
                    )
                notes.append(InputNote("skipped", name, str(levels)))
                continue
            kinds[name] = "category"
        elif explicit:
            raise EvaluationInputError(
                f"covariates: {name!r} is of type {dtype}; allowed: numbers, booleans or text "
                "(categories)"
            )
    return kinds, notes


def _refuse_stray_text(series: pl.Series) -> None:
    """Refuse a text column whose values are numbers but for a few (a "n/a", "-" or "?" in a
    column of ages): taken as categories it would be one level per number."""
    values = series.drop_nulls()
    numbers = values.cast(pl.String).str.strip_chars().cast(pl.Float64, strict=False)
    if values.len() == 0 or numbers.null_count() * 2 > values.len():
        return
    stray = (
        series.is_not_null()
        & series.cast(pl.String).str.strip_chars().cast(pl.Float64, strict=False).is_null()
    ).to_numpy()
    first = int(np.flatnonzero(stray)[0])
    raise EvaluationInputError(
        f"{series.name}: {series[first]!r} on row {_row(first)} is not a number, and most "
        "values are; allowed: numbers, or a missing value (empty, NA) with --missing"
    )


def _missing_covariates(
    frame: pl.DataFrame, kinds: dict[str, str], policy: str
) -> tuple[pl.DataFrame, list[InputNote], list[str]]:
    """Apply the missing-value policy to the covariates: (frame, notes, indicator columns)."""
    notes: list[InputNote] = []
    indicators: list[str] = []
    if policy == "refuse":
        _refuse_missing(frame, list(kinds))
        return frame, notes, indicators
    for name, kind in kinds.items():
        count = frame[name].null_count()
        if not count:
            continue
        if policy == "drop":
            notes.append(InputNote("missing_dropped", name, str(count)))
            continue
        notes.append(InputNote("missing_indicator", name, str(count)))
        indicator = f"{name}_missing"
        indicators.append(indicator)
        # The indicator carries the difference of those without a value; the fill (the mean,
        # or a level of its own for text) only keeps the row.
        fill: pl.Expr = (
            pl.lit("(missing)")
            if kind == "category"
            else pl.col(name).cast(pl.Float64).mean()
            if kind == "number"
            else pl.lit(0)
        )
        if kind == "binary":
            frame = frame.with_columns(binary_values(frame[name]))
        frame = frame.with_columns(
            pl.col(name).is_null().cast(pl.Float64).alias(indicator),
            pl.col(name).fill_null(fill),
        )
    if policy == "drop":
        frame = frame.drop_nulls(list(kinds))
    return frame, notes, indicators


def _encode(
    frame: pl.DataFrame, kinds: dict[str, str]
) -> tuple[dict[str, FloatArray], list[InputNote]]:
    """Numeric columns of every covariate: numbers as they are, booleans 0/1, categories one
    0/1 column per level except the reference (the most frequent; ties: the first in order)."""
    columns: dict[str, FloatArray] = {}
    notes: list[InputNote] = []
    for name, kind in kinds.items():
        series = frame[name]
        if kind == "number":
            columns[name] = series.cast(pl.Float64).to_numpy()
        elif kind == "binary":
            columns[name] = binary_values(series).cast(pl.Float64).to_numpy()
        else:
            text = series.cast(pl.String)
            counts = text.value_counts().sort(["count", name], descending=[True, False])
            levels = counts[name].to_list()
            if len(levels) < 2:
                notes.append(InputNote("constant", name))
                continue
            notes.append(InputNote("encoded", name, str(levels[0])))
            for level in sorted(levels[1:]):
                columns[f"{name}={level}"] = (text == level).cast(pl.Float64).to_numpy()
    return columns, notes


def _independent(columns: dict[str, FloatArray]) -> tuple[list[str], list[InputNote]]:
    """The columns to keep: not constant, and not a linear combination of those kept before
    them (in order), by Gram-Schmidt on the centred columns."""
    kept: list[str] = []
    basis: list[FloatArray] = []
    notes: list[InputNote] = []
    for name, values in columns.items():
        centred = values - values.mean()
        norm = float(np.linalg.norm(centred))
        if norm <= COLLINEAR_TOLERANCE * max(1.0, float(np.linalg.norm(values))):
            notes.append(InputNote("constant", name))
            continue
        residual = centred / norm
        for vector in basis:
            residual = residual - vector * float(vector @ residual)
        if float(np.linalg.norm(residual)) < 1e-6:
            notes.append(
                InputNote("collinear", name, ", ".join(_dependent_on(name, kept, columns)))
            )
            continue
        basis.append(residual / float(np.linalg.norm(residual)))
        kept.append(name)
    return kept, notes


def _dependent_on(name: str, kept: list[str], columns: dict[str, FloatArray]) -> list[str]:
    """The kept columns with a weight in the least-squares fit of `name` on them."""
    x = np.column_stack([columns[k] - columns[k].mean() for k in kept])
    target = columns[name] - columns[name].mean()
    weights = np.linalg.lstsq(x, target, rcond=None)[0]
    scale = np.abs(weights) * x.std(axis=0)
    return [k for k, w in zip(kept, scale, strict=True) if w > 1e-6 * float(target.std())]


def prepare_input(
    frame: pl.DataFrame,
    *,
    treatment: str = "treated",
    outcome: str = "outcome",
    covariates: Sequence[str] | None = None,
    missing: str = "refuse",
    outcome_kind: str = "auto",
) -> PreparedInput:
    """The estimators' arrays from `frame`, with the notes of what was changed."""
    check_allowed("missing", missing, MISSING_POLICIES, EvaluationInputError)
    for name in (treatment, outcome, *(covariates or ())):
        if name not in frame.columns:
            raise EvaluationInputError(
                f"{name}: no such column; columns: {', '.join(frame.columns)}"
            )
    explicit = covariates is not None
    names = (
        list(covariates)
        if covariates is not None
        else _default_covariates(frame, treatment, outcome)
    )
    kinds, notes = _kinds(frame, names, explicit)
    if not kinds:
        raise EvaluationInputError(
            "covariates: none; give numeric, boolean or text covariate columns"
        )
    data = frame.select(treatment, outcome, *kinds)
    rows = data.height
    if missing == "refuse":
        _refuse_missing(data, [treatment, outcome])
    data = data.drop_nulls([treatment, outcome])
    if data.height < rows:
        notes.append(
            InputNote("missing_dropped", f"{treatment}/{outcome}", str(rows - data.height))
        )
    data, missing_notes, indicators = _missing_covariates(data, kinds, missing)
    notes.extend(missing_notes)
    t = binary_values(data[treatment]).to_numpy().astype(np.int64)
    y_series, kind = _outcome_values(data[outcome], outcome_kind)
    columns, encoded = _encode(data, kinds)
    notes.extend(encoded)
    columns.update({name: data[name].to_numpy().astype(np.float64) for name in indicators})
    kept, dropped = _independent(columns)
    notes.extend(dropped)
    _check_size(t, len(kept), treatment)
    return PreparedInput(
        x=np.column_stack([columns[name] for name in kept]).astype(np.float64),
        t=t,
        y=y_series.to_numpy().astype(np.float64),
        names=tuple(kept),
        outcome_kind=kind,
        dropped_rows=rows - data.height,
        notes=tuple(notes),
    )


MIN_PER_ARM = 2
"""Fewer than two persons in an arm leave no spread to standardise nor to resample."""


def _check_size(t: IntArray, terms: int, treatment: str) -> None:
    treated, controls = int((t == 1).sum()), int((t == 0).sum())
    if not treated or not controls:
        arm = "treated (1)" if not treated else "untreated (0)"
        raise EvaluationInputError(
            f"{treatment}: no {arm} rows ({treated} treated, {controls} untreated); an effect "
            "needs both"
        )
    if terms == 0:
        raise EvaluationInputError(
            "covariates: every covariate is constant or collinear; none left to adjust on"
        )
    if min(treated, controls) < MIN_PER_ARM or treated + controls <= terms + 1:
        raise EvaluationInputError(
            f"{treatment}: too few rows to estimate anything: {treated} treated and {controls} "
            f"untreated for {terms} covariate terms; allowed: at least {MIN_PER_ARM} in each "
            "arm and more rows than terms plus one"
        )
