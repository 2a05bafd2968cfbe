"""Records for the linkage tests (tests/core/linkage)."""

from __future__ import annotations

import polars as pl

# Names of another sort in each filler record: the token "Mohamed" is held by more records
# than its block may hold alone, so it keeps no block of its own
FILLERS = [
    ("Mohamed", f"{consonant}a{other}ouri", "", postcode)
    for consonant, other, postcode in zip(
        "bdfhklmnprstvz" * 3,
        "bcdfgklmnprstvz" * 3,
        ["1000", "1020", "1030", "1040", "1050", "1060"] * 7,
        strict=False,
    )
]
# (record id, person, given, family, birth date, postcode): a pair with one token in
# common, no date on one side and the other name spelt apart (Qasimi, Gasimi: q and g are
# other classes); a pair with every token spelt apart but the same date and postcode
PAIRS = [
    ("q1", "q", "Mohamed", "Qasimi", "", "1140"),
    ("q2", "q", "Mohammed", "Gasimi", "1990-03-04", "1140"),
    ("h1", "h", "Habtemariam", "Habtom", "1965-07-14", "1130"),
    ("h2", "h", "Abtemariam", "Abtam", "14.07.1965", "1130"),
]


def postcode_records() -> pl.DataFrame:
    rows = [
        (f"f{i}", f"f{i}", given, family, date, postcode)
        for i, (given, family, date, postcode) in enumerate(FILLERS)
    ] + PAIRS
    frame = pl.DataFrame(
        rows,
        schema=["record_id", "person_id", "given_name", "surname", "birth_date", "postcode"],
        orient="row",
    )
    return frame.with_columns(phone=pl.lit(""))
