"""CSV answers from polars frames: the one way the web wing writes a table of figures as
CSV (dashboards, evaluation, funder reports, unique beneficiaries)."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

import polars as pl
from django.http import HttpResponse

FLOAT_DECIMALS = 4
"""Decimals a CSV keeps of a figure that is not whole (a share to 4 decimals is a percentage
to 2: 0.1368, not 0.13675213675213677); a `decimals` column says it on every row."""


def _cell(value: Any) -> object:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"  # as polars writes them (passerelle indicators)
    if isinstance(value, float):
        return round(value, FLOAT_DECIMALS)
    return value


def frame_csv(
    frame: pl.DataFrame, columns: Sequence[str], filename: str, *, synthetic: bool = False
) -> HttpResponse:
    """The table as CSV: column ids as headings, withheld figures empty, `suppressed`;
    figures that are not whole rounded to `FLOAT_DECIMALS`, said by a `decimals` column;
    from synthetic data, a last column `data_source` = "synthetic" on every row."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    names = [*columns, "suppressed"] if "suppressed" in frame.columns else list(columns)
    rounded = any(frame.schema[name].is_float() for name in names)
    extra: list[tuple[str, object]] = [("decimals", FLOAT_DECIMALS)] if rounded else []
    extra += [("data_source", "synthetic")] if synthetic else []
    writer.writerow([*names, *(name for name, _value in extra)])
    tail = [value for _name, value in extra]
    for values in frame.select(names).iter_rows():
        writer.writerow([*(_cell(value) for value in values), *tail])
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
