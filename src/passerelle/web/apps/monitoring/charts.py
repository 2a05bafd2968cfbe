"""Charts as hand-written inline SVG (no plotting library, no JavaScript).

Every label comes in already translated. In a right-to-left language the chart is mirrored:
the horizontal axis runs from right to left, labels sit on the right, and every text element
carries `direction="rtl"` so that Arabic and mixed text are ordered as the reader expects
(numbers alone stay left to right).
Text anchors are chosen by the physical edge that sits at the given x (`_anchor`), so the
same drawing code serves both directions.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

PALETTE = ("#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#000000")
"""Okabe and Ito's colour-blind-safe palette."""
MARKERS = ("circle", "square", "diamond")


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


class _Canvas:
    """Coordinates and text for one chart; mirrors x when `rtl`."""

    def __init__(self, width: int, height: int, title: str, rtl: bool) -> None:
        self.width, self.height, self.rtl = width, height, rtl
        direction = "rtl" if rtl else "ltr"
        self.parts = [
            f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="{width}" '
            f'height="{height}" viewBox="0 0 {width} {height}" role="img" '
            f'aria-label="{escape(title)}" direction="{direction}" '
            'font-family="sans-serif" font-size="12">',
            f"<title>{escape(title)}</title>",
        ]
        self.text(width / 2, 18, title, "middle", size=14)

    def x(self, x: float) -> float:
        return self.width - x if self.rtl else x

    def _anchor(self, edge: str, text_rtl: bool) -> str:
        """`edge`: which physical side of the text sits at x (left, right or middle),
        given in the left-to-right drawing; mirrored with the chart."""
        if edge == "middle":
            return "middle"
        if self.rtl:
            edge = "right" if edge == "left" else "left"
        # In right-to-left text, "start" is the right edge of the text.
        if edge == "left":
            return "end" if text_rtl else "start"
        return "start" if text_rtl else "end"

    def text(
        self,
        x: float,
        y: float,
        content: str,
        edge: str = "left",
        *,
        size: int | None = None,
        rotate: bool = False,
    ) -> None:
        """Words follow the page's direction; numbers (ticks, values) stay left to right so
        that signs and percent signs keep their place."""
        text_rtl = self.rtl and any(character.isalpha() for character in content)
        direction = "rtl" if text_rtl else "ltr"
        anchor = self._anchor(edge, text_rtl)
        attributes = f'x="{self.x(x):.1f}" y="{y:.1f}" text-anchor="{anchor}"'
        attributes += f' direction="{direction}"'
        if size:
            attributes += f' font-size="{size}"'
        if rotate:
            attributes += f' transform="rotate(-90 {self.x(x):.1f} {y:.1f})"'
        self.parts.append(f"<text {attributes}>{escape(content)}</text>")

    def line(self, x1: float, y1: float, x2: float, y2: float, style: str) -> None:
        self.parts.append(
            f'<line x1="{self.x(x1):.1f}" y1="{y1:.1f}" x2="{self.x(x2):.1f}" '
            f'y2="{y2:.1f}" {style}/>'
        )

    def polyline(self, points: Sequence[tuple[float, float]], colour: str) -> None:
        coordinates = " ".join(f"{self.x(px):.1f},{py:.1f}" for px, py in points)
        self.parts.append(
            f'<polyline points="{coordinates}" fill="none" stroke="{colour}" stroke-width="2"/>'
        )

    def rect(self, x: float, y: float, width: float, height: float, colour: str) -> None:
        left = self.x(x + width) if self.rtl else x
        self.parts.append(
            f'<rect x="{left:.1f}" y="{y:.1f}" width="{width:.1f}" height="{height:.1f}" '
            f'fill="{colour}"/>'
        )

    def marker(self, shape: str, x: float, y: float, colour: str) -> None:
        cx = self.x(x)
        if shape == "circle":
            self.parts.append(f'<circle cx="{cx:.1f}" cy="{y:.1f}" r="4.5" fill="{colour}"/>')
        elif shape == "square":
            self.parts.append(
                f'<rect x="{cx - 4:.1f}" y="{y - 4:.1f}" width="8" height="8" fill="{colour}"/>'
            )
        else:
            points = (
                f"{cx:.1f},{y - 5:.1f} {cx + 5:.1f},{y:.1f} "
                f"{cx:.1f},{y + 5:.1f} {cx - 5:.1f},{y:.1f}"
            )
            self.parts.append(f'<polygon points="{points}" fill="{colour}"/>')

    def path(self, d: str, colour: str, width: float, opacity: float) -> None:
        self.parts.append(
            f'<path d="{d}" fill="none" stroke="{colour}" stroke-width="{width:.1f}" '
            f'stroke-opacity="{opacity}"/>'
        )

    def legend(self, labels: Sequence[str], y: float, left: float, step: float = 0) -> None:
        x = left
        for index, label in enumerate(labels):
            colour = PALETTE[index % len(PALETTE)]
            self.rect(x, y - 9, 12, 10, colour)
            self.text(x + 16, y, label)
            x += step or max(90, 8 * len(label) + 30)

    def svg(self) -> str:
        return "\n".join([*self.parts, "</svg>"]) + "\n"


def _percent(value: float) -> str:
    return f"{value * 100:.0f} %"


def _share_ticks(largest: float) -> list[float]:
    """Round ticks from 0 to just above `largest` (a share), five or six of them."""
    for step in (0.02, 0.05, 0.1, 0.2, 0.25):
        count = math.ceil(max(largest, 0.01) * 1.05 / step - 1e-9)
        if count <= 6:
            break
    count = min(count, round(1 / step))
    return [round(step * i, 4) for i in range(count + 1)]


def line_chart(
    series: Sequence[Series],
    *,
    title: str,
    x_label: str,
    y_label: str,
    rtl: bool = False,
    step: bool = False,
    y_max: float | None = None,
) -> str:
    """Lines (or steps) of shares (0-1) against a number (years, months)."""
    width, height = 640, 360
    left, right, top, bottom = 64, 20, 36, height - 76
    canvas = _Canvas(width, height, title, rtl)
    xs = [x for s in series for x, _y in s.points] or [0.0, 1.0]
    ys = [y for s in series for _x, y in s.points] or [0.0]
    x_low, x_high = min(xs), max(xs)
    x_high = x_high if x_high > x_low else x_low + 1
    y_ticks = _share_ticks(y_max if y_max is not None else max(ys))
    top_value = y_ticks[-1]

    def px(value: float) -> float:
        return left + (width - left - right) * (value - x_low) / (x_high - x_low)

    def py(value: float) -> float:
        return bottom - (bottom - top) * value / top_value

    for value in y_ticks:
        canvas.line(left, py(value), width - right, py(value), 'stroke="#e5e5e5"')
        canvas.text(left - 6, py(value) + 4, _percent(value), "right")
    ticks = sorted({round(x_low + (x_high - x_low) * i / 5) for i in range(6)})
    for tick in ticks:
        canvas.text(px(tick), bottom + 16, f"{tick:g}", "middle")
    canvas.line(left, bottom, width - right, bottom, 'stroke="#333"')
    canvas.line(left, top, left, bottom, 'stroke="#333"')
    canvas.text((left + width - right) / 2, bottom + 34, x_label, "middle")
    canvas.text(16, (top + bottom) / 2, y_label, "middle", rotate=True)
    for index, item in enumerate(series):
        points = sorted(item.points)
        if step and points:
            stepped: list[tuple[float, float]] = []
            for (x0, y0), (x1, _y1) in itertools.pairwise(points):
                stepped += [(x0, y0), (x1, y0)]
            stepped.append(points[-1])
            points = stepped
        canvas.polyline([(px(x), py(y)) for x, y in points], PALETTE[index % len(PALETTE)])
    canvas.legend([s.label for s in series], height - 14, left)
    return canvas.svg()


def bar_chart(
    groups: Sequence[tuple[str, Sequence[float | None]]],
    series_labels: Sequence[str],
    *,
    title: str,
    value_label: str,
    rtl: bool = False,
) -> str:
    """Horizontal grouped bars of shares (0-1): one group per label, one bar per series; a
    withheld value (None) leaves its bar out."""
    bar, gap = 12, 10
    label_width, plot_width = 330, 360
    top = 36
    group_height = bar * len(series_labels) + gap
    bottom = top + group_height * len(groups)
    width, height = label_width + plot_width + 60, bottom + 70
    canvas = _Canvas(width, height, title, rtl)
    values = [v for _label, vs in groups for v in vs if v is not None]
    x_ticks = _share_ticks(max(values or [0.0]))
    top_value = x_ticks[-1]

    def px(value: float) -> float:
        return label_width + plot_width * value / top_value

    for value in x_ticks:
        canvas.line(px(value), top - 4, px(value), bottom, 'stroke="#e5e5e5"')
        canvas.text(px(value), bottom + 16, _percent(value), "middle")
    for g, (label, items) in enumerate(groups):
        y = top + group_height * g
        canvas.text(label_width - 8, y + group_height / 2, label, "right")
        for s, share in enumerate(items):
            if share is None:
                continue
            colour = PALETTE[s % len(PALETTE)]
            canvas.rect(label_width, y + s * bar, px(share) - label_width, bar - 2, colour)
            canvas.text(px(share) + 4, y + s * bar + bar - 3, f"{share * 100:.1f} %", size=10)
    canvas.line(label_width, top - 4, label_width, bottom, 'stroke="#333"')
    canvas.text(label_width + plot_width / 2, bottom + 34, value_label, "middle")
    canvas.legend(series_labels, height - 12, label_width)
    return canvas.svg()


def flow_chart(
    edges: Sequence[tuple[str, str, int]],
    *,
    title: str,
    left_title: str,
    right_title: str,
    rtl: bool = False,
) -> str:
    """A two-column flow chart: senders on one side, receivers on the other, one band per
    pair whose width is proportional to the number of referrals."""
    senders = sorted({a for a, _b, _n in edges})
    receivers = sorted({b for _a, b, _n in edges})
    width = 700
    top, row = 56, 34
    height = top + row * max(len(senders), len(receivers), 1) + 20
    canvas = _Canvas(width, height, title, rtl)
    x_from, x_to = 220, width - 220
    canvas.text(x_from, top - 24, left_title, "right", size=12)
    canvas.text(x_to, top - 24, right_title, "left", size=12)
    largest = max([n for _a, _b, n in edges] or [1])
    y_of = {name: top + row * i + row / 2 for i, name in enumerate(senders)}
    y_to = {name: top + row * i + row / 2 for i, name in enumerate(receivers)}
    for name, y in y_of.items():
        canvas.text(x_from - 10, y + 4, name, "right")
        canvas.marker("circle", x_from, y, "#333")
    for index, name in enumerate(receivers):
        y = y_to[name]
        canvas.text(x_to + 10, y + 4, name, "left")
        canvas.marker("square", x_to, y, PALETTE[index % len(PALETTE)])
    receiver_colour = {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(receivers)}
    for sender, receiver, count in edges:
        a, b = canvas.x(x_from), canvas.x(x_to)
        y1, y2 = y_of[sender], y_to[receiver]
        middle = (a + b) / 2
        d = f"M{a:.1f},{y1:.1f} C{middle:.1f},{y1:.1f} {middle:.1f},{y2:.1f} {b:.1f},{y2:.1f}"
        canvas.path(d, receiver_colour[receiver], 1 + 14 * count / largest, 0.55)
    return canvas.svg()


def dot_chart(
    rows: Sequence[tuple[str, Sequence[Dot]]],
    series_labels: Sequence[str],
    *,
    title: str,
    x_label: str,
    references: Sequence[tuple[float, str]] = (),
    rtl: bool = False,
    signed: bool = True,
) -> str:
    """One row per label with a marker per series and optional intervals (a forest plot of
    estimates, or a love plot of standardised differences); dashed vertical references."""
    label_width, plot_width, row_height, top = 190, 380, 30, 58
    bottom = top + row_height * len(rows)
    width, height = label_width + plot_width + 40, bottom + 80
    canvas = _Canvas(width, height, title, rtl)
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

    canvas.line(px(0), top - 8, px(0), bottom, 'stroke="#333"')
    for index, (value, label) in enumerate(references):
        canvas.line(px(value), top - 8, px(value), bottom, 'stroke="#555" stroke-dasharray="4 3"')
        canvas.text(px(value), top - 12 - 13 * (index % 2), label, "middle", size=11)
    for index, (label, dots) in enumerate(rows):
        y = top + row_height * index + row_height / 2
        canvas.text(label_width - 8, y + 4, label, "right")
        canvas.line(label_width, y, label_width + plot_width, y, 'stroke="#eee"')
        for dot in dots:
            colour = PALETTE[dot.series % len(PALETTE)]
            offset = (dot.series - (len(series_labels) - 1) / 2) * 6 if dot.low is None else 0
            if dot.low is not None and dot.high is not None:
                canvas.line(px(dot.low), y, px(dot.high), y, f'stroke="{colour}" stroke-width="2"')
            canvas.marker(MARKERS[dot.series % len(MARKERS)], px(dot.value), y + offset, colour)
    step = next(s for s in (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0) if (high - low) / s <= 7)
    for i in range(math.ceil(low / step), math.floor(high / step) + 1):
        value = round(i * step, 4)
        canvas.line(px(value), bottom, px(value), bottom + 4, 'stroke="#333"')
        shown = f"{value:+.2f}" if signed and value else f"{value:.2f}"
        canvas.text(px(value), bottom + 16, shown, "middle")
    canvas.text(label_width + plot_width / 2, bottom + 36, x_label, "middle")
    canvas.legend(series_labels, height - 14, label_width, step=130)
    return canvas.svg()


def upset_chart(
    sets: Sequence[tuple[str, int | None]],
    combinations: Sequence[tuple[tuple[int, ...], int | None]],
    *,
    title: str,
    count_label: str,
    withheld_label: str,
    rtl: bool = False,
) -> str:
    """An UpSet chart (Lex et al. 2014): one column per combination of sets, a bar of its
    count above, and below a matrix whose filled dots name the sets of the combination;
    set names and sizes beside the matrix. A withheld count (None) has no bar, only
    `withheld_label`."""
    label_width, column, bar_height, row_height, top = 250, 34, 150, 24, 44
    columns = max(len(combinations), 1)
    width = max(label_width + column * columns + 30, 8 * len(title) + 40)
    baseline = top + bar_height
    matrix_top = baseline + 16
    height = matrix_top + row_height * len(sets) + 40
    canvas = _Canvas(width, height, title, rtl)
    largest = max([count for _combo, count in combinations if count is not None] or [1])
    canvas.line(label_width, baseline, width - 20, baseline, 'stroke="#333"')
    canvas.text(label_width - 8, top + 8, count_label, "right", size=11)
    for index, (combo, count) in enumerate(combinations):
        x = label_width + column * index + column / 2
        if count is None:
            canvas.text(x, baseline - 6, withheld_label, "middle", size=10)
        else:
            bar = (bar_height - 16) * count / largest
            canvas.rect(x - column / 2 + 5, baseline - bar, column - 10, bar, PALETTE[0])
            canvas.text(x, baseline - bar - 4, f"{count}", "middle", size=10)
        members = [matrix_top + row_height * s + row_height / 2 for s in combo]
        if len(members) > 1:
            canvas.line(x, min(members), x, max(members), 'stroke="#333" stroke-width="3"')
        for s in range(len(sets)):
            y = matrix_top + row_height * s + row_height / 2
            canvas.marker("circle", x, y, "#333" if s in combo else "#d4d4d4")
    for s, (label, size) in enumerate(sets):
        y = matrix_top + row_height * s + row_height / 2
        shown = withheld_label if size is None else f"{size}"
        canvas.text(label_width - 8, y + 4, f"{label} ({shown})", "right")
    return canvas.svg()
