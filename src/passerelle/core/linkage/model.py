"""Fellegi-Sunter linkage on Splink: comparisons, blocking, training, clustering.

One function, `dedupe_features`, runs the whole model over prepared feature columns on a
Splink backend: DuckDB (default, one machine) or Spark (`backend="spark"`, a SparkSession
passed in). The public entry points are in `passerelle.core.linkage`.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import hashlib
import logging
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import polars as pl

from .bloom import WORDS
from .features import ARRAY_BLOCKING_COLUMNS
from .splink_parsing import memoize_splink_parsing

Mode = Literal["plaintext", "private", "baseline"]
Backend = Literal["duckdb", "spark"]
Progress = Callable[[str], None]

BLOCKING_KEYS: dict[Mode, tuple[tuple[str, ...], ...]] = {
    # Transliteration variants share a skeleton, so blocking on skeleton keys keeps them
    # together. Array keys are exploded (a record is in several blocks): every unordered
    # pair of name-token skeletons (swaps, compound and patronymic names), every token with
    # the birth date (day and month unordered), every token with the birth year, every
    # pair with the year, every initial with the date, every token alone, every token with
    # the postcode; the birth date with the postcode; every token with another token or
    # that token less one letter (features.py); the phone. Oversized blocks are split by
    # the postcode, then the year (features.SUB_BLOCKS).
    "plaintext": (*((column,) for column in ARRAY_BLOCKING_COLUMNS), ("phone",)),
    "private": (*((column,) for column in ARRAY_BLOCKING_COLUMNS), ("phone",)),
    # The baseline: exact matches on the raw (lower-cased) fields.
    "baseline": (
        ("given_name", "surname"),
        ("surname", "birth_date"),
        ("given_name", "birth_date"),
        ("phone",),
    ),
}
ARRAY_KEYS = frozenset(ARRAY_BLOCKING_COLUMNS)
# The levels the household veto names, by their labels: Splink numbers the levels by their
# place (else = 0 upwards), so a level added to a comparison moves the numbers, never these.
# Names from this level down: at most two tokens in common.
_WEAK_NAME = {"plaintext": "two tokens shared", "private": "family ≥ 0.9, given < 0.5"}
# One token set (name filter) within the other with the same last name only: a parent's
# given name is the child's family name in patronymic naming.
_PARENT_AND_CHILD = {
    "plaintext": "one token set within the other, same last name",
    "private": "one name filter within the other, same last name",
}
# One name field empty, the family name within the other's names: relatives share it.
_FAMILY_ONLY_FILLED = {
    "plaintext": "given name empty, family name within the other's",
    "private": "given name empty, family name filter within the other's",
}
# Birth dates from this level down (and missing): the same year with two different full
# dates, or another year.
_WEAK_DATE = "same year"


@functools.cache
def level_numbers(mode: Mode, comparison: str) -> dict[str, int]:
    """The number (gamma value) of every level of one comparison of `mode`, by its label."""
    for creator in _comparisons(mode):
        built = creator.get_comparison("duckdb")
        if built.output_column_name == comparison:
            numbers = {
                str(level.label_for_charts): int(level.comparison_vector_value)
                for level in built.comparison_levels
            }
            if len(numbers) != len(built.comparison_levels):
                raise ValueError(f"{comparison}: two levels share a label")
            return numbers
    raise KeyError(comparison)


def household_veto_sql(mode: Mode) -> str:
    """The pairs that contact details alone would join (SQL on the gamma columns).

    A pair whose names agree on at most two tokens, or as a parent's and a child's do, or
    on the family name alone where one record's given name is empty, and whose birth dates
    are missing or disagree beyond a typo, is never joined: households share family name,
    postcode and phone.
    """
    if mode == "baseline":
        raise ValueError("the baseline is plain Splink: it has no household veto")
    names = level_numbers(mode, "name")
    date = level_numbers(mode, "birth_date")[_WEAK_DATE]
    return (
        f"((gamma_name BETWEEN 0 AND {names[_WEAK_NAME[mode]]} "
        f"OR gamma_name IN ({names[_PARENT_AND_CHILD[mode]]}, "
        f"{names[_FAMILY_ONLY_FILLED[mode]]})) "
        f"AND gamma_birth_date <= {date})"
    )


TRAINING_RECORDS = 200_000  # EM runs on blocks holding about this many records
# random pairs sampled for the u probabilities: 10 per record, between 2 and 10 million
U_PAIRS_PER_RECORD, U_PAIRS_MIN, U_PAIRS_MAX = 10, 2_000_000, 10_000_000


@dataclass(frozen=True)
class LinkageRun:
    """Clusters (record_id, cluster_id) and what the run did."""

    clusters: pl.DataFrame
    model: dict[str, Any]  # the trained Splink model (m and u per comparison level)
    pairs_above_threshold: int


def _spark_frame(spark: Any, features: pl.DataFrame) -> Any:
    """`features` as a Spark DataFrame: list columns (token sets, Bloom-filter positions)
    become Spark arrays (pandas would hand Spark numpy arrays, which it cannot type)."""
    frame = features.to_pandas()
    for name, dtype in features.schema.items():
        if isinstance(dtype, pl.List):
            frame[name] = frame[name].map(lambda value: None if value is None else list(value))
    return spark.createDataFrame(frame)


def _shared_sql(a: str, b: str, side_a: str = "l", side_b: str = "r") -> str:
    return " + ".join(
        f'CAST(bit_count("bf_{a}_{i}_{side_a}" & "bf_{b}_{i}_{side_b}") AS INT)'
        for i in range(WORDS)
    )


def _dice_sql(a: str, b: str, side_a: str = "l", side_b: str = "r") -> str:
    shared = _shared_sql(a, b, side_a, side_b)
    return f'(2.0 * ({shared}) / ("pc_{a}_{side_a}" + "pc_{b}_{side_b}"))'


def _swapped_close(backend: Backend) -> Any:
    """Given and family names swapped, with typos: Jaro-Winkler ≥ 0.9 across the fields.

    Written per backend: DuckDB's `jaro_winkler_similarity`, or the `jaro_winkler` function
    Splink registers on Spark (from its similarity jar).
    """
    import splink.comparison_level_library as cll

    function, quote = (
        ("jaro_winkler", "`") if backend == "spark" else ("jaro_winkler_similarity", '"')
    )

    def across(a: str, b: str) -> str:
        return f"{function}({quote}{a}_l{quote}, {quote}{b}_r{quote}) >= 0.9"

    return cll.CustomLevel(
        across("given_text", "surname_text") + " AND " + across("surname_text", "given_text"),
        label_for_charts="swapped, close",
        base_dialect_str="spark" if backend == "spark" else "duckdb",
    )


_WITHIN_TOKENS_SQL = (
    'array_length(array_intersect("name_skels_l", "name_skels_r")) = '
    'least(array_length("name_skels_l"), array_length("name_skels_r")) AND '
    'least(array_length("name_skels_l"), array_length("name_skels_r")) >= 2'
)


def _one_field_empty(filled: str, empty: str) -> str:
    """SQL: one record has `empty` name field empty and its `filled` field's names all
    among the other record's names (an empty field is missing, not different)."""

    def side(a: str, b: str) -> str:
        return (
            f'("{empty}_skel_{a}" IS NULL AND "{filled}_skel_{a}" IS NOT NULL AND '
            f'array_length(array_intersect("name_skels_{a}", "name_skels_{b}")) = '
            f'array_length("name_skels_{a}"))'
        )

    return f"({side('l', 'r')} OR {side('r', 'l')})"


# The share of the filled field's filter bits set in the other record's name filter for
# "one field empty" in private mode: a name spelt another way changes some of its bigrams
# (Mohamed, Mouhamed), which clear mode compares by skeleton.
WITHIN_FILTER_SHARE = 0.8


def _one_filter_empty(filled: str, empty: str) -> str:
    """`_one_field_empty` on Bloom filters: most bits (`WITHIN_FILTER_SHARE`) of the filled
    field's filter are set in the other record's name filter."""

    def side(a: str, b: str) -> str:
        return (
            f'("pc_{empty}_{a}" IS NULL AND "pc_{filled}_{a}" IS NOT NULL AND '
            f"({_shared_sql(filled, 'name', a, b)}) >= "
            f'{WITHIN_FILTER_SHARE} * "pc_{filled}_{a}")'
        )

    return f"({side('l', 'r')} OR {side('r', 'l')})"


def _by_position(level: Callable[[], Any], label: str) -> list[Any]:
    """`level` split four ways by the first given name and the last family name: both
    the same, the first only, the last only, neither."""
    import splink.comparison_level_library as cll

    first, last = "first_given", "last_family"
    return [
        cll.And(level(), cll.ExactMatchLevel(first), cll.ExactMatchLevel(last)).configure(
            label_for_charts=f"{label}, same first and last names"
        ),
        cll.And(level(), cll.ExactMatchLevel(first)).configure(
            label_for_charts=f"{label}, same first name"
        ),
        cll.And(level(), cll.ExactMatchLevel(last)).configure(
            label_for_charts=f"{label}, same last name"
        ),
        level().configure(label_for_charts=f"{label}, names in other places"),
    ]


def _comparisons(
    mode: Mode, backend: Backend = "duckdb", date_m: dict[str, float] | None = None
) -> list[Any]:
    """The Splink comparisons of `mode`: names, birth date, postcode and phone (the
    baseline: plain Jaro-Winkler and exact matches on the raw fields)."""
    import splink.comparison_library as cl

    if mode == "baseline":
        return [
            cl.JaroWinklerAtThresholds("given_name", [0.92, 0.8]),
            cl.JaroWinklerAtThresholds("surname", [0.92, 0.8]),
            cl.ExactMatch("birth_date"),
            cl.ExactMatch("postcode"),
            cl.ExactMatch("phone"),
        ]
    levels = (
        [*_plaintext_name_agreements(backend), *_plaintext_name_partial()]
        if mode == "plaintext"
        else [*_private_name_agreements(), *_private_name_partial()]
    )
    return [
        cl.CustomComparison(output_column_name="name", comparison_levels=levels),
        cl.CustomComparison(
            output_column_name="birth_date",
            comparison_levels=_date_levels(mode, date_m or DEFAULT_DATE_M[mode]),
        ),
        cl.ExactMatch("postcode"),
        cl.CustomComparison(output_column_name="phone", comparison_levels=_phone_levels(mode)),
    ]


def _phone_levels(mode: Mode) -> list[Any]:
    """Phone numbers: the same, one digit apart (a digit mistyped or misheard, the commonest
    corruption of a number: Damerau 1964; the phone corruptors of FEBRL and GeCo), other."""
    import splink.comparison_level_library as cll

    one_digit = (
        cll.DamerauLevenshteinLevel("phone", 1)
        if mode == "plaintext"
        # keyed tokens of the number with one digit masked: one digit substituted
        else cll.ArrayIntersectLevel("phone_masks", 1)
    )
    return [
        cll.NullLevel("phone"),
        cll.ExactMatchLevel("phone"),
        one_digit.configure(label_for_charts="one digit apart"),
        cll.ElseLevel(),
    ]


def _plaintext_name_agreements(backend: Backend) -> list[Any]:
    """The name levels in clear from the null level to "one token set within the other"."""
    import splink.comparison_level_library as cll

    def within() -> Any:
        return cll.CustomLevel(_WITHIN_TOKENS_SQL, base_dialect_str="duckdb")

    return [
        # a record with no name at all; one empty field is compared below (a record
        # with only a given name and one with only a family name are different)
        cll.CustomLevel(
            '("given_skel_l" IS NULL AND "surname_skel_l" IS NULL) OR '
            '("given_skel_r" IS NULL AND "surname_skel_r" IS NULL)',
            base_dialect_str="duckdb",
        ).configure(is_null_level=True),
        # term-frequency adjusted: Mohammed Al-Hassan weighs less than a rare name
        cll.ExactMatchLevel("name_text", term_frequency_adjustments=True).configure(
            label_for_charts="both names exact"
        ),
        cll.ExactMatchLevel("name_key", term_frequency_adjustments=True).configure(
            label_for_charts="both skeletons"
        ),
        cll.And(
            cll.ColumnsReversedLevel("given_skel", "surname_skel", symmetrical=True),
        ).configure(label_for_charts="given and family swapped"),
        _swapped_close(backend),
        cll.ExactMatchLevel("name_skels").configure(label_for_charts="same token set"),
        # Where the shared tokens stand tells people apart: a father's or
        # grandfather's name added or dropped keeps the first given name and
        # usually the last family name; a child's name holds its parent's given
        # name as a family name (same last name, another first name).
        *_by_position(within, "one token set within the other"),
    ]


def _plaintext_name_partial() -> list[Any]:
    """The name levels in clear below "one token set within the other": close names, one
    field empty, some tokens shared, else."""
    import splink.comparison_level_library as cll

    return [
        cll.Or(
            cll.And(
                cll.JaroWinklerLevel("given_skel", 0.88),
                cll.JaroWinklerLevel("surname_skel", 0.88),
            ),
            cll.And(
                cll.JaroWinklerLevel("given_text", 0.9),
                cll.JaroWinklerLevel("surname_text", 0.9),
            ),
        ).configure(label_for_charts="both close"),
        # One name field empty: compared on the other field alone, split because
        # a family name alone is what relatives share (vetoed without a date)
        cll.CustomLevel(
            _one_field_empty("given", "surname"),
            label_for_charts="family name empty, given name within the other's",
            base_dialect_str="duckdb",
        ),
        cll.CustomLevel(
            _one_field_empty("surname", "given"),
            label_for_charts="given name empty, family name within the other's",
            base_dialect_str="duckdb",
        ),
        cll.Or(
            cll.And(cll.ExactMatchLevel("given_skel"), cll.JaroWinklerLevel("surname_text", 0.8)),
            cll.And(cll.ExactMatchLevel("surname_skel"), cll.JaroWinklerLevel("given_text", 0.8)),
        ).configure(label_for_charts="one equal, the other close"),
        cll.ArrayIntersectLevel("name_skels", 2).configure(label_for_charts="two tokens shared"),
        cll.ExactMatchLevel("surname_skel").configure(label_for_charts="family only"),
        cll.ExactMatchLevel("given_skel").configure(label_for_charts="given only"),
        cll.Or(
            cll.JaroWinklerLevel("given_text", 0.88),
            cll.JaroWinklerLevel("surname_text", 0.88),
        ).configure(label_for_charts="one close"),
        # one name in common wherever it stands: swapped names with the other
        # mistyped
        cll.ArrayIntersectLevel("name_skels", 1).configure(
            label_for_charts="one name shared, in either field"
        ),
        cll.ElseLevel(),
    ]


def _filter_level(sql: str, label: str) -> Any:
    """A custom level on the Bloom filters (DuckDB SQL, transpiled for Spark)."""
    import splink.comparison_level_library as cll

    return cll.CustomLevel(sql, label_for_charts=label, base_dialect_str="duckdb")


def _private_name_agreements() -> list[Any]:
    """The name levels on Bloom filters from the null level to "one name filter within
    the other"."""
    import splink.comparison_level_library as cll

    return [
        cll.CustomLevel(
            '"pc_name_l" IS NULL OR "pc_name_r" IS NULL', base_dialect_str="duckdb"
        ).configure(is_null_level=True),
        # term-frequency adjusted, as in clear: a rare name weighs more
        cll.ExactMatchLevel("name_key", term_frequency_adjustments=True).configure(
            label_for_charts="both skeletons (keyed token)"
        ),
        _filter_level(
            f"{_dice_sql('given', 'given')} >= 0.95 AND {_dice_sql('surname', 'surname')} >= 0.95",
            "both filters ≥ 0.95",
        ),
        # the keyed skeletons of both fields share one namespace (bloom.NAMESPACES), so a
        # swapped pair is recognised whatever spelling each field has, as in clear
        cll.ColumnsReversedLevel("given_skel", "surname_skel", symmetrical=True).configure(
            label_for_charts="given and family swapped (keyed tokens)"
        ),
        _filter_level(
            f"{_dice_sql('given', 'surname')} >= 0.9 AND {_dice_sql('surname', 'given')} >= 0.9",
            "swapped ≥ 0.9",
        ),
        _filter_level(f"{_dice_sql('name', 'name')} >= 0.9", "name ≥ 0.9"),
        # the name CLK of one record within the other's (a father's name added), split
        # by where the shared names stand, as in clear
        *_by_position(
            lambda: cll.CustomLevel(
                f'({_shared_sql("name", "name")}) = least("pc_name_l", "pc_name_r") AND '
                f"{_dice_sql('name', 'name')} >= 0.7",
                base_dialect_str="duckdb",
            ),
            "one name filter within the other",
        ),
    ]


# The Dice coefficient of the other field's filters in "one equal, the other close" in
# private mode: about what Jaro-Winkler 0.8 is on bigrams of names of 5 to 10 letters.
CLOSE_FILTER_DICE = 0.6


def _private_name_partial() -> list[Any]:
    """The name levels on Bloom filters below "one name filter within the other"."""
    import splink.comparison_level_library as cll

    return [
        _filter_level(
            f"{_dice_sql('given', 'given')} >= 0.75 AND {_dice_sql('surname', 'surname')} >= 0.75",
            "both filters ≥ 0.75",
        ),
        # what "both close" holds in clear: a typo or a variant in each field (one edit in
        # a name of six letters leaves a Dice coefficient of about 0.65 to 0.8)
        _filter_level(
            f"{_dice_sql('given', 'given')} >= {CLOSE_FILTER_DICE} AND "
            f"{_dice_sql('surname', 'surname')} >= {CLOSE_FILTER_DICE}",
            "both filters close",
        ),
        # one name field empty, as in clear
        _filter_level(
            _one_filter_empty("given", "surname"),
            "family name empty, given name filter within the other's",
        ),
        _filter_level(
            _one_filter_empty("surname", "given"),
            "given name empty, family name filter within the other's",
        ),
        # one field's skeleton equal (keyed token), the other's filter close: what "one
        # equal, the other close" is in clear, where a typo or a variant sits in one field
        _filter_level(
            f'("given_skel_l" = "given_skel_r" AND '
            f"{_dice_sql('surname', 'surname')} >= {CLOSE_FILTER_DICE}) OR "
            f'("surname_skel_l" = "surname_skel_r" AND '
            f"{_dice_sql('given', 'given')} >= {CLOSE_FILTER_DICE})",
            "one equal (keyed token), the other's filter close",
        ),
        # relatives: the same family name, another given name (evidence against)
        _filter_level(
            f"{_dice_sql('surname', 'surname')} >= 0.9 AND {_dice_sql('given', 'given')} < 0.5",
            "family ≥ 0.9, given < 0.5",
        ),
        _filter_level(f"{_dice_sql('name', 'name')} >= 0.7", "name ≥ 0.7"),
        _filter_level(f"{_dice_sql('surname', 'surname')} >= 0.9", "family ≥ 0.9"),
        _filter_level(f"{_dice_sql('given', 'given')} >= 0.9", "given ≥ 0.9"),
        # one name field's filter within the other record's name filter, either way
        _filter_level(
            f'(({_shared_sql("given", "name", "l", "r")}) = "pc_given_l" OR '
            f'({_shared_sql("surname", "name", "l", "r")}) = "pc_surname_l" OR '
            f'({_shared_sql("given", "name", "r", "l")}) = "pc_given_r" OR '
            f'({_shared_sql("surname", "name", "r", "l")}) = "pc_surname_r")',
            "one name filter within the other's, either field",
        ),
        cll.ElseLevel(),
    ]


def _date_levels(mode: Mode, date_m: dict[str, float]) -> list[Any]:
    """The birth-date levels, their m probabilities set, not estimated by EM (EM blocks on
    the birth date): measured on confident pairs (`date_m_from_confident_pairs`), or our
    estimates for registrations of newcomers when the data has too few such pairs."""
    import splink.comparison_level_library as cll

    partial = '"dob_full_l" IS NULL OR "dob_full_r" IS NULL'
    both_partial = '"dob_full_l" IS NULL AND "dob_full_r" IS NULL'
    one_digit = (
        cll.DamerauLevenshteinLevel("dob_digits", 1).configure(m_probability=date_m["one digit"])
        if mode == "plaintext"
        # keyed tokens of the date with one digit masked: one digit substituted
        else cll.ArrayIntersectLevel("dob_masks", 1).configure(
            label_for_charts="one digit apart", m_probability=date_m["one digit"]
        )
    )
    return [
        cll.NullLevel("dob_year"),
        cll.ExactMatchLevel("dob_full").configure(m_probability=date_m["exact"]),
        cll.ExactMatchLevel("dob_swap").configure(
            label_for_charts="day and month swapped", m_probability=date_m["swapped"]
        ),
        one_digit,
        # Both dates year-only (1 January placeholders): a person whose documents carry a
        # placeholder has it on every record, which random pairs rarely share.
        cll.And(
            cll.ExactMatchLevel("dob_year"),
            cll.CustomLevel(both_partial, base_dialect_str="duckdb"),
        ).configure(
            label_for_charts="same year, both partial or placeholder",
            m_probability=date_m["both partial"],
        ),
        cll.And(
            cll.ExactMatchLevel("dob_year"),
            cll.CustomLevel(partial, base_dialect_str="duckdb"),
        ).configure(
            label_for_charts="same year, one date partial or placeholder",
            m_probability=date_m["one partial"],
        ),
        cll.ExactMatchLevel("dob_year").configure(
            label_for_charts="same year", m_probability=date_m["same year"]
        ),
        cll.ElseLevel().configure(m_probability=date_m["else"]),
    ]


# Shares of true pairs per birth-date level when the data has too few confident pairs to
# measure them (our estimates for registrations of newcomers, docs/linkage.md).
DEFAULT_DATE_M: dict[Mode, dict[str, float]] = {
    "plaintext": {
        "exact": 0.74,
        "swapped": 0.03,
        "one digit": 0.03,
        "both partial": 0.09,
        "one partial": 0.04,
        "same year": 0.01,
        "else": 0.06,
    },
    "private": {
        "exact": 0.74,
        "swapped": 0.03,
        "one digit": 0.03,
        "both partial": 0.09,
        "one partial": 0.04,
        "same year": 0.01,
        "else": 0.06,
    },
}
MIN_CONFIDENT_PAIRS = 500


def _one_edit(a: str, b: str) -> bool:
    """Damerau-Levenshtein distance of at most 1."""
    if a == b:
        return True
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        if len(diff) == 1:
            return True
        i = diff[0]
        return len(diff) == 2 and diff[1] == i + 1 and a[i] == b[i + 1] and a[i + 1] == b[i]
    if abs(len(a) - len(b)) != 1:
        return False
    short, long = (a, b) if len(a) < len(b) else (b, a)
    return any(long[:i] + long[i + 1 :] == short for i in range(len(long)))


def _date_level(left: dict[str, Any], right: dict[str, Any], mode: Mode) -> str:
    full_l, full_r = left["dob_full"], right["dob_full"]
    if full_l is not None and full_l == full_r:
        return "exact"
    if left["dob_swap"] is not None and left["dob_swap"] == right["dob_swap"]:
        return "swapped"
    if mode == "plaintext":
        digits_l, digits_r = left["dob_digits"], right["dob_digits"]
        if digits_l is not None and digits_r is not None and _one_edit(digits_l, digits_r):
            return "one digit"
    elif set(left["dob_masks"] or ()) & set(right["dob_masks"] or ()):
        return "one digit"
    if left["dob_year"] == right["dob_year"]:
        if full_l is None and full_r is None:
            return "both partial"
        if full_l is None or full_r is None:
            return "one partial"
        return "same year"
    return "else"


def date_m_from_confident_pairs(
    features: pl.DataFrame, mode: Mode, *, minimum: int = MIN_CONFIDENT_PAIRS
) -> dict[str, float] | None:
    """Birth-date m probabilities measured on pairs that are almost surely one person.

    Confident pairs share the skeletons of the first given and last family name and the
    phone number (relatives sharing a phone have different given names). Their dates vary
    independently of those fields, so the share of each birth-date level among them
    estimates its m probability; None when there are fewer than `minimum`.
    """
    if mode == "baseline":
        return None
    columns = ["unique_id", "blk_names", "phone", "dob_full", "dob_swap", "dob_year"]
    columns.append("dob_digits" if mode == "plaintext" else "dob_masks")
    known = features.select(columns).filter(
        pl.col("blk_names").is_not_null()
        & pl.col("phone").is_not_null()
        & pl.col("dob_year").is_not_null()
    )
    pairs = known.join(known, on=["blk_names", "phone"], suffix="_r").filter(
        pl.col("unique_id") < pl.col("unique_id_r")
    )
    if pairs.height < minimum:
        return None
    names = columns[3:]
    counts = dict.fromkeys(DEFAULT_DATE_M[mode], 0)
    for row in pairs.select(*names, *(f"{c}_r" for c in names)).iter_rows(named=True):
        right = {c: row[f"{c}_r"] for c in names}
        counts[_date_level(row, right, mode)] += 1
    total = sum(counts.values())
    # a floor keeps every level possible (a level never seen would veto a pair)
    return {level: max(count / total, 0.001) for level, count in counts.items()}


# The prior (probability that two random records match) is estimated from the pairs that
# share both name keys and the full birth date, given the share of true pairs that rule
# finds (its recall). That share is measured on the data (`deterministic_recall`): it falls
# where dates are often missing or mistyped, and a constant chosen on one population
# misstates the prior on another (docs/linkage.md, "Robust settings").
DEFAULT_RECALL = 0.7  # when the data has too few confident pairs to measure it
RECALL_BOUNDS = (0.2, 0.95)


def _agreeing_share(
    features: pl.DataFrame, on: list[str], agree: str, minimum: int
) -> float | None:
    """Among pairs of records equal on `on` (all known), the share equal on `agree`."""
    known = features.select("unique_id", *on, agree).drop_nulls(on)
    pairs = known.join(known, on=on, suffix="_r").filter(
        pl.col("unique_id") < pl.col("unique_id_r")
    )
    if pairs.height < minimum:
        return None
    same = pairs.filter(pl.col(agree).is_not_null() & (pl.col(agree) == pl.col(f"{agree}_r")))
    return same.height / pairs.height


def deterministic_recall(features: pl.DataFrame, *, minimum: int = MIN_CONFIDENT_PAIRS) -> float:
    """The share of true pairs that share name keys (`blk_names`) and full birth date.

    Measured as two shares on confident pairs, whose errors are independent of the field
    measured: among pairs sharing name keys and phone, the share with the same full date;
    among pairs sharing full date and phone, the share with the same name keys (relatives
    sharing a phone have other given names and other dates). `DEFAULT_RECALL` when either
    has fewer than `minimum` pairs.
    """
    dates = _agreeing_share(features, ["blk_names", "phone"], "dob_full", minimum)
    names = _agreeing_share(features, ["dob_full", "phone"], "blk_names", minimum)
    if dates is None or names is None:
        return DEFAULT_RECALL
    low, high = RECALL_BOUNDS
    return min(max(dates * names, low), high)


def _training_key(values: pl.Series, share: float) -> pl.Series:
    """The key for the records whose key hashes into the training share, else null (whole
    blocks are kept, so EM sees every pair of a sampled block)."""
    limit = int(share * 2**32)

    def keep(value: str | None) -> str | None:
        if value is None:
            return None
        digest = hashlib.blake2b(value.encode(), digest_size=4).digest()
        return value if int.from_bytes(digest, "big") < limit else None

    return pl.Series([keep(value) for value in values.to_list()], dtype=pl.String)


@contextlib.contextmanager
def _quiet_splink() -> Iterator[None]:
    # Splink reports training progress through logging at INFO and WARNING; a run of the
    # engine reports through `progress` instead. Every use of splink by the engine goes
    # through here, so its SQL parsing is memoized here too (splink_parsing.py: three
    # quarters of a small run's CPU).
    memoize_splink_parsing()
    previous = logging.root.manager.disable
    logging.disable(logging.WARNING)
    try:
        yield
    finally:
        logging.disable(previous)


def train_linker(
    features: pl.DataFrame,
    *,
    mode: Mode,
    backend: Backend = "duckdb",
    spark: Any = None,
    progress: Progress | None = None,
    memory_limit: str = "4GB",
    model: dict[str, Any] | None = None,
) -> tuple[Any, Any]:
    """A trained Splink linker over `features` and its database API (unsupervised, EM).

    With `model` (a model saved by an earlier run, or one re-estimated from clerical
    labels, `relearn.py`), the linker uses it as it is and nothing is trained."""
    from splink import Linker

    records = len(features)
    share = min(1.0, TRAINING_RECORDS / max(records, 1))
    # EM blocks on pairs sharing a birth date (day and month unordered), so that names,
    # postcode and phone are free to vary; the birth-date levels keep their set m values.
    if mode != "baseline":
        features = features.with_columns(
            _training_key(features["dob_swap"], share).alias("train_key"),
        )
    date_m = date_m_from_confident_pairs(features, mode)
    features_for_recall = features.select(
        "unique_id", *(c for c in ("blk_names", "phone", "dob_full") if c in features.columns)
    )
    settings = _settings(mode, backend, date_m)
    db_api, table = _database(features, backend, spark, memory_limit)
    del features
    if model is not None:
        return Linker(table, copy.deepcopy(model), db_api), db_api
    linker = Linker(table, settings, db_api)
    _estimate(linker, mode, records, features_for_recall, progress)
    return linker, db_api


def _settings(mode: Mode, backend: Backend, date_m: dict[str, float] | None) -> Any:
    """The Splink settings of `mode`: comparisons, blocking rules, what to keep."""
    from splink import SettingsCreator, block_on

    return SettingsCreator(
        link_type="dedupe_only",
        comparisons=_comparisons(mode, backend, date_m),
        blocking_rules_to_generate_predictions=[
            block_on(*keys, arrays_to_explode=[k for k in keys if k in ARRAY_KEYS] or None)
            for keys in BLOCKING_KEYS[mode]
        ],
        retain_matching_columns=mode != "baseline",  # gamma columns for the veto
        retain_intermediate_calculation_columns=False,
        max_iterations=20,
    )


def _database(
    features: pl.DataFrame, backend: Backend, spark: Any, memory_limit: str
) -> tuple[Any, Any]:
    """The Splink database API of `backend` and the table of `features` in it."""
    if backend == "spark":
        from splink import SparkAPI

        if spark is None:
            raise ValueError("backend='spark' needs a SparkSession: spark=...")
        return SparkAPI(spark_session=spark), _spark_frame(spark, features)  # type: ignore[no-untyped-call]
    import duckdb
    from splink import DuckDBAPI

    connection = duckdb.connect()
    connection.execute(f"SET memory_limit = '{memory_limit}'")
    # spill to the system's temporary directory, not the working directory
    spill = Path(tempfile.gettempdir()) / "passerelle-linkage"
    connection.execute(f"SET temp_directory = '{spill}'")
    connection.execute("SET preserve_insertion_order = false")
    connection.register("records_arrow", features.to_arrow())
    connection.execute("CREATE TABLE records AS SELECT * FROM records_arrow")
    connection.unregister("records_arrow")
    return DuckDBAPI(connection=connection), "records"


def _estimate(
    linker: Any,
    mode: Mode,
    records: int,
    features_for_recall: pl.DataFrame,
    progress: Progress | None,
) -> None:
    """Train `linker`: the prior, u by random sampling, m by EM."""
    from splink import block_on

    def step(message: str) -> None:
        if progress is not None:
            progress(message)

    step("training: prior")
    deterministic: list[Any] = (
        [block_on("given_name", "surname", "birth_date")]
        if mode == "baseline"
        else [block_on("blk_names", "dob_full")]
    )
    recall = 0.7 if mode == "baseline" else deterministic_recall(features_for_recall)
    linker.training.estimate_probability_two_random_records_match(deterministic, recall=recall)
    step("training: u probabilities")
    # more random pairs on more records: the rarer name levels (a token set within the
    # other with the same first and last names) need enough of them, in time linear in
    # the records
    u_pairs = min(max(U_PAIRS_PER_RECORD * records, U_PAIRS_MIN), U_PAIRS_MAX)
    linker.training.estimate_u_using_random_sampling(max_pairs=u_pairs, seed=1)
    step("training: m probabilities (EM)")
    if mode == "baseline":
        em_rules = [
            block_on("given_name", "surname"),
            block_on("birth_date", "substr(given_name, 1, 1)"),
            block_on("birth_date", "substr(surname, 1, 1)"),
        ]
    else:
        # naming dob_swap keeps the birth-date comparison out of EM (its m are set)
        em_rules = [block_on("dob_swap", "train_key")]
    for rule in em_rules:
        linker.training.estimate_parameters_using_expectation_maximisation(
            rule, fix_u_probabilities=True
        )


# Fellegi-Sunter weighs an agreement by how often random records agree so (u), the same
# for everyone: Mohammed Ahmad and a rare name weigh alike, although a record among
# namesakes meets many records that look like it and a rare one few. Splink's
# term-frequency adjustment corrects this for exact values of one field only; the number
# of candidate pairs a record has covers spelling variants, the fuzzy levels and all
# fields together. A pair's odds are multiplied by the mean number of candidate pairs
# (per pair, of the busier record) over that of the busier of its two records, so the
# evidence is unchanged on average (docs/linkage.md, "Candidates").
CANDIDATE_FLOOR = 0.02  # a candidate pair: match probability at least this


def candidate_adjusted(pairs: pl.DataFrame) -> pl.DataFrame:
    """`pairs` (unique_id_l, unique_id_r, match_probability; all the pairs at or above
    `CANDIDATE_FLOOR` that may be joined) with match_probability adjusted for how many
    candidate pairs each record has, and two columns: `candidates` (of the busier record)
    and `candidate_weight` (log2 of the factor applied to the odds)."""
    candidate_pairs = pairs.filter(pl.col("match_probability") >= CANDIDATE_FLOOR)
    counts = (
        pl.concat(
            [candidate_pairs.select(uid="unique_id_l"), candidate_pairs.select(uid="unique_id_r")]
        )
        .group_by("uid")
        .agg(count=pl.len())
    )
    busier = (
        pairs.join(
            counts.rename({"uid": "unique_id_l", "count": "left"}), on="unique_id_l", how="left"
        )
        .join(counts.rename({"uid": "unique_id_r", "count": "right"}), on="unique_id_r", how="left")
        .with_columns(candidates=pl.max_horizontal("left", "right").fill_null(1))
        .drop("left", "right")
    )
    mean = busier.filter(pl.col("match_probability") >= CANDIDATE_FLOOR)["candidates"].mean()
    if not isinstance(mean, float):  # no candidate pairs
        mean = 1.0
    factor = mean / pl.col("candidates")
    odds = pl.col("match_probability") / (1 - pl.col("match_probability")).clip(1e-12)
    adjusted = odds * factor
    return busier.with_columns(
        match_probability=adjusted / (1 + adjusted),
        candidate_weight=factor.log(2),
    )


def scored_pairs(linker: Any, db_api: Any, *, mode: Mode, threshold: float) -> Any:
    """The pairs at or above `threshold` (a Splink dataframe), after the household veto."""
    predictions = linker.inference.predict(threshold_match_probability=threshold)
    if mode != "baseline":
        predictions = db_api.sql_to_splink_dataframe_checking_cache(
            # The SQL names only tables and columns from code; every value is a parameter.
            f"SELECT * FROM {predictions.physical_name} "  # noqa: S608
            f"WHERE NOT coalesce({household_veto_sql(mode)}, false)",
            "__splink__df_predict_vetoed",
        )
    return predictions


def dedupe_features(
    features: pl.DataFrame,
    *,
    mode: Mode,
    threshold: float,
    backend: Backend = "duckdb",
    spark: Any = None,
    progress: Progress | None = None,
    memory_limit: str = "4GB",
    model: dict[str, Any] | None = None,
) -> LinkageRun:
    """Train a Fellegi-Sunter model on `features` (unsupervised, EM) and cluster the records.

    `features` has a `unique_id` column and the columns of `mode`; `threshold` is the match
    probability at which two records are joined, after the household veto and the
    candidate adjustment (`candidate_adjusted`); clusters are coherent connected
    components (`coherent_clusters`). The baseline has neither: plain Splink. With
    `model`, that model scores the pairs and nothing is trained (`train_linker`).
    """

    def step(message: str) -> None:
        if progress is not None:
            progress(message)

    ids = features["unique_id"].cast(pl.String)
    with _quiet_splink():
        linker, db_api = train_linker(
            features,
            mode=mode,
            backend=backend,
            spark=spark,
            progress=progress,
            memory_limit=memory_limit,
            model=model,
        )
        del features
        step("scoring pairs")
        # the baseline is plain Splink: no candidate adjustment, plain connected components
        plain = mode == "baseline"
        floor = threshold if plain else min(threshold, CANDIDATE_FLOOR)
        predictions = scored_pairs(linker, db_api, mode=mode, threshold=floor)
        step("clustering")
        edges = pl.from_pandas(
            linker.misc.query_sql(
                # The SQL names only tables and columns from code; every value is a parameter.
                "SELECT unique_id_l, unique_id_r, match_probability "  # noqa: S608
                f"FROM {predictions.physical_name}",
                output_type="pandas",
            )
        )
        model = linker.misc.save_model_to_json()
    if not plain:
        edges = candidate_adjusted(edges).filter(pl.col("match_probability") >= threshold)
    frame = coherent_clusters(ids, edges, split=not plain)
    return LinkageRun(
        clusters=frame,
        model=model,
        pairs_above_threshold=edges.height,
    )


# A cluster of at least CLUSTER_MIN_SIZE records must hold links (summed match probability)
# on at least CLUSTER_MIN_DENSITY of its pairs; otherwise its links below each of
# CLUSTER_STEPS in turn are cut (connected components chain people through one record).
CLUSTER_MIN_SIZE = 4
CLUSTER_MIN_DENSITY = 0.6
CLUSTER_STEPS = (0.8, 0.9, 0.95, 0.99, 0.999)


def coherent_clusters(ids: pl.Series, edges: pl.DataFrame, *, split: bool = True) -> pl.DataFrame:
    """Connected components of `edges` (unique_id_l, unique_id_r, match_probability) over
    the records `ids`, with loose components split (see `CLUSTER_MIN_DENSITY`).

    Returns record_id, cluster_id (the smallest record id of the cluster).
    """
    import numpy as np
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    index = pl.DataFrame({"record_id": ids}).with_row_index("i")
    joined = (
        edges.select(
            pl.col("unique_id_l").cast(pl.String),
            pl.col("unique_id_r").cast(pl.String),
            pl.col("match_probability").cast(pl.Float64),
        )
        .join(index.rename({"record_id": "unique_id_l", "i": "left"}), on="unique_id_l")
        .join(index.rename({"record_id": "unique_id_r", "i": "right"}), on="unique_id_r")
    )
    left = joined["left"].to_numpy().astype(np.int64)
    right = joined["right"].to_numpy().astype(np.int64)
    probability = joined["match_probability"].to_numpy()
    n = len(ids)

    def components() -> Any:
        graph = coo_matrix((np.ones(len(left)), (left, right)), shape=(n, n))
        return connected_components(graph, directed=False)[1]

    labels = components()
    for step in CLUSTER_STEPS if split else ():
        sizes = np.bincount(labels, minlength=n).astype(np.float64)
        mass = np.bincount(labels[left], weights=probability, minlength=n)
        loose = (sizes >= CLUSTER_MIN_SIZE) & (mass < CLUSTER_MIN_DENSITY * sizes * (sizes - 1) / 2)
        if not loose.any():
            break
        keep = ~(loose[labels[left]] & (probability < step))
        left, right, probability = left[keep], right[keep], probability[keep]
        labels = components()
    return (
        index.with_columns(label=pl.Series(labels))
        .with_columns(pl.col("record_id").min().over("label").alias("cluster_id"))
        .select("record_id", "cluster_id")
    )
