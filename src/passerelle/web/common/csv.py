"""CSV answers from polars frames: the one way the web wing writes a table of figures as
CSV (dashboards, evaluation, funder reports, unique beneficiaries)."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

import polars as pl
from django.http import HttpResponse


def _cell(value: Any) -> object:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"  # as polars writes them (passerelle indicators)
    return value


def frame_csv(
    frame: pl.DataFrame, columns: Sequence[str], filename: str, *, synthetic: bool = False
) -> HttpResponse:
    """The table as CSV: column ids as headings, withheld figures empty, `suppressed`; from
    synthetic data, a last column `data_source` = "synthetic" on every row."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    names = [*columns, "suppressed"] if "suppressed" in frame.columns else list(columns)
    writer.writerow([*names, "data_source"] if synthetic else names)
    tail = ["synthetic"] if synthetic else []
    for values in frame.select(names).iter_rows():
        writer.writerow([*(_cell(value) for value in values), *tail])
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
