"""Line charts with uncertainty bands as inline SVG, written by hand on the server.

No script and no image file: the chart is part of the page, its numbers are formatted for
the visitor's language, and its words (title, description) come through gettext from the
caller. The legend is HTML beside the chart (so that Arabic text is laid out by the
browser); inside the SVG there are only numbers. Time runs from left to right in every
language, as in printed Arabic statistics.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.formats import number_format
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

WIDTH, HEIGHT = 720, 300
LEFT, RIGHT, TOP, BOTTOM = 70, 16, 14, 34

COLOURS = {"scenario": "#0b5cad", "baseline": "#5f6773", "difference": "#8a3b00"}


@dataclass(frozen=True)
class Line:
    mean: Sequence[float | None]
    low: Sequence[float | None]
    high: Sequence[float | None]
    kind: str
    """scenario, baseline or difference (its colour)."""
    dashed: bool = False


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values covering [low, high]: steps of 1, 2, 2.5 or 5 times a power of 10."""
    if not math.isfinite(low) or not math.isfinite(high):
        return [0.0, 1.0]
    if high - low < 1e-9:
        low, high = low - 1, high + 1
    raw = (high - low) / count
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    first = math.floor(low / step + 1e-9) * step
    ticks = []
    value = first
    while value < high + step * 1e-6 + step:
        ticks.append(round(value, 10))
        if value >= high - step * 1e-6:
            break
        value += step
    return ticks


def _tick_decimals(ticks: Sequence[float]) -> int:
    if len(ticks) < 2:
        return 0
    step = abs(ticks[1] - ticks[0])
    for decimals in range(4):
        scaled = step * 10**decimals
        if abs(scaled - round(scaled)) < 1e-6:
            return decimals
    return 4


def _segments(values: Sequence[float | None]) -> list[list[int]]:
    """Runs of consecutive months with a value."""
    runs: list[list[int]] = []
    current: list[int] = []
    for index, value in enumerate(values):
        if value is None:
            if current:
                runs.append(current)
            current = []
        else:
            current.append(index)
    if current:
        runs.append(current)
    return runs


def band_chart(
    months: Sequence[dt.date],
    lines: Sequence[Line],
    *,
    identifier: str,
    title: str,
    description: str,
    zero_line: bool = False,
) -> SafeString:
    """An SVG chart: for each line its 5-95 % band (a shaded area) and its mean."""
    values = [
        v
        for line in lines
        for series in (line.mean, line.low, line.high)
        for v in series
        if v is not None
    ]
    low = min([0.0, *values])
    high = max([0.0, *values])
    ticks = nice_ticks(low, high)
    y_min, y_max = ticks[0], ticks[-1]
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    count = max(len(months) - 1, 1)

    def x(index: int) -> float:
        return LEFT + plot_w * index / count

    def y(value: float) -> float:
        return TOP + plot_h * (1 - (value - y_min) / (y_max - y_min))

    decimals = _tick_decimals(ticks)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'class="chart" role="img" aria-labelledby="{identifier}-title {identifier}-desc" '
        f'font-size="12" font-family="system-ui, sans-serif" direction="ltr">',
        f'<title id="{identifier}-title">{escape(title)}</title>',
        f'<desc id="{identifier}-desc">{escape(description)}</desc>',
    ]
    for tick in ticks:
        label = number_format(tick, decimal_pos=decimals, use_l10n=True, force_grouping=True)
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" '
            f'stroke="#d0d5db" stroke-width="1"/>'
            f'<text x="{LEFT - 6}" y="{y(tick) + 4:.1f}" text-anchor="end" fill="#333">'
            f"{escape(label)}</text>"
        )
    years = [i for i, month in enumerate(months) if month.month == 1]
    every = 1 if len(years) <= 8 else 2
    for position, index in enumerate(years):
        parts.append(
            f'<line x1="{x(index):.1f}" x2="{x(index):.1f}" y1="{TOP + plot_h}" '
            f'y2="{TOP + plot_h + 4}" stroke="#333"/>'
        )
        if position % every == 0:
            parts.append(
                f'<text x="{x(index):.1f}" y="{HEIGHT - 10}" text-anchor="middle" fill="#333">'
                f"{months[index].year}</text>"
            )
    parts.append(
        f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{TOP + plot_h}" y2="{TOP + plot_h}" '
        'stroke="#333"/>'
    )
    if zero_line and y_min < 0 < y_max:
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(0):.1f}" y2="{y(0):.1f}" '
            'stroke="#333" stroke-width="1.2"/>'
        )
    for line in lines:
        colour = COLOURS[line.kind]
        both = [
            None if lo is None or hi is None else 0.0
            for lo, hi in zip(line.low, line.high, strict=True)
        ]
        for run in _segments(both):
            upper = " ".join(f"{x(i):.1f},{y(line.high[i] or 0.0):.1f}" for i in run)
            lower = " ".join(f"{x(i):.1f},{y(line.low[i] or 0.0):.1f}" for i in reversed(run))
            parts.append(
                f'<polygon class="band band-{line.kind}" points="{upper} {lower}" '
                f'fill="{colour}" fill-opacity="0.18" stroke="none"/>'
            )
        dash = ' stroke-dasharray="6 4"' if line.dashed else ""
        for run in _segments(line.mean):
            points = " ".join(f"{x(i):.1f},{y(line.mean[i] or 0.0):.1f}" for i in run)
            parts.append(
                f'<polyline class="mean mean-{line.kind}" points="{points}" fill="none" '
                f'stroke="{colour}" stroke-width="2"{dash}/>'
            )
    parts.append("</svg>")
    # Our own markup: every label in it is escaped where it is built.
    return mark_safe("".join(parts))  # noqa: S308
