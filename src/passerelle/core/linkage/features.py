"""From input records to the columns the linkage model compares (plaintext mode).

Input: a polars DataFrame with string columns `record_id, given_name, surname, birth_date,
postcode, phone` (any value may be empty or null; other columns are ignored). Output: one
row per record with normalised names, birth-date keys, postcode, phone and blocking keys.
"""

from __future__ import annotations

import re
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
    1 January as a real date rather than as "year only". `capped=False` keeps the blocking
    keys that `cap_blocks` would drop (to tell which true pairs the caps cost).
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
        # the date with one digit masked, eight ways: equal when one digit differs (what
        # the private mode compares, as keyed tokens, instead of an edit distance)
        "dob_masks": [
            " ".join(d[:i] + "*" + d[i + 1 :] for i in range(len(d))) if d else None
            for d in dob_digits
        ],
        "postcode": postcodes,
        "phone": [normalise_phone(v) for v in frame["phone"].to_list()],
        "blk_names": [_pair_key(p.first_given_skeleton, p.last_surname_skeleton) for p in parts],
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
    }
    plain = pl.DataFrame(
        columns,
        # every column is text: one without any value (no birth date in any record, or no
        # record at all) would otherwise be of type null and break the splits below
        schema_overrides=dict.fromkeys(columns, pl.String),
    ).with_columns(  # array columns were built as space-separated text (faster)
        pl.col(column).str.split(" ")
        for column in ("name_skels", "dob_masks", *ARRAY_BLOCKING_COLUMNS)
    )
    return cap_blocks(plain) if capped else plain


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
)
# Keys shared by more records than this are dropped (Mohammed + 1990): each record is in a
# few blocks of bounded size, so the pairs scored grow linearly with the records.
MAX_BLOCK = {
    "blk_name_pairs": 120,
    "blk_token_dob": 60,
    "blk_token_year": 60,
    "blk_pair_year": 60,
    "blk_initial_dob": 20,
    "blk_token": 30,
    "blk_token_postcode": 60,
    "blk_dob_postcode": 20,
}


def _token_pair_list(tokens: tuple[str, ...]) -> list[str]:
    return [f"{a}|{b}" for i, a in enumerate(tokens) for b in tokens[i + 1 :]] or list(tokens)


def _token_pairs(tokens: tuple[str, ...]) -> str | None:
    return " ".join(_token_pair_list(tokens)) or None


def _initials(parts: NameParts) -> list[str]:
    return sorted({token[0] for token in (*parts.given, *parts.surname) if token})


def cap_blocks(frame: pl.DataFrame) -> pl.DataFrame:
    """Drop blocking-array keys held by more records than `MAX_BLOCK` (oversized blocks)."""
    for column in ARRAY_BLOCKING_COLUMNS:
        max_block = MAX_BLOCK[column]
        counts = frame.select(pl.col(column).explode().value_counts(sort=False)).unnest(column)
        large = counts.filter(pl.col("count") > max_block)[column]
        if large.len():
            frame = frame.with_columns(
                pl.col(column).list.set_difference(large.implode()).alias(column)
            )
    return frame
