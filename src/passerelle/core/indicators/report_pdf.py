"""The funder report as a PDF (reportlab, pure Python): one table with every figure, its
count and its denominator, withheld cells marked.

Labels are translated through `passerelle.core.i18n._` in the language installed by the
caller (`use_language`). The PDF uses reportlab's built-in Helvetica, which covers French,
Dutch and English but not Arabic: reports in Arabic are given as CSV or on the page.
"""

from __future__ import annotations

import datetime as dt
import io

import polars as pl
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from passerelle.core.i18n import _

PDF_LANGUAGES = ("fr", "nl", "en")
"""Languages the built-in font can write (Arabic needs an embedded font: not done)."""


def format_value(value: float | None, unit: str) -> str:
    if value is None:
        return ""
    if unit == "share":
        return f"{value * 100:.1f} %"
    return f"{value:g}"


def report_pdf(
    report: pl.DataFrame,
    *,
    programme: str,
    period: tuple[dt.date, dt.date],
    threshold: int,
    synthetic: bool,
) -> bytes:
    """The PDF of a `funder_report` frame whose `section` and `indicator` are translated."""
    buffer = io.BytesIO()
    styles = getSampleStyleSheet()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        title=_("Funder report: {programme}").format(programme=programme),
        leftMargin=18 * mm,
        rightMargin=18 * mm,
    )
    story: list[object] = [
        Paragraph(_("Funder report: {programme}").format(programme=programme), styles["Title"]),
        Paragraph(
            _("Period: {start} to {end}").format(
                start=period[0].isoformat(), end=period[1].isoformat()
            ),
            styles["Normal"],
        ),
    ]
    if synthetic:
        story.append(
            Paragraph(
                _("Synthetic data: figures drawn by the generator, not real persons."),
                styles["Normal"],
            )
        )
    story.append(Spacer(1, 6 * mm))
    header: list[object] = [_("section"), _("indicator"), _("count"), _("of"), _("value")]
    cell = styles["BodyText"]
    rows: list[list[object]] = [header]
    for row in report.iter_rows(named=True):
        withheld = bool(row["suppressed"])
        rows.append(
            [
                Paragraph(str(row["section"]), cell),
                Paragraph(str(row["indicator"]), cell),
                "" if row["count"] is None else str(row["count"]),
                "" if row["denominator"] is None else str(row["denominator"]),
                _("withheld (< {threshold})").format(threshold=threshold)
                if withheld
                else format_value(row["value"], str(row["unit"])),
            ]
        )
    table = Table(rows, colWidths=[32 * mm, 68 * mm, 18 * mm, 18 * mm, 38 * mm], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, 0), "Helvetica-Bold"),
                ("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.black),
                ("LINEBELOW", (0, 1), (-1, -1), 0.25, colors.grey),
                ("ALIGN", (2, 1), (-1, -1), "RIGHT"),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    story.append(table)
    story.append(Spacer(1, 6 * mm))
    story.append(
        Paragraph(
            _(
                "Counts from 1 to {below} are withheld, with every figure of their row, so that "
                "no person can be recognised."
            ).format(below=threshold - 1),
            styles["Normal"],
        )
    )
    document.build(story)
    return buffer.getvalue()
