"""The platform's kinds of chart, each laid out once as a `Scene` (see `scene.py`).

Every label comes in already translated (the caller's gettext); numbers are formatted here
unless the caller gives a formatter (`band_chart`). Label columns are as wide as their
longest label (`label_column`), so no label is clipped in any language.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from passerelle.core.charts.scene import (
    MARKERS,
    PALETTE,
    Scene,
    label_column,
    text_width,
)
from passerelle.core.i18n import decimal


@dataclass(frozen=True)
class Series:
    label: str
    points: tuple[tuple[float, float], ...]


@dataclass(frozen=True)
class Dot:
    """One value of a row in a dot chart, with an optional interval."""

    series: int
    value: float
    low: float | None = None
    high: float | None = None


@dataclass(frozen=True)
class Band:
    """A line of a band chart: its mean and its band (low, high), None where unknown."""

    mean: Sequence[float | None]
    low: Sequence[float | None]
    high: Sequence[float | None]
    colour: str
    kind: str
    """Names the line in the SVG: classes `band band-<kind>` and `mean mean-<kind>`."""
    dashed: bool = False


def _percent(value: float) -> str:
    return f"{decimal(value * 100, 0)} %"


def share_ticks(largest: float) -> list[float]:
    """Round ticks from 0 to just above `largest` (a share), five or six of them."""
    for step in (0.02, 0.05, 0.1, 0.2, 0.25):
        count = math.ceil(max(largest, 0.01) * 1.05 / step - 1e-9)
        if count <= 6:
            break
    count = min(count, round(1 / step))
    return [round(step * i, 4) for i in range(count + 1)]


def nice_step(span: float, count: int) -> float:
    """A round step (1, 2, 2.5 or 5 times a power of 10) cutting `span` in at most `count`."""
    raw = span / count
    power = 10.0 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values covering [low, high]: steps of 1, 2, 2.5 or 5 times a power of 10."""
    if not math.isfinite(low) or not math.isfinite(high):
        return [0.0, 1.0]
    if high - low < 1e-9:
        low, high = low - 1, high + 1
    step = nice_step(high - low, count)
    ticks = []
    value = math.floor(low / step + 1e-9) * step
    while value < high + step * 1e-6 + step:
        ticks.append(round(value, 10))
        if value >= high - step * 1e-6:
            break
        value += step
    return ticks


def tick_decimals(ticks: Sequence[float]) -> int:
    """The decimals that write every tick exactly (at most 4)."""
    if len(ticks) < 2:
        return 0
    step = abs(ticks[1] - ticks[0])
    for decimals in range(4):
        scaled = step * 10**decimals
        if abs(scaled - round(scaled)) < 1e-6:
            return decimals
    return 4


def line_chart(
    series: Sequence[Series],
    *,
    title: str,
    x_label: str,
    y_label: str,
    rtl: bool = False,
    step: bool = False,
    y_max: float | None = None,
) -> Scene:
    """Lines (or steps) of shares (0-1) against a number (years, months)."""
    width, height = 640, 360
    left, right, top, bottom = 64, 20, 36, height - 76
    legend_width = sum(text_width(s.label) + 34 for s in series)
    width = max(width, round(left + legend_width + right))
    scene = Scene(width, height, title, rtl)
    xs = [x for s in series for x, _y in s.points] or [0.0, 1.0]
    ys = [y for s in series for _x, y in s.points] or [0.0]
    x_low, x_high = min(xs), max(xs)
    x_high = x_high if x_high > x_low else x_low + 1
    y_ticks = share_ticks(y_max if y_max is not None else max(ys))
    top_value = y_ticks[-1]

    def px(value: float) -> float:
        return left + (width - left - right) * (value - x_low) / (x_high - x_low)

    def py(value: float) -> float:
        return bottom - (bottom - top) * value / top_value

    for value in y_ticks:
        scene.line(left, py(value), width - right, py(value), "#e5e5e5")
        scene.text(left - 6, py(value) + 4, _percent(value), "right")
    ticks = sorted({round(x_low + (x_high - x_low) * i / 5) for i in range(6)})
    for tick in ticks:
        scene.text(px(tick), bottom + 16, f"{tick:g}", "middle")
    scene.line(left, bottom, width - right, bottom)
    scene.line(left, top, left, bottom)
    scene.text((left + width - right) / 2, bottom + 34, x_label, "middle")
    scene.text(16, (top + bottom) / 2, y_label, "middle", rotate=True)
    for index, item in enumerate(series):
        points = sorted(item.points)
        if step and points:
            stepped: list[tuple[float, float]] = []
            for (x0, y0), (x1, _y1) in itertools.pairwise(points):
                stepped += [(x0, y0), (x1, y0)]
            stepped.append(points[-1])
            points = stepped
        scene.polyline([(px(x), py(y)) for x, y in points], PALETTE[index % len(PALETTE)])
    scene.legend([s.label for s in series], height - 14, left)
    return scene


def bar_chart(
    groups: Sequence[tuple[str, Sequence[float | None]]],
    series_labels: Sequence[str],
    *,
    title: str,
    value_label: str,
    rtl: bool = False,
) -> Scene:
    """Horizontal grouped bars of shares (0-1): one group per label, one bar per series; a
    withheld value (None) leaves its bar out. The label column is as wide as the longest
    group label."""
    bar, gap = 12, 10
    label_width, plot_width = label_column(label for label, _values in groups), 360
    top = 36
    group_height = bar * len(series_labels) + gap
    bottom = top + group_height * len(groups)
    legend_width = sum(text_width(label) + 34 for label in series_labels)
    width = label_width + max(plot_width + 60, legend_width + 20)
    scene = Scene(width, bottom + 70, title, rtl)
    values = [v for _label, vs in groups for v in vs if v is not None]
    x_ticks = share_ticks(max(values or [0.0]))
    top_value = x_ticks[-1]

    def px(value: float) -> float:
        return label_width + plot_width * value / top_value

    for value in x_ticks:
        scene.line(px(value), top - 4, px(value), bottom, "#e5e5e5")
        scene.text(px(value), bottom + 16, _percent(value), "middle")
    for g, (label, items) in enumerate(groups):
        y = top + group_height * g
        scene.text(label_width - 8, y + group_height / 2, label, "right")
        for s, share in enumerate(items):
            if share is None:
                continue
            colour = PALETTE[s % len(PALETTE)]
            scene.rect(label_width, y + s * bar, px(share) - label_width, bar - 2, colour)
            scene.text(
                px(share) + 4, y + s * bar + bar - 3, f"{decimal(share * 100, 1)} %", size=10
            )
    scene.line(label_width, top - 4, label_width, bottom)
    scene.text(label_width + plot_width / 2, bottom + 34, value_label, "middle")
    scene.legend(series_labels, scene.height - 12, label_width)
    return scene


def flow_chart(
    edges: Sequence[tuple[str, str, int]],
    *,
    title: str,
    left_title: str,
    right_title: str,
    rtl: bool = False,
) -> Scene:
    """A two-column flow chart: senders on one side, receivers on the other, one band per
    pair whose width is proportional to the number of referrals. Each name column is as
    wide as its longest name."""
    senders = sorted({a for a, _b, _n in edges})
    receivers = sorted({b for _a, b, _n in edges})
    top, row, middle = 56, 34, 260
    x_from = label_column([*senders, left_title], padding=24)
    x_to = x_from + middle
    width = x_to + label_column([*receivers, right_title], padding=24)
    height = top + row * max(len(senders), len(receivers), 1) + 20
    scene = Scene(width, height, title, rtl)
    scene.text(x_from, top - 24, left_title, "right", size=12)
    scene.text(x_to, top - 24, right_title, "left", size=12)
    largest = max([n for _a, _b, n in edges] or [1])
    y_of = {name: top + row * i + row / 2 for i, name in enumerate(senders)}
    y_to = {name: top + row * i + row / 2 for i, name in enumerate(receivers)}
    for name, y in y_of.items():
        scene.text(x_from - 10, y + 4, name, "right")
        scene.marker("circle", x_from, y, "#333")
    receiver_colour = {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(receivers)}
    for name, y in y_to.items():
        scene.text(x_to + 10, y + 4, name, "left")
        scene.marker("square", x_to, y, receiver_colour[name])
    for sender, receiver, count in edges:
        scene.curve(
            (x_from, y_of[sender]),
            (x_to, y_to[receiver]),
            receiver_colour[receiver],
            1 + 14 * count / largest,
            0.55,
        )
    return scene


def dot_chart(
    rows: Sequence[tuple[str, Sequence[Dot]]],
    series_labels: Sequence[str],
    *,
    title: str,
    x_label: str,
    references: Sequence[tuple[float, str]] = (),
    rtl: bool = False,
    signed: bool = True,
) -> Scene:
    """One row per label with a marker per series and optional intervals (a forest plot of
    estimates, or a love plot of standardised differences); dashed vertical references."""
    label_width, plot_width, row_height, top = label_column(r for r, _d in rows), 380, 30, 58
    bottom = top + row_height * len(rows)
    width = label_width + max(plot_width + 40, 130 * len(series_labels))
    scene = Scene(width, bottom + 80, title, rtl)
    values = [
        v
        for _label, dots in rows
        for dot in dots
        for v in (dot.value, dot.low, dot.high)
        if v is not None
    ] + [value for value, _label in references]
    low = min([0.0, *values]) if signed else 0.0
    high = max([0.1, *values])
    span = high - low
    low, high = low - 0.05 * span, high + 0.05 * span

    def px(value: float) -> float:
        return label_width + plot_width * (value - low) / (high - low)

    scene.line(px(0), top - 8, px(0), bottom)
    for index, (value, label) in enumerate(references):
        scene.line(px(value), top - 8, px(value), bottom, "#555", dash="4 3")
        scene.text(px(value), top - 12 - 13 * (index % 2), label, "middle", size=11)
    for index, (label, dots) in enumerate(rows):
        y = top + row_height * index + row_height / 2
        scene.text(label_width - 8, y + 4, label, "right")
        scene.line(label_width, y, label_width + plot_width, y, "#eee")
        for dot in dots:
            colour = PALETTE[dot.series % len(PALETTE)]
            offset = (dot.series - (len(series_labels) - 1) / 2) * 6 if dot.low is None else 0
            if dot.low is not None and dot.high is not None:
                scene.line(px(dot.low), y, px(dot.high), y, colour, width=2)
            scene.marker(MARKERS[dot.series % len(MARKERS)], px(dot.value), y + offset, colour)
    step = nice_step(high - low, 7)
    places = max(tick_decimals([0.0, step]), 2 if step < 1 else 0)
    for i in range(math.ceil(low / step), math.floor(high / step) + 1):
        value = round(i * step, 4)
        scene.line(px(value), bottom, px(value), bottom + 4)
        shown = decimal(value, places, signed=bool(signed and value))
        scene.text(px(value), bottom + 16, shown, "middle")
    scene.text(label_width + plot_width / 2, bottom + 36, x_label, "middle")
    scene.legend(series_labels, scene.height - 14, label_width, step=130)
    return scene


def upset_chart(
    sets: Sequence[tuple[str, int | None]],
    combinations: Sequence[tuple[tuple[int, ...], int | None]],
    *,
    title: str,
    count_label: str,
    withheld_label: str,
    rtl: bool = False,
) -> Scene:
    """An UpSet chart (Lex et al. 2014): one column per combination of sets, a bar of its
    count above, and below a matrix whose filled dots name the sets of the combination;
    set names and sizes beside the matrix. A withheld count (None) has no bar, only
    `withheld_label`."""
    names = [f"{label} ({withheld_label if size is None else size})" for label, size in sets]
    label_width = label_column([*names, count_label])
    column, bar_height, row_height, top = 34, 150, 24, 44
    columns = max(len(combinations), 1)
    width = max(label_width + column * columns + 30, text_width(title, 14) + 40)
    baseline = top + bar_height
    matrix_top = baseline + 16
    scene = Scene(width, matrix_top + row_height * len(sets) + 40, title, rtl)
    largest = max([count for _combo, count in combinations if count is not None] or [1])
    scene.line(label_width, baseline, width - 20, baseline)
    scene.text(label_width - 8, top + 8, count_label, "right", size=11)
    for index, (combo, count) in enumerate(combinations):
        x = label_width + column * index + column / 2
        if count is None:
            scene.text(x, baseline - 6, withheld_label, "middle", size=10)
        else:
            bar = (bar_height - 16) * count / largest
            scene.rect(x - column / 2 + 5, baseline - bar, column - 10, bar, PALETTE[0])
            scene.text(x, baseline - bar - 4, f"{count}", "middle", size=10)
        members = [matrix_top + row_height * s + row_height / 2 for s in combo]
        if len(members) > 1:
            scene.line(x, min(members), x, max(members), width=3)
        for s in range(len(sets)):
            y = matrix_top + row_height * s + row_height / 2
            scene.marker("circle", x, y, "#333" if s in combo else "#d4d4d4")
    for s, name in enumerate(names):
        y = matrix_top + row_height * s + row_height / 2
        scene.text(label_width - 8, y + 4, name, "right")
    return scene


def _runs(values: Sequence[float | None]) -> list[list[int]]:
    """Runs of consecutive positions with a value."""
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


def _plain_number(value: float, decimals: int) -> str:
    return f"{value:,.{decimals}f}".replace(",", " ")


def band_chart(
    positions: Sequence[str | None],
    bands: Sequence[Band],
    *,
    title: str,
    description: str | None = None,
    identifier: str | None = None,
    zero_line: bool = False,
    number: Callable[[float, int], str] | None = None,
    show_title: bool = False,
    width: float = 720,
    height: float = 300,
) -> Scene:
    """Lines over time, each with its band (a shaded area, e.g. 5-95 %) and its mean.
    `positions` are the points of the time axis; a label (a year) marks a tick there.
    `number(value, decimals)` writes a tick value (the page's locale). Time runs from left
    to right in every language, as in printed Arabic statistics; the legend is the
    caller's (HTML beside the chart). The title is the chart's accessible name; it is
    written above the plot too with `show_title` (a page shows it as its heading)."""
    ticks, labels = _band_ticks(bands, number or _plain_number)
    y_min, y_max = ticks[0], ticks[-1]
    left, right, bottom = label_column(labels, padding=10) + 6, 24, 34
    top = 36 if show_title else 14
    plot_w, plot_h = width - left - right, height - top - bottom
    count = max(len(positions) - 1, 1)
    scene = Scene(
        width,
        height,
        title,
        description=description,
        identifier=identifier,
        show_title=show_title,
        fluid=True,
    )

    def x(index: int) -> float:
        return left + plot_w * index / count

    def y(value: float) -> float:
        return top + plot_h * (1 - (value - y_min) / (y_max - y_min))

    for tick, label in zip(ticks, labels, strict=True):
        scene.line(left, y(tick), width - right, y(tick), "#d0d5db")
        scene.text(left - 6, y(tick) + 4, label, "right")
    marked = [i for i, label in enumerate(positions) if label is not None]
    every = 1 if len(marked) <= 8 else 2
    for shown, index in enumerate(marked):
        scene.line(x(index), top + plot_h, x(index), top + plot_h + 4)
        if shown % every == 0:
            scene.text(x(index), height - 10, positions[index] or "", "middle")
    scene.line(left, top + plot_h, width - right, top + plot_h)
    if zero_line and y_min < 0 < y_max:
        scene.line(left, y(0), width - right, y(0), width=1.2)
    for band in bands:
        _draw_band(scene, band, x, y)
    return scene


def _band_ticks(
    bands: Sequence[Band], number: Callable[[float, int], str]
) -> tuple[list[float], list[str]]:
    """The value axis of a band chart, from zero or the lowest value to the highest, and its
    tick labels."""
    values = [
        v
        for band in bands
        for series in (band.mean, band.low, band.high)
        for v in series
        if v is not None
    ]
    ticks = nice_ticks(min([0.0, *values]), max([0.0, *values]))
    decimals = tick_decimals(ticks)
    return ticks, [number(tick, decimals) for tick in ticks]


def _draw_band(
    scene: Scene, band: Band, x: Callable[[int], float], y: Callable[[float], float]
) -> None:
    """A band (shaded, where both bounds are known) and its mean (where known)."""
    both = [
        None if lo is None or hi is None else 0.0
        for lo, hi in zip(band.low, band.high, strict=True)
    ]
    for run in _runs(both):
        upper = [(x(i), y(band.high[i] or 0.0)) for i in run]
        lower = [(x(i), y(band.low[i] or 0.0)) for i in reversed(run)]
        scene.polygon(
            [*upper, *lower], band.colour, opacity=0.18, css_class=f"band band-{band.kind}"
        )
    for run in _runs(band.mean):
        scene.polyline(
            [(x(i), y(band.mean[i] or 0.0)) for i in run],
            band.colour,
            dash="6 4" if band.dashed else None,
            css_class=f"mean mean-{band.kind}",
        )


def stack(scenes: Sequence[Scene], *, title: str, rtl: bool = False) -> Scene:
    """Charts one under the other in one scene (each keeps its own title as text)."""
    width = max([s.width for s in scenes] or [200])
    whole = Scene(width, 30 + sum(s.height for s in scenes), title, rtl)
    y = 30.0
    for scene in scenes:
        dx = width - scene.width if rtl else 0.0  # a mirrored chart hangs from the right
        whole.place(scene, dx, y)
        y += scene.height
    return whole
