"""The funder report as a PDF (reportlab, pure Python): one table with every figure, its
count and its denominator, withheld cells marked.

Labels are translated through `passerelle.core.i18n._` in the language installed by the
caller (`language_of`). The PDF uses reportlab's built-in Helvetica, which covers French,
Dutch and English but not Arabic: reports in Arabic are given as CSV or on the page.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence

import polars as pl
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, StyleSheet1, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from passerelle.core.charts import Scene
from passerelle.core.charts.render import drawing
from passerelle.core.i18n import _
from passerelle.core.indicators.report import HEADINGS, report_rows

TEXT_WIDTH = 174 * mm
"""A4 less the margins: charts are scaled down to it."""
PDF_LANGUAGES = ("fr", "nl", "en")
"""Languages the built-in font can write (Arabic needs an embedded font: not done)."""


def report_pdf(
    report: pl.DataFrame,
    *,
    programme: str,
    period: tuple[dt.date, dt.date],
    threshold: int,
    synthetic: bool,
    charts: Sequence[Scene | Flowable] = (),
    withheld: str | None = None,
) -> bytes:
    """The PDF of a `funder_report` frame whose `section` and `indicator` are translated;
    `charts` (`core.charts` scenes, drawn from the same shapes as on the page and scaled to
    the text width, or reportlab flowables such as notes) come before the table. A withheld
    value reads "withheld" unless `withheld` says otherwise (not "< 5": complementary
    suppression and cell-key perturbation withhold larger counts too)."""
    buffer = io.BytesIO()
    styles = getSampleStyleSheet()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        title=_("Funder report: {programme}").format(programme=programme),
        leftMargin=18 * mm,
        rightMargin=18 * mm,
    )
    story = _heading(programme, period, synthetic, styles)
    for chart in charts:
        shown = drawing(chart, TEXT_WIDTH) if isinstance(chart, Scene) else chart
        story += [shown, Spacer(1, 6 * mm)]
    withheld_text = withheld if withheld is not None else _("withheld")
    story += [
        _figures_table(report, withheld_text, styles["BodyText"]),
        Spacer(1, 6 * mm),
        _disclosure_note(threshold, styles),
    ]
    document.build(story)
    return buffer.getvalue()


def _heading(
    programme: str, period: tuple[dt.date, dt.date], synthetic: bool, styles: StyleSheet1
) -> list[object]:
    """The title, the period and, for synthetic data, a warning."""
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
    return story


def _figures_table(report: pl.DataFrame, withheld_text: str, cell: ParagraphStyle) -> Table:
    """Every figure of the report, with its count and denominator, under the headings."""
    rows: list[list[object]] = [[_(heading) for heading in HEADINGS]]
    for row in report_rows(report):
        section, indicator, *figures = row.cells(str, withheld_text)  # already translated
        rows.append([Paragraph(section, cell), Paragraph(indicator, cell), *figures])
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
    return table


def _disclosure_note(threshold: int, styles: StyleSheet1) -> Paragraph:
    """What was withheld and perturbed, and why."""
    return Paragraph(
        _(
            "Counts from 1 to {below} are withheld, with every figure of their row, and so "
            "are some just above; the others are perturbed by at most {noise}, so that no "
            "person can be recognised, even by subtracting overlapping tables."
        ).format(below=threshold - 1, noise=2),
        styles["Normal"],
    )
