"""Charts of a scenario against the baseline (matplotlib, Agg backend: no display)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import polars as pl
from matplotlib.figure import Figure

PANELS = (
    ("employment_rate", "Employment rate", 100.0, "%"),
    ("people_waiting", "People on a waiting list", 1.0, "people"),
    ("months_to_first_job", "Months from application to first job", 1.0, "months"),
    ("places_used", "Programme places used", 1.0, "people"),
)


def write_charts(table: pl.DataFrame, title: str, directory: Path) -> list[Path]:
    """`indicators.{png,svg}` (scenario and baseline with 5-95 % bands) and, with a
    baseline, `difference.{png,svg}` (scenario minus baseline with bands)."""
    directory.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    has_baseline = "diff_mean" in table.columns
    figure, axes = plt.subplots(2, 2, figsize=(11, 7), sharex=True)
    for axis, (name, label, factor, unit) in zip(axes.flat, PANELS, strict=True):
        rows = table.filter(pl.col("indicator") == name).sort("month")
        months = rows["month"].to_list()
        axis.fill_between(
            months,
            (rows["low"] * factor).to_numpy(),
            (rows["high"] * factor).to_numpy(),
            alpha=0.3,
            label="5-95 %",
        )
        axis.plot(months, (rows["mean"] * factor).to_list(), label=title)
        if has_baseline:
            axis.plot(
                months,
                (rows["baseline_mean"] * factor).to_numpy(),
                linestyle="--",
                color="grey",
                label="baseline",
            )
        axis.set_title(label)
        axis.set_ylabel(unit)
        axis.grid(alpha=0.3)
    axes.flat[0].legend(loc="upper left", fontsize="small")
    figure.suptitle(title)
    figure.tight_layout()
    written += _save(figure, directory / "indicators")
    if has_baseline:
        figure, axes = plt.subplots(2, 2, figsize=(11, 7), sharex=True)
        for axis, (name, label, factor, unit) in zip(axes.flat, PANELS, strict=True):
            rows = table.filter(pl.col("indicator") == name).sort("month")
            months = rows["month"].to_list()
            axis.fill_between(
                months,
                (rows["diff_low"] * factor).to_numpy(),
                (rows["diff_high"] * factor).to_numpy(),
                alpha=0.3,
            )
            axis.plot(months, (rows["diff_mean"] * factor).to_numpy())
            axis.axhline(0, color="grey", linewidth=0.8)
            axis.set_title(f"{label}: difference to baseline")
            axis.set_ylabel(unit)
            axis.grid(alpha=0.3)
        figure.suptitle(f"{title} minus baseline")
        figure.tight_layout()
        written += _save(figure, directory / "difference")
    return written


def _save(figure: Figure, stem: Path) -> list[Path]:
    paths = [stem.with_suffix(".png"), stem.with_suffix(".svg")]
    for path in paths:
        figure.savefig(path, dpi=110)
    plt.close(figure)
    return paths
