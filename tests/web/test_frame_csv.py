"""`frame_csv`, the one way the web wing writes a table of figures as CSV: machine-readable
(dot decimals, column ids), figures that are not whole rounded to a precision that a
`decimals` column states, withheld figures empty."""

from __future__ import annotations

import csv
import io

import polars as pl

from passerelle.web.common.csv import FLOAT_DECIMALS, frame_csv


def _rows(frame: pl.DataFrame, columns: list[str], **options: bool) -> list[dict[str, str]]:
    response = frame_csv(frame, columns, "table.csv", **options)
    return list(csv.DictReader(io.StringIO(response.content.decode())))


def test_shares_are_rounded_and_the_precision_is_stated_on_every_row() -> None:
    frame = pl.DataFrame(
        {
            "group": ["a", "b"],
            "share": [16 / 117, None],
            "persons": [117, 3],
            "suppressed": [False, True],
        }
    )
    rows = _rows(frame, ["group", "share", "persons"])
    assert [row["share"] for row in rows] == ["0.1368", ""]
    assert [row["persons"] for row in rows] == ["117", "3"]
    assert [row["suppressed"] for row in rows] == ["false", "true"]
    assert {row["decimals"] for row in rows} == {str(FLOAT_DECIMALS)}
    assert float(rows[0]["share"]) == round(16 / 117, FLOAT_DECIMALS)


def test_a_table_of_whole_numbers_has_no_precision_column_and_synthetic_data_says_so() -> None:
    frame = pl.DataFrame({"programme": ["x"], "persons": [12]})
    (row,) = _rows(frame, ["programme", "persons"], synthetic=True)
    assert row == {"programme": "x", "persons": "12", "data_source": "synthetic"}
