"""`passerelle report --format xlsx`: the funder report as a spreadsheet, in any language
(Arabic sheets right to left), with every count and withheld cells left empty. Synthetic
data only."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openpyxl
from typer.testing import CliRunner

from passerelle.cli.main import app
from passerelle.core.disclosure import SYNTHETIC_SECRET
from passerelle.core.evaluation.synthetic import MENTORING, CohortParameters, generate_cohort
from passerelle.core.indicators import funder_report, parse_period

runner = CliRunner()


def _sheet(path: Path) -> tuple[Any, list[dict[str, Any]]]:
    """The report's sheet, read as a spreadsheet program reads it, and its table (headed at
    row 5) as one dict per row."""
    sheet = openpyxl.load_workbook(path).worksheets[0]
    header, *rows = sheet.iter_rows(min_row=5, values_only=True)
    return sheet, [dict(zip(header, row, strict=True)) for row in rows]


def test_report_as_xlsx_holds_every_count(tmp_path: Path) -> None:
    target = tmp_path / "report.xlsx"
    args = ["report", "--programme", "mentoring", "--period", "2021", "--persons", "4000"]
    result = runner.invoke(app, [*args, "--format", "xlsx", "--language", "ar", "-o", str(target)])
    assert result.exit_code == 0, result.output
    sheet, table = _sheet(target)
    assert sheet.sheet_view.rightToLeft
    assert MENTORING in sheet["A1"].value
    cohort = generate_cohort(CohortParameters(persons=4000, seed=0))
    expected = funder_report(
        cohort.events, cohort.referrals, MENTORING, parse_period("2021"), secret=SYNTHETIC_SECRET
    )
    assert len(table) == expected.height
    checked = 0
    for cells, row in zip(table, expected.iter_rows(named=True), strict=True):
        for column in ("count", "denominator"):
            if row["suppressed"]:
                assert cells[column] is None  # withheld cells stay empty
            elif row[column] is not None:
                assert cells[column] == row[column]
                checked += 1
    assert checked >= 4
