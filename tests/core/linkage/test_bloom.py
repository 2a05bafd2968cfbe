"""Keyed Bloom filters: deterministic per key, unrelated across keys, close for variants."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from passerelle.core.linkage import dedupe_encoded
from passerelle.core.linkage.bloom import (
    ENCODED_COLUMNS,
    FILTER_BITS,
    KeyFileError,
    bloom_filter,
    dice,
    encode,
    encoded_features,
    generate_key,
    load_key,
    malformed_encodings,
    name_features,
)
from passerelle.core.linkage.evaluate import blocking_recall, pairwise_quality
from passerelle.core.linkage.features import LinkageInputError
from passerelle.core.linkage.model import BLOCKING_KEYS
from passerelle.core.linkage.names import canonical, name_tokens
from passerelle.core.linkage.synthetic import generate

KEY = bytes(range(32))
OTHER_KEY = bytes(range(1, 33))


def _filter(name: str, key: bytes = KEY) -> int:
    tokens = [canonical(token) for token in name_tokens(name)]
    return bloom_filter(name_features(tokens), key)


def test_same_key_gives_the_same_filter_and_the_filter_is_not_saturated() -> None:
    assert _filter("Abdulrahman Al-Hassan") == _filter("Abdulrahman Al-Hassan")
    fill = _filter("Abdulrahman Al-Hassan").bit_count() / FILTER_BITS
    assert 0.1 < fill < 0.6


def test_a_different_key_gives_an_unrelated_filter() -> None:
    same_name = dice(_filter("Mehari", KEY), _filter("Mehari", OTHER_KEY))
    different_names = dice(_filter("Mehari", KEY), _filter("Goitom", KEY))
    assert same_name < 0.5
    assert abs(same_name - different_names) < 0.25


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Mohammed", "Mouhamed"),
        ("Ghebremariam", "Gebremariam"),
        ("Noorzai", "Nurzai"),
        ("Hamidullah", "Hamidolah"),
        ("Tshibangu", "Tchibangu"),
    ],
)
def test_dice_is_high_for_variants_and_low_for_other_names(a: str, b: str) -> None:
    assert dice(_filter(a), _filter(b)) > 0.7
    assert dice(_filter(a), _filter("Kouyate")) < 0.4


def test_encodings_hold_no_clear_text() -> None:
    records = pl.DataFrame(
        {
            "record_id": ["a"],
            "given_name": ["Senait"],
            "surname": ["Tekleab"],
            "birth_date": ["1990-05-04"],
            "postcode": ["1030"],
            "phone": ["0475123456"],
        }
    )
    text = encode(records, KEY).write_csv()
    for clear in ("senait", "tekleab", "1990", "1030", "0475123456", "475123456"):
        assert clear not in text.lower()


def test_bad_key_files_are_refused(tmp_path: Path) -> None:
    short = tmp_path / "short.key"
    short.write_text("abcd\n")
    with pytest.raises(KeyFileError, match="64 hexadecimal"):
        load_key(short)
    with pytest.raises(KeyFileError, match="cannot be read"):
        load_key(tmp_path / "missing.key")
    good = tmp_path / "good.key"
    good.write_text(KEY.hex() + "\n")
    assert load_key(good) == KEY


def test_records_without_any_birth_date_or_any_record_encode() -> None:
    """A column without a single value once had polars' null type and failed to split."""
    columns = ("record_id", "given_name", "surname", "birth_date", "postcode", "phone")
    key = bytes.fromhex(generate_key())
    empty = encode(pl.DataFrame(schema=dict.fromkeys(columns, pl.String)), key)
    assert empty.height == 0
    assert empty.columns == list(ENCODED_COLUMNS)
    row = dict.fromkeys(columns[1:]) | {"record_id": "r1", "given_name": "Amanuel"}
    encoded = encode(pl.DataFrame([row], schema=dict.fromkeys(columns, pl.String)), key)
    assert encoded["dob_full"][0] is None
    assert encoded["dob_masks"][0] is None
    assert malformed_encodings(encoded) == []


def test_what_encode_writes_is_well_formed_and_nothing_else_is() -> None:
    encoded = encode(generate(300, seed=5), bytes.fromhex(generate_key()))
    assert malformed_encodings(encoded) == []
    clear = encoded.with_columns(
        dob_full=pl.lit("1979-05-26"), bf_surname=pl.lit("Yusuf"), dob_masks=pl.lit("0 1")
    )
    assert [(m.column, m.form, m.row, m.rows) for m in malformed_encodings(clear)] == [
        ("bf_surname", "filter", 1, 300),
        ("dob_full", "token", 1, 300),
        ("dob_masks", "tokens", 1, 300),
    ]
    with pytest.raises(LinkageInputError, match="bf_surname: row 1 \\(and 299 other rows\\)"):
        encoded_features(clear)


def test_the_postcode_blocking_keys_are_keyed_tokens_and_block_in_private_mode() -> None:
    from tests.support.linkage import postcode_records

    records = postcode_records()
    encoded = encode(records, KEY)
    assert malformed_encodings(encoded) == []
    # keyed: nothing of the postcode or the date in clear
    assert not encoded["blk_dob_postcode"].str.contains("1130|1965").any()
    features = encoded_features(encoded)
    for person in ("q", "h"):
        truth = records.filter(pl.col("person_id") == person)
        assert blocking_recall(features, truth, BLOCKING_KEYS["private"]) == 1.0


def test_an_old_encoded_file_is_refused_naming_the_column_and_old_stored_encodings_link() -> None:
    records = generate(1_500, seed=3)
    encoded = encode(records, KEY)
    with pytest.raises(
        LinkageInputError,
        match="blk_token_postcode: missing column; files encoded before 2026-12-07 lack it",
    ):
        encoded_features(encoded.drop("blk_token_postcode", "blk_dob_postcode"))
    # encodings stored before the new columns (the platform's uploads) read them as empty
    stored = encoded.with_columns(
        blk_token_postcode=pl.lit(None, pl.String), blk_dob_postcode=pl.lit(None, pl.String)
    )
    quality = pairwise_quality(dedupe_encoded(stored).clusters, records)
    assert quality.f1 > 0.9
