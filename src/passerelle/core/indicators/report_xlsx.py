"""A funder report as a spreadsheet (XLSX), in any of the four languages: the same rows as
the CSV and the PDF, with a title, the period and the suppression rule above them."""

from __future__ import annotations

import datetime as dt
import io

import polars as pl
import xlsxwriter

from passerelle.core.i18n import _

REPORT_COLUMNS = ("section", "indicator", "count", "denominator", "value", "unit", "suppressed")


def report_xlsx(
    report: pl.DataFrame,
    *,
    programme: str,
    period: tuple[dt.date, dt.date],
    threshold: int,
    synthetic: bool,
    right_to_left: bool = False,
) -> bytes:
    """The XLSX of a `funder_report` frame whose `section` and `indicator` are translated.
    Withheld cells stay empty, as in the CSV."""
    buffer = io.BytesIO()
    with xlsxwriter.Workbook(buffer, {"in_memory": True}) as workbook:
        sheet = workbook.add_worksheet(_("Report")[:31])
        if right_to_left:
            sheet.right_to_left()
        bold = workbook.add_format({"bold": True, "font_size": 14})
        sheet.write(0, 0, _("Funder report: {programme}").format(programme=programme), bold)
        sheet.write(1, 0, _("{start} to {end}").format(start=period[0], end=period[1]))
        note = _(
            "Counts under {threshold} are withheld, and so are some just above it; the others "
            "are perturbed by at most 2, so that overlapping tables cannot be subtracted."
        ).format(threshold=threshold)
        if synthetic:
            note += " " + _("Synthetic data: no real person.")
        sheet.write(2, 0, note)
        report.select(REPORT_COLUMNS).write_excel(
            workbook=workbook, worksheet=sheet.name, position="A5", autofit=True
        )
    return buffer.getvalue()
