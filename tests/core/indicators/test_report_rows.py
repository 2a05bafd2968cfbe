"""The funder report's rows as every reader shows them (`report_rows`, `ReportRow.cells`,
`translated_report`, `report_csv`), on a hand-written frame whose text is known."""

from __future__ import annotations

import csv
import io

import polars as pl

from passerelle.core.i18n import language_of
from passerelle.core.indicators.report import (
    CSV_COLUMNS,
    REPORT_SCHEMA,
    report_csv,
    report_rows,
    translated_report,
)

FRENCH = {
    "outcomes": "résultats",
    "employed 6 months after the start": "en emploi 6 mois après le début",
    "waiting times": "délais",
    "days from referral to start (median)": "jours de l'orientation au début (médiane)",
    "referrals in": "orientations reçues",
    "rejected (of decided)": "refusées (des décidées)",
}


def frame() -> pl.DataFrame:
    rows = [
        ("outcomes", "employed 6 months after the start", 12, 40, 0.3, "share", False),
        ("waiting times", "days from referral to start (median)", 25, None, 17.5, "days", False),
        ("referrals in", "rejected (of decided)", None, None, None, "share", True),
    ]
    return pl.DataFrame(rows, schema={**REPORT_SCHEMA, "suppressed": pl.Boolean}, orient="row")


def test_cells_are_the_row_in_the_readers_language() -> None:
    rows = report_rows(frame())
    assert [row.indicator for row in rows] == [
        "employed 6 months after the start",
        "days from referral to start (median)",
        "rejected (of decided)",
    ]
    cells = [row.cells(FRENCH.__getitem__, "masqué") for row in rows]
    assert cells == [
        ["résultats", "en emploi 6 mois après le début", "12", "40", "30.0 %"],
        ["délais", "jours de l'orientation au début (médiane)", "25", "", "17.5"],
        ["orientations reçues", "refusées (des décidées)", "", "", "masqué"],
    ]


def test_csv_has_the_column_ids_and_withheld_figures_empty() -> None:
    text = report_csv(translated_report(frame(), FRENCH.__getitem__))
    reader = csv.DictReader(io.StringIO(text))
    assert tuple(reader.fieldnames or ()) == CSV_COLUMNS
    first, second, withheld = list(reader)
    assert (first["section"], first["count"], first["value"]) == ("résultats", "12", "0.3000")
    assert (second["denominator"], second["unit"]) == ("", "days")
    assert (withheld["count"], withheld["value"], withheld["suppressed"]) == ("", "", "true")
    assert first["suppressed"] == "false"


def test_csv_values_are_rounded_to_the_precision_each_row_states() -> None:
    """A share to 4 decimals, days to 1, as its `decimals` column says; dot decimals for
    machines (issue 18: the CSV read 0.13675213675213677)."""
    rows = [
        ("outcomes", "employed 6 months after the start", 16, 117, 16 / 117, "share", False),
        ("waiting times", "days from referral to start (median)", 9, None, 12.25, "days", False),
    ]
    report = pl.DataFrame(rows, schema={**REPORT_SCHEMA, "suppressed": pl.Boolean}, orient="row")
    share, days = csv.DictReader(io.StringIO(report_csv(report)))
    assert (share["value"], share["decimals"]) == ("0.1368", "4")
    assert (days["value"], days["decimals"]) == ("12.2", "1")
    assert abs(float(share["value"]) - 16 / 117) < 0.5e-4


def test_cells_take_the_decimal_mark_of_the_readers_language() -> None:
    """French reads "30,0 %" and "17,5" (issue 18: French pages used dot decimals)."""
    with language_of("fr"):
        cells = [row.cells(FRENCH.__getitem__, "masqué") for row in report_rows(frame())]
    assert cells[0][-1] == "30,0 %"
    assert cells[1][-1] == "17,5"
