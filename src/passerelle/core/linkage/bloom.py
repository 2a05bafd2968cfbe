"""Privacy-preserving encodings: keyed Bloom filters and keyed tokens (HMAC-SHA256).

Each organisation encodes its own records with the sector key and shares only the result:

- **names** go into field-level Bloom filters of `FILTER_BITS` bits: the padded bigrams of
  every normalised token (`names.py`) and its consonant skeleton as one extra feature, each
  set through `HASHES` positions derived from HMAC-SHA256(key, feature) by double hashing
  (Kirsch and Mitzenmacher 2006; Schnell, Bachteler and Reiher 2009). The same hashing serves
  the given name and the family name, so a swapped name still compares; the name CLK is the
  union of both filters (Schnell, Bachteler and Reiher 2011).
- **birth-date keys, postcode, phone and blocking keys** become keyed tokens
  (HMAC-SHA256 truncated to 64 bits): equal values give equal tokens, nothing else.

Linkage then compares filters by their Dice coefficient and tokens by equality
(`model.py`). The threat model is in docs/linkage.md.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from .features import ARRAY_BLOCKING_COLUMNS, LinkageInputError, cap_blocks, plaintext_features
from .names import skeleton

FILTER_BITS = 512  # bits per field filter: 8 words of 64 bits
WORDS = FILTER_BITS // 64
HASHES = 15  # positions per feature: a 2-token name (~12 features) fills about 30%
KEY_BYTES = 32
FILTERS = ("given", "surname", "name")
TOKEN_COLUMNS = (
    "dob_full",
    "dob_swap",
    "dob_year",
    "postcode",
    "phone",
    "blk_names",
    "blk_dob_initials",
    "name_key",  # skeletons of the whole given and family names: equality and its frequency
    "first_given",  # skeleton of the first given name
    "last_family",  # skeleton of the last family name
    "given_skel",  # skeleton of the whole given name: one field equal, the other close
    "surname_skel",  # skeleton of the whole family name
)
# The skeletons of the whole given name and of the whole family name are keyed in one
# namespace (since 2026-12-08), so that a given name can be compared with a family name:
# swapped fields (docs/linkage.md, "Privacy-preserving mode"). Every other column is keyed
# in its own.
NAMESPACES = {"given_skel": "name_skel", "surname_skel": "name_skel"}
ARRAY_TOKEN_COLUMNS = (*ARRAY_BLOCKING_COLUMNS, "dob_masks", "phone_masks")
ENCODED_COLUMNS = (
    "record_id",
    *(f"bf_{name}" for name in FILTERS),
    *TOKEN_COLUMNS,
    *ARRAY_TOKEN_COLUMNS,
)
COLUMNS_SINCE = {
    "blk_token_postcode": "2026-12-07",
    "blk_dob_postcode": "2026-12-07",
    "blk_pair_del": "2026-12-07",
    "given_skel": "2026-12-07",
    "surname_skel": "2026-12-07",
    "phone_masks": "2026-12-08",
}
"""Columns later than the first encoded format, with the day `encode` began to write them:
a file without one was made by an older version and is refused with that date. Encodings
stored before that day (the platform's uploads) hold them empty: such records are still
linked, with fewer candidate pairs (docs/linkage.md, "Blocking")."""
_HEX = re.compile(r"^[0-9a-fA-F]+$")
TOKEN_DIGITS = 16  # a keyed token: HMAC-SHA256 truncated to 64 bits, lower-case hex
MAX_TOKENS = 120
"""Most tokens in one array cell. `encode` writes 8 for `dob_masks`, 9 for `phone_masks`
and, for a name of n tokens, at most n(n-1)/2 pairs (28 for 8 tokens); more is not an
encoding (assumption: no one's normalised name has more than 16 tokens, which give 120
pairs)."""
_FILTER_FORM = f"^[0-9a-fA-F]{{{FILTER_BITS // 4}}}$"
_TOKEN_FORM = f"^[0-9a-f]{{{TOKEN_DIGITS}}}$"
_ARRAY_FORM = f"^[0-9a-f]{{{TOKEN_DIGITS}}}( [0-9a-f]{{{TOKEN_DIGITS}}}){{0,{MAX_TOKENS - 1}}}$"
ENCODING_FORMS = {
    **{f"bf_{name}": "filter" for name in FILTERS},
    **dict.fromkeys(TOKEN_COLUMNS, "token"),
    **dict.fromkeys(ARRAY_TOKEN_COLUMNS, "tokens"),
}
"""What each encoded column holds when `encode` wrote it (empty means missing, in all):
`filter` 128 hex digits (512 bits), `token` 16 lower-case hex digits (64 bits), `tokens`
1 to `MAX_TOKENS` such tokens separated by single spaces."""
_PATTERNS = {"filter": _FILTER_FORM, "token": _TOKEN_FORM, "tokens": _ARRAY_FORM}


@dataclass(frozen=True)
class Malformed:
    """A column with values that `encode` cannot have written: the first such row (from 1)
    and how many rows there are. The values themselves are never repeated: they may be
    personal data in clear uploaded by mistake."""

    column: str
    form: str  # a key of `_PATTERNS`
    row: int
    rows: int


def malformed_encodings(encoded: pl.DataFrame) -> list[Malformed]:
    """The encoded columns (`ENCODING_FORMS`) holding a value of another form, in column
    order: a date, a phone number or a name in clear, an over-long value, a stray space."""
    found: list[Malformed] = []
    for column, form in ENCODING_FORMS.items():
        if column not in encoded.columns:
            continue
        values = encoded[column].cast(pl.String).replace("", None)
        bad = values.is_not_null() & ~values.str.contains(_PATTERNS[form])
        rows = int(bad.sum())
        if rows:
            found.append(Malformed(column, form, int(bad.arg_max() or 0) + 1, rows))
    return found


class KeyFileError(ValueError):
    """The key file is missing, unreadable or not a key."""


def generate_key() -> str:
    """A new random sector key, as the hex text a key file holds."""
    return secrets.token_hex(KEY_BYTES)


def load_key(path: Path) -> bytes:
    """Read a sector key file: one line of at least 64 hexadecimal digits (256 bits)."""
    try:
        text = path.read_text(encoding="utf-8").strip()
    except OSError as error:
        raise KeyFileError(f"key file {str(path)!r}: cannot be read ({error.strerror})") from None
    except UnicodeDecodeError:
        raise KeyFileError(f"key file {str(path)!r}: not text; expected hex digits") from None
    if not _HEX.match(text) or len(text) < 2 * KEY_BYTES or len(text) % 2:
        raise KeyFileError(
            f"key file {str(path)!r}: expected one line of at least {2 * KEY_BYTES} hexadecimal "
            "digits (a 256-bit key; `passerelle encode --new-key FILE` makes one)"
        )
    return bytes.fromhex(text)


def _subkey(key: bytes, purpose: str) -> bytes:
    return hmac.new(key, purpose.encode(), hashlib.sha256).digest()


@functools.lru_cache(maxsize=500_000)
def _positions(subkey: bytes, feature: str) -> tuple[int, ...]:
    digest = hmac.new(subkey, feature.encode(), hashlib.sha256).digest()
    first = int.from_bytes(digest[:8], "big")
    step = int.from_bytes(digest[8:16], "big") | 1
    return tuple((first + i * step) % FILTER_BITS for i in range(HASHES))


def name_features(tokens: Iterable[str]) -> set[str]:
    """Padded bigrams of each token, and each token's skeleton as one feature."""
    features: set[str] = set()
    for token in tokens:
        padded = f"_{token}_"
        features.update(padded[i : i + 2] for i in range(len(padded) - 1))
        features.add("#" + skeleton(token))
    return features


def bloom_filter(features: Iterable[str], key: bytes) -> int:
    """The keyed Bloom filter of `features`, as an integer of `FILTER_BITS` bits."""
    subkey = _subkey(key, "bloom")
    bits = 0
    for feature in features:
        for position in _positions(subkey, feature):
            bits |= 1 << position
    return bits


def dice(a: int, b: int) -> float:
    """The Dice coefficient of two filters (0 when both are empty)."""
    total = a.bit_count() + b.bit_count()
    return 2 * (a & b).bit_count() / total if total else 0.0


def keyed_token(value: str, key: bytes) -> str:
    """HMAC-SHA256 of a value, 64 bits as 16 hex digits."""
    return hmac.new(_subkey(key, "token"), value.encode(), hashlib.sha256).hexdigest()[:16]


def _hex(bits: int) -> str:
    return f"{bits:0{FILTER_BITS // 4}x}"


def encode(
    records: pl.DataFrame,
    key: bytes,
    *,
    lenient_dates: bool = False,
    placeholder_dates: bool = True,
) -> pl.DataFrame:
    """Encode records (the columns of `features.REQUIRED_COLUMNS`) for sharing.

    The result holds `record_id`, three filters as hex (`bf_given`, `bf_surname`, `bf_name`)
    and keyed tokens; no name, date, postcode or phone in clear.
    """
    # Blocks are bounded where the linkage sees every organisation's records
    # (`encoded_features`): a block split or dropped here, on one file, would hold other
    # keys than the same block of another organisation's file.
    plain = plaintext_features(
        records, lenient_dates=lenient_dates, placeholder_dates=placeholder_dates, capped=False
    )
    filter_cache: dict[str | None, str | None] = {}

    def name_filter(text: str | None) -> str | None:
        if text not in filter_cache:
            filter_cache[text] = (
                _hex(bloom_filter(name_features(text.split(" ")), key)) if text else None
            )
        return filter_cache[text]

    def both(given: str | None, surname: str | None) -> str | None:
        tokens = [*(given or "").split(" "), *(surname or "").split(" ")]
        tokens = [token for token in tokens if token]
        return _hex(bloom_filter(name_features(tokens), key)) if tokens else None

    token_cache: dict[str, str] = {}

    def token(column: str, value: str | None) -> str | None:
        if value is None:
            return None
        text = f"{NAMESPACES.get(column, column)}:{value}"
        if text not in token_cache:
            token_cache[text] = keyed_token(text, key)
        return token_cache[text]

    given = plain["given_text"].to_list()
    surname = plain["surname_text"].to_list()
    data: dict[str, list[str | None]] = {
        "record_id": plain["unique_id"].to_list(),
        "bf_given": [name_filter(value) for value in given],
        "bf_surname": [name_filter(value) for value in surname],
        "bf_name": [both(g, s) for g, s in zip(given, surname, strict=True)],
    }
    for column in TOKEN_COLUMNS:
        # postcode and phone are compared exactly; their tokens share one namespace per column
        data[column] = [token(column, value) for value in plain[column].to_list()]
    for column in ARRAY_TOKEN_COLUMNS:  # several tokens, space-separated
        data[column] = [
            " ".join(token(column, value) or "" for value in values) if values else None
            for values in plain[column].to_list()
        ]
    return pl.DataFrame(data, schema=dict.fromkeys(ENCODED_COLUMNS, pl.String))


def malformed_message(problem: Malformed) -> str:
    """The problem in English (the web application words it through gettext)."""
    what = {
        "filter": f"is not a {FILTER_BITS}-bit filter ({FILTER_BITS // 4} hex digits)",
        "token": f"is not a keyed token ({TOKEN_DIGITS} lower-case hex digits)",
        "tokens": (
            f"is not a list of keyed tokens (1 to {MAX_TOKENS} tokens of {TOKEN_DIGITS} "
            "lower-case hex digits, separated by single spaces)"
        ),
    }[problem.form]
    others = f" (and {problem.rows - 1} other rows)" if problem.rows > 1 else ""
    return f"row {problem.row}{others} {what}; was the file made by `passerelle encode`?"


def encoded_features(encoded: pl.DataFrame) -> pl.DataFrame:
    """The comparison columns of encoded records: filter words (int64) and their popcounts."""
    missing = [column for column in ENCODED_COLUMNS if column not in encoded.columns]
    if missing:
        since = COLUMNS_SINCE.get(missing[0])
        hint = (
            f"files encoded before {since} lack it: encode the records again with the same "
            "key (`passerelle encode`); "
            if since
            else ""
        )
        raise LinkageInputError(
            missing[0],
            f"missing column; {hint}encoded input needs " + ", ".join(ENCODED_COLUMNS),
        )
    frame = encoded.select([pl.col(c).cast(pl.String) for c in ENCODED_COLUMNS])
    for problem in malformed_encodings(frame)[:1]:
        raise LinkageInputError(problem.column, malformed_message(problem))
    columns: dict[str, pl.Series] = {"unique_id": frame["record_id"]}
    for name in FILTERS:
        # vectorised: hex text → 64-bit words (word 0 holds the lowest bits), no Python ints
        values = frame[f"bf_{name}"].replace("", None)
        count: pl.Series | None = None
        for index in range(WORDS):
            start = (WORDS - 1 - index) * 16
            word = (
                values.str.slice(start, 16)
                .str.to_integer(base=16, dtype=pl.UInt64)
                .reinterpret(signed=True)
            )
            columns[f"bf_{name}_{index}"] = word
            ones = word.bitwise_count_ones().cast(pl.Int64)
            count = ones if count is None else count + ones
        if count is None:
            raise RuntimeError("count is missing")
        columns[f"pc_{name}"] = count
    for column in TOKEN_COLUMNS:
        columns[column] = frame[column]
    for column in ARRAY_TOKEN_COLUMNS:
        columns[column] = frame[column].str.split(" ")
    return cap_blocks(pl.DataFrame(columns))
