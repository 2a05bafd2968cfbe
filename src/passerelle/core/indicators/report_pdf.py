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
from reportlab.graphics.shapes import Circle, Drawing, Line, Rect, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

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
    charts: Sequence[Flowable] = (),
    withheld: str | None = None,
) -> bytes:
    """The PDF of a `funder_report` frame whose `section` and `indicator` are translated;
    `charts` (reportlab flowables: drawings such as `upset_drawing`, notes) come before the
    table. A withheld value reads "withheld" unless `withheld` says otherwise (not "< 5":
    complementary suppression and cell-key perturbation withhold larger counts too)."""
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
    for chart in charts:
        story += [chart, Spacer(1, 6 * mm)]
    header: list[object] = [_("section"), _("indicator"), _("count"), _("of"), _("value")]
    cell = styles["BodyText"]
    rows: list[list[object]] = [header]
    withheld_text = withheld if withheld is not None else _("withheld")
    for row in report.iter_rows(named=True):
        rows.append(
            [
                Paragraph(str(row["section"]), cell),
                Paragraph(str(row["indicator"]), cell),
                "" if row["count"] is None else str(row["count"]),
                "" if row["denominator"] is None else str(row["denominator"]),
                withheld_text
                if row["suppressed"]
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
                "Counts from 1 to {below} are withheld, with every figure of their row, and so "
                "are some just above; the others are perturbed by at most {noise}, so that no "
                "person can be recognised, even by subtracting overlapping tables."
            ).format(below=threshold - 1, noise=2),
            styles["Normal"],
        )
    )
    document.build(story)
    return buffer.getvalue()


def _fit(text: str, size: float, width: float) -> str:
    """`text` cut with an ellipsis to fit `width` points in Helvetica of `size`."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    if stringWidth(text, "Helvetica", size) <= width:
        return text
    while text and stringWidth(text + "…", "Helvetica", size) > width:
        text = text[:-1]
    return text + "…"


def upset_drawing(
    sets: Sequence[tuple[str, int | None]],
    combinations: Sequence[tuple[tuple[int, ...], int | None]],
    *,
    title: str,
    count_label: str,
    withheld_label: str,
    width: float = 174 * mm,
) -> Drawing:
    """The UpSet chart of `monitoring.charts.upset_chart` drawn with reportlab's own shapes
    (no SVG renderer needed): a bar per combination with its count above, the matrix of
    filled dots naming the combination's sets below, set names and sizes on the left. A
    withheld count (None) has no bar, only `withheld_label`."""
    label_width, bar_height, row_height, size = 150.0, 90.0, 13.0, 7.5
    columns = max(len(combinations), 1)
    column = min(28.0, (width - label_width - 6) / columns)
    matrix = row_height * len(sets)
    height = matrix + bar_height + 44
    drawing = Drawing(width, height)
    drawing.add(
        String(0, height - 12, _fit(title, 9, width), fontName="Helvetica-Bold", fontSize=9)
    )
    baseline = matrix + 8  # y grows upwards: the matrix below, the bars above
    drawing.add(
        String(
            label_width - 6,
            baseline + bar_height - 14,
            count_label,
            fontSize=size,
            fontName="Helvetica",
            textAnchor="end",
        )
    )
    drawing.add(
        Line(
            label_width,
            baseline,
            label_width + column * columns,
            baseline,
            strokeColor=colors.HexColor("#333333"),
            strokeWidth=0.6,
        )
    )
    largest = max([count for _combo, count in combinations if count is not None] or [1])
    for index, (combo, count) in enumerate(combinations):
        x = label_width + column * index + column / 2
        if count is None:
            drawing.add(
                String(
                    x,
                    baseline + 3,
                    withheld_label,
                    fontSize=size,
                    fontName="Helvetica",
                    textAnchor="middle",
                )
            )
        else:
            bar = (bar_height - 16) * count / largest
            drawing.add(
                Rect(
                    x - column / 2 + 3,
                    baseline,
                    column - 6,
                    bar,
                    fillColor=colors.HexColor("#1f5f8b"),
                    strokeColor=None,
                )
            )
            drawing.add(
                String(
                    x,
                    baseline + bar + 2,
                    str(count),
                    fontSize=size,
                    fontName="Helvetica",
                    textAnchor="middle",
                )
            )
        rows = [baseline - row_height * (s + 0.5) - 4 for s in combo]
        if len(rows) > 1:
            drawing.add(
                Line(
                    x,
                    min(rows),
                    x,
                    max(rows),
                    strokeColor=colors.HexColor("#333333"),
                    strokeWidth=2,
                )
            )
        for s in range(len(sets)):
            y = baseline - row_height * (s + 0.5) - 4
            fill = colors.HexColor("#333333") if s in combo else colors.HexColor("#d4d4d4")
            drawing.add(Circle(x, y, 3.5, fillColor=fill, strokeColor=None))
    for s, (label, set_size) in enumerate(sets):
        y = baseline - row_height * (s + 0.5) - 4 - size / 3
        shown = withheld_label if set_size is None else str(set_size)
        text = _fit(label, size, label_width - 40) + f" ({shown})"
        drawing.add(
            String(label_width - 8, y, text, fontSize=size, fontName="Helvetica", textAnchor="end")
        )
    return drawing
