"""A love plot as hand-written SVG (no plotting library): the absolute standardised mean
difference of every covariate before adjustment, after weighting and after matching, with
the usual 0.1 threshold (Austin 2009)."""

from __future__ import annotations

from html import escape

import polars as pl

SERIES = (
    ("smd_before", "before", "#b2182b", "circle"),
    ("smd_weighted", "weighted (IPW)", "#2166ac", "square"),
    ("smd_matched", "matched (PSM)", "#1b7837", "diamond"),
)
THRESHOLD = 0.1


def _marker(shape: str, x: float, y: float, colour: str) -> str:
    if shape == "circle":
        return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4.5" fill="{colour}"/>'
    if shape == "square":
        return f'<rect x="{x - 4:.1f}" y="{y - 4:.1f}" width="8" height="8" fill="{colour}"/>'
    points = f"{x:.1f},{y - 5:.1f} {x + 5:.1f},{y:.1f} {x:.1f},{y + 5:.1f} {x - 5:.1f},{y:.1f}"
    return f'<polygon points="{points}" fill="{colour}"/>'


def love_plot_svg(balance: pl.DataFrame, title: str = "Covariate balance") -> str:
    """The SVG text of the love plot of a balance frame (see `estimators.Evaluation`)."""
    rows = balance.to_dicts()
    label_width, plot_width, row_height, top = 170, 360, 26, 56
    height = top + row_height * len(rows) + 70
    width = label_width + plot_width + 30
    values = [
        abs(float(row[column]))
        for row in rows
        for column, *_ in SERIES
        if row.get(column) is not None and row[column] == row[column]
    ]
    limit = max([0.25, *values]) * 1.1

    def x_of(value: float) -> float:
        return label_width + plot_width * value / limit

    bottom = top + row_height * len(rows)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" '
        'font-family="sans-serif" font-size="12">',
        f"<title>{escape(title)}</title>",
        f'<text x="{width / 2:.0f}" y="20" text-anchor="middle" font-size="14">'
        f"{escape(title)}</text>",
        f'<line x1="{x_of(0):.1f}" y1="{top - 10}" x2="{x_of(0):.1f}" y2="{bottom}" '
        'stroke="#333"/>',
        f'<line x1="{x_of(THRESHOLD):.1f}" y1="{top - 10}" x2="{x_of(THRESHOLD):.1f}" '
        f'y2="{bottom}" stroke="#999" stroke-dasharray="4 3"/>',
    ]
    for index, row in enumerate(rows):
        y = top + row_height * index + row_height / 2
        parts.append(
            f'<text x="{label_width - 8}" y="{y + 4:.1f}" text-anchor="end">'
            f"{escape(str(row['covariate']))}</text>"
        )
        parts.append(
            f'<line x1="{label_width}" y1="{y:.1f}" x2="{label_width + plot_width}" '
            f'y2="{y:.1f}" stroke="#eee"/>'
        )
        for column, _label, colour, shape in SERIES:
            value = row.get(column)
            if value is None or value != value:
                continue
            parts.append(_marker(shape, x_of(abs(float(value))), y, colour))
    for tick in (0.0, THRESHOLD, round(limit / 2, 2), round(limit / 1.1, 2)):
        parts.append(
            f'<text x="{x_of(tick):.1f}" y="{bottom + 16}" text-anchor="middle">{tick:g}</text>'
        )
    parts.append(
        f'<text x="{label_width + plot_width / 2:.0f}" y="{bottom + 34}" text-anchor="middle">'
        "absolute standardised mean difference</text>"
    )
    legend_y = bottom + 56
    for index, (_column, label, colour, shape) in enumerate(SERIES):
        x = label_width + index * 125
        parts.append(_marker(shape, x, legend_y - 4, colour))
        parts.append(f'<text x="{x + 10}" y="{legend_y}">{escape(label)}</text>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"
