"""From input records to the columns the linkage model compares (plaintext mode).

Input: a polars DataFrame with string columns `record_id, given_name, surname, birth_date,
postcode, phone` (any value may be empty or null; other columns are ignored). Output: one
row per record with normalised names, birth-date keys, postcode, phone and blocking keys.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

import polars as pl

from passerelle.knowledge.dates import PartialDate

from .names import NameParts, name_parts

REQUIRED_COLUMNS = ("record_id", "given_name", "surname", "birth_date", "postcode", "phone")


class LinkageInputError(ValueError):
    """Bad input: the message names the column (and the row where one is at fault)."""

    def __init__(self, column: str, message: str) -> None:
        super().__init__(f"{column}: {message}")
        self.column = column


_DMY = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})$")
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")


@dataclass(frozen=True)
class BirthDate:
    """A birth date as registered: `day`/`month` are None when unknown or a placeholder."""

    year: int
    month: int | None
    day: int | None

    @property
    def is_full(self) -> bool:
        return self.month is not None and self.day is not None

    @property
    def full_key(self) -> str | None:
        if self.month is None or self.day is None:
            return None
        return f"{self.year:04d}-{self.month:02d}-{self.day:02d}"

    @property
    def swap_key(self) -> str | None:
        """Year and the unordered pair (day, month): equal when day and month are swapped."""
        if self.month is None or self.day is None:
            return None
        low, high = sorted((self.month, self.day))
        return f"{self.year:04d}~{low:02d}~{high:02d}"


def parse_birth_date(value: str | None, *, placeholders: bool = True) -> BirthDate | None:
    """Read YYYY-MM-DD, YYYY-MM, YYYY, YYYYMMDD or DD/MM/YYYY (also with . or -).

    1 January is the usual placeholder for an unknown day and month (registries write
    01-01 when only the year is known): it is read as the year only, unless `placeholders`
    is False (for data where 1 January is a real date). An
    empty value gives None; an unreadable one raises ValueError.
    """
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    match = _DMY.match(text)
    if match:
        text = f"{match.group(3)}-{int(match.group(2)):02d}-{int(match.group(1)):02d}"
    match = _COMPACT.match(text)
    if match:
        text = f"{match.group(1)}-{match.group(2)}-{match.group(3)}"
    partial = PartialDate.parse(text)  # raises ValueError on anything else
    day = partial.first_day
    if partial.precision == "year" or (placeholders and day.month == 1 and day.day == 1):
        return BirthDate(day.year, None, None)
    if partial.precision == "month":
        return BirthDate(day.year, day.month, None)
    return BirthDate(day.year, day.month, day.day)


def _digits(value: str | None) -> str:
    return re.sub(r"\D", "", value or "")


def normalise_phone(value: str | None) -> str | None:
    """The national number's last nine digits (+32 475…, 0032 475…, 0475… all agree)."""
    digits = _digits(value)
    if len(digits) < 8:
        return None
    return digits[-9:]


def normalise_postcode(value: str | None) -> str | None:
    digits = _digits(value)
    return digits if len(digits) == 4 else (value or "").strip().upper() or None


def _check_columns(records: pl.DataFrame) -> pl.DataFrame:
    missing = [column for column in REQUIRED_COLUMNS if column not in records.columns]
    if missing:
        raise LinkageInputError(
            missing[0],
            "missing column; the input needs " + ", ".join(REQUIRED_COLUMNS),
        )
    frame = records.select(
        [pl.col(column).cast(pl.String, strict=False) for column in REQUIRED_COLUMNS]
    )
    ids = frame["record_id"]
    if ids.null_count() or (ids.str.strip_chars() == "").any():
        row = int((ids.is_null() | (ids.str.strip_chars() == "")).arg_max() or 0)
        raise LinkageInputError("record_id", f"empty on row {row + 1}; every record needs an id")
    if ids.n_unique() != len(ids):
        duplicate = ids.filter(ids.is_duplicated())[0]
        raise LinkageInputError("record_id", f"{duplicate!r} appears more than once")
    return frame


def _birth_dates(
    values: list[str | None], *, lenient: bool, placeholders: bool
) -> list[BirthDate | None]:
    parsed: list[BirthDate | None] = []
    for row, value in enumerate(values):
        try:
            parsed.append(parse_birth_date(value, placeholders=placeholders))
        except ValueError:
            if lenient:
                parsed.append(None)
                continue
            raise LinkageInputError(
                "birth_date",
                f"{value!r} on row {row + 1} is not a date; expected YYYY-MM-DD, YYYY-MM, YYYY, "
                "YYYYMMDD or DD/MM/YYYY",
            ) from None
    return parsed


def _pair_key(a: str, b: str) -> str | None:
    if not a and not b:
        return None
    low, high = sorted((a, b))
    return f"{low}|{high}"


def plaintext_features(
    records: pl.DataFrame,
    *,
    lenient_dates: bool = False,
    placeholder_dates: bool = True,
    capped: bool = True,
) -> pl.DataFrame:
    """The comparison and blocking columns of every record (see the module docstring).

    `lenient_dates` reads an unparseable birth date as missing (for benchmark data sets with
    corrupted dates) instead of raising `LinkageInputError`; `placeholder_dates=False` reads
    1 January as a real date rather than as "year only". `capped=False` keeps every
    blocking key whole, however large its block (to tell which true pairs the caps cost).
    """
    frame = _check_columns(records)
    given = frame["given_name"].fill_null("").to_list()
    surname = frame["surname"].fill_null("").to_list()
    parts = [name_parts(g, s) for g, s in zip(given, surname, strict=True)]
    dates = _birth_dates(
        frame["birth_date"].to_list(), lenient=lenient_dates, placeholders=placeholder_dates
    )
    dob_digits = _date_digits(dates, frame["birth_date"].fill_null("").to_list(), lenient_dates)

    def none_if_empty(value: str) -> str | None:
        return value or None

    given_skel = [none_if_empty(p.given_skeleton) for p in parts]
    surname_skel = [none_if_empty(p.surname_skeleton) for p in parts]
    initials = [_pair_key(p.first_given_skeleton[:1], p.last_surname_skeleton[:1]) for p in parts]
    swap_keys = [d.swap_key if d else None for d in dates]
    years = [str(d.year) if d else None for d in dates]
    postcodes = [normalise_postcode(v) for v in frame["postcode"].to_list()]
    phones = [normalise_phone(v) for v in frame["phone"].to_list()]
    columns: dict[str, pl.Series | list[str | None]] = {
        "unique_id": frame["record_id"].str.strip_chars(),
        "given_text": [none_if_empty(p.given_text) for p in parts],
        "surname_text": [none_if_empty(p.surname_text) for p in parts],
        "given_skel": given_skel,
        "surname_skel": surname_skel,
        "name_skels": [" ".join(p.token_skeletons) or None for p in parts],
        "name_text": [
            f"{p.given_text}|{p.surname_text}" if p.given or p.surname else None for p in parts
        ],
        # the first given name: a father's name added keeps it, a child's name does not
        "first_given": [none_if_empty(p.first_given_skeleton) for p in parts],
        "last_family": [none_if_empty(p.last_surname_skeleton) for p in parts],
        "name_key": [
            f"{p.given_skeleton}|{p.surname_skeleton}" if p.given or p.surname else None
            for p in parts
        ],
        "dob_full": [d.full_key if d else None for d in dates],
        "dob_swap": swap_keys,
        "dob_year": years,
        "dob_digits": dob_digits,
        # the date (eight digits) and the phone (nine) with one digit masked, every way:
        # what the private mode compares, as keyed tokens, instead of an edit distance
        "dob_masks": [_masks(d) for d in dob_digits],
        "postcode": postcodes,
        "phone": phones,
        "phone_masks": [_masks(p) for p in phones],
        "blk_names": [_pair_key(p.first_given_skeleton, p.last_surname_skeleton) for p in parts],
        **_blocking_columns(parts, swap_keys, years, postcodes, initials),
    }
    plain = pl.DataFrame(
        columns,
        # every column is text: one without any value (no birth date in any record, or no
        # record at all) would otherwise be of type null and break the splits below
        schema_overrides=dict.fromkeys(columns, pl.String),
    ).with_columns(  # array columns were built as space-separated text (faster)
        pl.col(column).str.split(" ")
        for column in ("name_skels", "dob_masks", "phone_masks", *ARRAY_BLOCKING_COLUMNS)
    )
    return cap_blocks(plain) if capped else plain


def _masks(digits: str | None) -> str | None:
    """`digits` with one digit masked, every way (space-separated): two numbers one
    substituted digit apart share one."""
    if not digits:
        return None
    return " ".join(digits[:i] + "*" + digits[i + 1 :] for i in range(len(digits)))


def _blocking_columns(
    parts: list[NameParts],
    swap_keys: list[str | None],
    years: list[str | None],
    postcodes: list[str | None],
    initials: list[str | None],
) -> dict[str, list[str | None]]:
    """The blocking keys of every record (`ARRAY_BLOCKING_COLUMNS` as space-separated
    text, and `blk_dob_initials`); docs/linkage.md, "Blocking"."""
    return {
        "blk_dob_initials": [
            f"{k}#{i}" if k and i else None for k, i in zip(swap_keys, initials, strict=True)
        ],
        "blk_name_pairs": [_token_pairs(p.token_skeletons) for p in parts],
        "blk_token_dob": [
            " ".join(f"{t}#{k}" for t in p.token_skeletons) or None if k else None
            for p, k in zip(parts, swap_keys, strict=True)
        ],
        "blk_token_year": [
            " ".join(f"{t}#{y}" for t in p.token_skeletons) or None if y else None
            for p, y in zip(parts, years, strict=True)
        ],
        # a pair of name tokens with the birth year: placeholder dates of common names
        "blk_pair_year": [
            " ".join(f"{t}#{y}" for t in _token_pair_list(p.token_skeletons)) or None if y else None
            for p, y in zip(parts, years, strict=True)
        ],
        # the first letter of any name token with the birth date: typos in every token
        "blk_initial_dob": [
            " ".join(f"{i}#{k}" for i in _initials(p)) or None if k else None
            for p, k in zip(parts, swap_keys, strict=True)
        ],
        # one name token alone: the other tokens replaced or mistyped, no date
        "blk_token": [" ".join(p.token_skeletons) or None for p in parts],
        # one name token with the postcode: no date on one record and the other tokens
        # spelt apart, where the token alone is too common to keep its block
        "blk_token_postcode": [
            " ".join(f"{t}#{c}" for t in p.token_skeletons) or None if c else None
            for p, c in zip(parts, postcodes, strict=True)
        ],
        # the birth date with the postcode: every name token spelt apart or mistyped (an
        # array of one key, so that it is capped like the others)
        "blk_dob_postcode": [
            f"{k}#{c}" if k and c else None for k, c in zip(swap_keys, postcodes, strict=True)
        ],
        # one name token whole with another token or that token less one letter: one
        # typo in the other token (symmetric delete: two spellings one edit apart share
        # a deletion)
        "blk_pair_del": [_delete_one_pairs(p.token_skeletons) for p in parts],
    }


def _date_digits(
    dates: list[BirthDate | None], raw_dates: list[str], lenient: bool
) -> list[str | None]:
    """Each full birth date as its eight digits (YYYYMMDD); with `lenient`, the eight digits
    of a date that did not parse (a corrupted one) too; None otherwise."""
    digits_of: list[str | None] = []
    for date, raw in zip(dates, raw_dates, strict=True):
        if date is not None and date.is_full:
            digits_of.append(f"{date.year:04d}{date.month:02d}{date.day:02d}")
        else:
            digits = _digits(raw)
            digits_of.append(digits if len(digits) == 8 and lenient else None)
    return digits_of


ARRAY_BLOCKING_COLUMNS = (
    "blk_name_pairs",
    "blk_token_dob",
    "blk_token_year",
    "blk_pair_year",
    "blk_initial_dob",
    "blk_token",
    "blk_token_postcode",
    "blk_dob_postcode",
    "blk_pair_del",
)
# Keys shared by more records than this (Mohammed + 1990) are split by a second key
# (`SUB_BLOCKS`), and only what stays over it is dropped: each record is in a few blocks
# of bounded size, so the pairs scored grow linearly with the records.
MAX_BLOCK = {
    "blk_name_pairs": 120,
    "blk_token_dob": 60,
    "blk_token_year": 60,
    "blk_pair_year": 60,
    "blk_initial_dob": 20,
    "blk_token": 30,
    "blk_token_postcode": 60,
    "blk_dob_postcode": 20,
    "blk_pair_del": 30,
}
# An oversized block is split by these columns in turn (a key and the record's value:
# Mohammed with the postcode, then with the year), each a field that the errors of the
# name tokens leave alone and that both modes hold (keyed tokens in private mode); a
# sub-block still over the cap is split by the next, and dropped when none is left. A
# record without the value leaves the oversized block: it has no bounded block there.
SUB_BLOCKS: dict[str, tuple[str, ...]] = {
    "blk_name_pairs": ("postcode", "dob_year"),
    "blk_token_dob": ("postcode",),
    "blk_token_year": ("postcode",),
    "blk_pair_year": ("postcode",),
    "blk_initial_dob": ("postcode",),
    "blk_token": ("postcode", "dob_year"),
    "blk_token_postcode": ("dob_year",),
    "blk_dob_postcode": (),
    "blk_pair_del": ("postcode", "dob_year"),
}
MAX_KEYS = 120  # keys of one record in one column (what an encoded cell may hold)


def _token_pair_list(tokens: tuple[str, ...]) -> list[str]:
    return [f"{a}|{b}" for i, a in enumerate(tokens) for b in tokens[i + 1 :]] or list(tokens)


def _token_pairs(tokens: tuple[str, ...]) -> str | None:
    return " ".join(_token_pair_list(tokens)) or None


def _initials(parts: NameParts) -> list[str]:
    return sorted({token[0] for token in (*parts.given, *parts.surname) if token})


def _delete_one_pairs(tokens: tuple[str, ...]) -> str | None:
    """Keys `a>b` of every token `a` with every other token `b` and with `b` less one
    letter (skeletons of three letters or more), at most `MAX_KEYS`: two records whose
    other token differs by one keyboard, OCR or phonetic slip share one (FastSS)."""
    keys: dict[str, None] = {}
    for i, whole in enumerate(tokens):
        for j, other in enumerate(tokens):
            if i == j or whole == other:
                continue
            keys[f"{whole}>{other}"] = None
            if len(other) >= 3:
                keys.update(
                    dict.fromkeys(f"{whole}>{other[:k]}{other[k + 1 :]}" for k in range(len(other)))
                )
    return " ".join(list(keys)[:MAX_KEYS]) or None


def cap_blocks(
    frame: pl.DataFrame, sub_blocks: Mapping[str, tuple[str, ...]] | None = None
) -> pl.DataFrame:
    """Split blocking-array keys held by more records than `MAX_BLOCK` by the columns of
    `sub_blocks` in turn (`SUB_BLOCKS`; `{}` drops them, as the engine did until
    2026-12-07), and drop those still oversized."""
    splits = SUB_BLOCKS if sub_blocks is None else sub_blocks
    return frame.with_columns(
        _sub_blocked(frame, column, splits.get(column, ())).alias(column)
        for column in ARRAY_BLOCKING_COLUMNS
    )


def _sub_blocked(frame: pl.DataFrame, column: str, splits: tuple[str, ...]) -> pl.Series:
    """`frame[column]` with its oversized keys split by `splits` (`cap_blocks`)."""
    limit = MAX_BLOCK[column]
    keys = (
        frame.select(pl.col(column).list.unique().alias("key"))
        .with_row_index("row")
        .explode("key")
        .drop_nulls("key")
    )
    kept = []
    for refinement in (*splits, None):
        size = pl.len().over("key")
        kept.append(keys.filter(size <= limit))
        keys = keys.filter(size > limit)
        if refinement is None or keys.height == 0:
            break
        values = frame.select(pl.col(refinement).alias("value")).with_row_index("row")
        keys = (
            keys.join(values, on="row")
            .drop_nulls("value")
            .select("row", key=pl.concat_str("key", "value", separator="#"))
        )
    lists = pl.concat(kept).group_by("row").agg("key")
    rows = frame.select(pl.col(column).is_null().alias("missing")).with_row_index("row")
    joined = rows.join(lists, on="row", how="left").sort("row")
    return joined.select(
        pl.when(pl.col("missing"))
        .then(pl.lit(None))
        .otherwise(pl.col("key").fill_null(pl.lit([], pl.List(pl.String))))
        .alias(column)
    )[column]
