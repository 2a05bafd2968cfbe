"""`passerelle report --format xlsx`: the funder report as a spreadsheet, in any language
(Arabic sheets right to left), with every count and withheld cells left empty. Synthetic
data only."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

from typer.testing import CliRunner

from passerelle.cli.main import app
from passerelle.core.disclosure import SYNTHETIC_SECRET
from passerelle.core.evaluation.synthetic import MENTORING, CohortParameters, generate_cohort
from passerelle.core.indicators import funder_report, parse_period

runner = CliRunner()


def _sheet(path: Path) -> tuple[str, str]:
    with zipfile.ZipFile(path) as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml").decode()
        strings = archive.read("xl/sharedStrings.xml").decode()
    return sheet, strings


def test_report_as_xlsx_holds_every_count(tmp_path: Path) -> None:
    target = tmp_path / "report.xlsx"
    args = ["report", "--programme", "mentoring", "--period", "2021", "--persons", "4000"]
    result = runner.invoke(app, [*args, "--format", "xlsx", "--language", "ar", "-o", str(target)])
    assert result.exit_code == 0, result.output
    sheet, strings = _sheet(target)
    assert 'rightToLeft="1"' in sheet
    assert MENTORING in strings
    values = set(re.findall(r"<v>([0-9.]+)</v>", sheet))
    cohort = generate_cohort(CohortParameters(persons=4000, seed=0))
    expected = funder_report(
        cohort.events, cohort.referrals, MENTORING, parse_period("2021"), secret=SYNTHETIC_SECRET
    )
    checked = 0
    for row in expected.iter_rows(named=True):
        for column in ("count", "denominator"):
            if row[column] is not None and not row["suppressed"]:
                assert str(row[column]) in values
                checked += 1
    assert checked >= 4
