"""Charts of a scenario against the baseline, for the scenario pages and `passerelle
simulate` alike: per indicator, the levels (scenario and baseline, mean and 5-95 % band) and
the difference to the baseline, drawn by `core.charts.band_chart`. The CLI writes the four
indicators of each kind one under the other, as SVG and PNG (`core.charts.render.png`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import polars as pl

from passerelle.core.charts import Band, Scene, band_chart, stack
from passerelle.core.charts.render import png
from passerelle.core.i18n import _, gettext_noop

COLOURS = {"scenario": "#0b5cad", "baseline": "#5f6773", "difference": "#8a3b00"}
PANELS = (
    ("employment_rate", gettext_noop("Employment rate"), 100.0, "%"),
    ("people_waiting", gettext_noop("People on a waiting list"), 1.0, gettext_noop("people")),
    (
        "months_to_first_job",
        gettext_noop("Months from application to first job"),
        1.0,
        gettext_noop("months"),
    ),
    ("places_used", gettext_noop("Programme places used"), 1.0, gettext_noop("people")),
)
"""The CLI's panels: indicator, title, factor (a share shown in %) and unit."""

Series = Mapping[str, Sequence[float | None]]
"""Columns of one indicator per month: mean, low, high, baseline_*, diff_* (None: unknown)."""
Number = Callable[[float, int], str]


def _years(months: Sequence[dt.date]) -> list[str | None]:
    """A tick label at each January."""
    return [str(month.year) if month.month == 1 else None for month in months]


def _column(series: Series, name: str, length: int) -> Sequence[float | None]:
    return series.get(name) or [None] * length


def scenario_chart(
    months: Sequence[dt.date],
    series: Series,
    *,
    difference: bool = False,
    title: str,
    description: str | None = None,
    identifier: str | None = None,
    number: Number | None = None,
    show_title: bool = False,
) -> Scene:
    """The levels: the scenario (its mean and band) over the baseline (dashed, with its band
    if known); or with `difference`, scenario minus baseline replication by replication (mean,
    band and a zero line). `description`, `identifier` and `number` as in
    `core.charts.band_chart`; `show_title` writes the title above the plot (the CLI's
    panels; a page has its own heading)."""
    length = len(months)
    if difference:
        bands = [
            Band(
                series["diff_mean"],
                series["diff_low"],
                series["diff_high"],
                COLOURS["difference"],
                "difference",
            )
        ]
    else:
        bands = [
            Band(
                _column(series, "baseline_mean", length),
                _column(series, "baseline_low", length),
                _column(series, "baseline_high", length),
                COLOURS["baseline"],
                "baseline",
                dashed=True,
            ),
            Band(series["mean"], series["low"], series["high"], COLOURS["scenario"], "scenario"),
        ]
    return band_chart(
        _years(months),
        bands,
        title=title,
        description=description,
        identifier=identifier,
        number=number,
        zero_line=difference,
        show_title=show_title,
    )


def _panel_series(table: pl.DataFrame, name: str, factor: float) -> tuple[list[dt.date], Series]:
    rows = table.filter(pl.col("indicator") == name).sort("month")
    months = [m if isinstance(m, dt.date) else dt.date.fromisoformat(str(m)) for m in rows["month"]]
    series = {
        column: [None if v is None else v * factor for v in rows[column].to_list()]
        for column in rows.columns
        if column not in {"month", "indicator"} and rows[column].dtype.is_numeric()
    }
    return months, series


def write_charts(table: pl.DataFrame, title: str, directory: Path) -> list[Path]:
    """`indicators.{svg,png}` (scenario and baseline with 5-95 % bands) and, with a
    baseline, `difference.{svg,png}` (scenario minus baseline with bands)."""
    directory.mkdir(parents=True, exist_ok=True)
    panels = [
        (_(label), unit, *_panel_series(table, name, factor))
        for name, label, factor, unit in PANELS
    ]
    levels = [
        scenario_chart(months, series, title=f"{label} ({_(unit)})", show_title=True)
        for label, unit, months, series in panels
    ]
    written = _save(stack(levels, title=title), directory / "indicators")
    if "diff_mean" in table.columns:
        differences = [
            scenario_chart(
                months,
                series,
                difference=True,
                title=_("{indicator}: difference to baseline").format(indicator=label),
                show_title=True,
            )
            for label, _unit, months, series in panels
        ]
        heading = _("{scenario} minus baseline").format(scenario=title)
        written += _save(stack(differences, title=heading), directory / "difference")
    return written


def _save(scene: Scene, stem: Path) -> list[Path]:
    svg, picture = stem.with_suffix(".svg"), stem.with_suffix(".png")
    svg.write_text(scene.svg(), encoding="utf-8")
    picture.write_bytes(png(scene))
    return [picture, svg]
