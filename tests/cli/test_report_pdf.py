"""`passerelle report --format pdf`: the funder report as a PDF whose text holds every
figure with its count, on a small synthetic cohort (synthetic data only)."""

from __future__ import annotations

import re
from pathlib import Path

from pypdf import PdfReader
from typer.testing import CliRunner

from passerelle.cli.main import app
from passerelle.core.disclosure import SYNTHETIC_SECRET
from passerelle.core.evaluation.synthetic import MENTORING, CohortParameters, generate_cohort
from passerelle.core.indicators import funder_report, parse_period

runner = CliRunner()


def test_report_as_pdf_holds_the_figures_with_their_counts(tmp_path: Path) -> None:
    target = tmp_path / "report.pdf"
    args = ["report", "--programme", "mentoring", "--period", "2021", "--persons", "4000"]
    result = runner.invoke(app, [*args, "--format", "pdf", "--language", "nl", "-o", str(target)])
    assert result.exit_code == 0, result.output
    text = "\n".join(page.extract_text() for page in PdfReader(target).pages)
    assert MENTORING in text
    assert "Duo for a Job-mentoring" in text  # the programme's name in Dutch
    assert "2021-01-01" in text
    assert "2021-12-31" in text
    cohort = generate_cohort(CohortParameters(persons=4000, seed=0))
    expected = funder_report(
        cohort.events, cohort.referrals, MENTORING, parse_period("2021"), secret=SYNTHETIC_SECRET
    )
    numbers = re.findall(r"\d+(?:\.\d+)?", text)
    shown = 0
    for row in expected.iter_rows(named=True):
        for column in ("count", "denominator"):
            if row[column] is not None:
                assert str(row[column]) in numbers
                shown += 1
        if row["unit"] == "share" and row["value"] is not None:
            # the report's language's decimal comma (French, Dutch)
            assert f"{row['value'] * 100:.1f} %".replace(".", ",") in text
    assert shown >= 4
    # "afgeschermd": withheld, in Dutch; never "< 5" (perturbation withholds some 5s too)
    assert text.count("afgeschermd") == int(expected["suppressed"].sum())
    assert "(< 5)" not in text


def test_report_pdf_refuses_arabic(tmp_path: Path) -> None:
    args = ["report", "--programme", "mentoring", "--period", "2021", "--persons", "1000"]
    result = runner.invoke(app, [*args, "--format", "pdf", "--language", "ar"])
    assert result.exit_code == 2
    assert "--language" in result.output
    assert "fr, nl, en" in result.output
