"""A chart as a list of shapes in page coordinates (a scene), written out as SVG text.

Every chart of the platform is laid out once, here, as a `Scene`; the SVG of the pages and
the CLI is its text (`Scene.svg`), and the PDF and PNG renderers (`charts.render`) draw the
same shapes. No plotting library and no JavaScript.

Direction: in a right-to-left scene the horizontal axis is mirrored (`Scene.x`); labels sit on
the right and every text element carries `direction="rtl"` so that Arabic and mixed text are
ordered as the reader expects (numbers alone stay left to right). A text's anchor is chosen
by the physical edge that sits at the given x (`Scene.text(edge=...)`), so the same drawing
code serves both directions.

Labels that fit: `label_column` measures the longest label (`text_width`, a generous
estimate of sans-serif advance widths) so that a label column is as wide as its longest
label in any language, instead of a fixed width that clips long French or Dutch wording.
"""

from __future__ import annotations

import dataclasses
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from html import escape

PALETTE = ("#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#000000")
"""Okabe and Ito's colour-blind-safe palette."""
MARKERS = ("circle", "square", "diamond")
FONT_SIZE = 12

# Advance widths in em of a common sans-serif (Helvetica/Arial metrics, rounded up): narrow
# letters, wide letters, everything else by its class. Over-estimating costs a little white
# space; under-estimating clips a label, so every class is rounded up.
_NARROW = frozenset("iIjlt.,;:!|'()[]{} f")
_WIDE = frozenset("mwMW@%")


def text_width(text: str, size: float = FONT_SIZE) -> float:
    """A generous estimate of the width of `text` in a sans-serif font of `size` pixels."""
    em = 0.0
    for character in text:
        if character in _NARROW:
            em += 0.34
        elif character in _WIDE:
            em += 0.92
        elif unicodedata.combining(character):
            continue  # Arabic vowel marks and accents take no advance
        elif character.isupper() or character.isdigit():
            em += 0.72
        elif unicodedata.east_asian_width(character) in {"W", "F"}:
            em += 1.0
        else:
            em += 0.6
    return em * size


def label_column(labels: Iterable[str], size: float = FONT_SIZE, padding: float = 16) -> float:
    """The width of a column of right-aligned labels: the longest label plus `padding`."""
    return max((text_width(label, size) for label in labels), default=0.0) + padding


@dataclass(frozen=True)
class Text:
    x: float
    y: float
    content: str
    anchor: str
    """start, middle or end, as in SVG (relative to `direction`)."""
    direction: str = "ltr"
    size: int | None = None
    rotate: bool = False
    """Turned a quarter to the left around (x, y): a vertical axis title."""
    bold: bool = False

    @property
    def physical_anchor(self) -> str:
        """The anchor as a left-to-right renderer reads it: in right-to-left text "start"
        is the right edge, so start and end swap (for print renderers without bidi)."""
        if self.direction == "rtl" and self.anchor != "middle":
            return "end" if self.anchor == "start" else "start"
        return self.anchor


@dataclass(frozen=True)
class Line:
    x1: float
    y1: float
    x2: float
    y2: float
    stroke: str = "#333"
    width: float = 1.0
    dash: str | None = None


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    width: float
    height: float
    fill: str
    tooltip: str | None = None


@dataclass(frozen=True)
class Circle:
    x: float
    y: float
    r: float
    fill: str


@dataclass(frozen=True)
class Polygon:
    points: tuple[tuple[float, float], ...]
    fill: str
    opacity: float = 1.0
    css_class: str | None = None


@dataclass(frozen=True)
class Polyline:
    points: tuple[tuple[float, float], ...]
    stroke: str
    width: float = 2.0
    dash: str | None = None
    css_class: str | None = None


@dataclass(frozen=True)
class Curve:
    """A cubic Bézier band from `start` to `end` with control points `c1`, `c2`."""

    start: tuple[float, float]
    c1: tuple[float, float]
    c2: tuple[float, float]
    end: tuple[float, float]
    stroke: str
    width: float
    opacity: float


Shape = Text | Line | Rect | Circle | Polygon | Polyline | Curve


def _shifted(shape: Shape, dx: float, dy: float) -> Shape:
    if isinstance(shape, Text | Rect | Circle):
        return dataclasses.replace(shape, x=shape.x + dx, y=shape.y + dy)
    if isinstance(shape, Line):
        return dataclasses.replace(
            shape, x1=shape.x1 + dx, y1=shape.y1 + dy, x2=shape.x2 + dx, y2=shape.y2 + dy
        )
    if isinstance(shape, Polygon | Polyline):
        return dataclasses.replace(shape, points=tuple((a + dx, b + dy) for a, b in shape.points))
    start, c1, c2, end = ((a + dx, b + dy) for a, b in (shape.start, shape.c1, shape.c2, shape.end))
    return dataclasses.replace(shape, start=start, c1=c1, c2=c2, end=end)


def _f(value: float) -> str:
    return f"{value:.1f}"


def _points(points: Sequence[tuple[float, float]]) -> str:
    return " ".join(f"{_f(x)},{_f(y)}" for x, y in points)


@dataclass
class Scene:
    """One chart: its size, its accessible name and its shapes in page coordinates."""

    width: float
    height: float
    title: str
    rtl: bool = False
    description: str | None = None
    identifier: str | None = None
    """With a description: ids of the title and the description (`aria-labelledby`)."""
    show_title: bool = True
    """Also write the title as text at the top (the `<title>` element is always there)."""
    fluid: bool = False
    """No width and height in the SVG: the chart fills its container (its viewBox kept)."""
    shapes: list[Shape] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.show_title:
            self.text(self.width / 2, 18, self.title, "middle", size=14)

    # --- coordinates and text -----------------------------------------------------------

    def x(self, x: float) -> float:
        """A position measured from the start edge (the left in a left-to-right chart)."""
        return self.width - x if self.rtl else x

    def _anchor(self, edge: str, text_rtl: bool) -> str:
        """`edge`: which physical side of the text sits at x (left, right or middle), given
        in the left-to-right drawing; mirrored with the chart."""
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
        bold: bool = False,
    ) -> None:
        """Words follow the chart's direction; numbers (ticks, values) stay left to right so
        that signs and percent signs keep their place."""
        text_rtl = self.rtl and any(character.isalpha() for character in content)
        self.shapes.append(
            Text(
                self.x(x),
                y,
                content,
                self._anchor(edge, text_rtl),
                "rtl" if text_rtl else "ltr",
                size,
                rotate,
                bold,
            )
        )

    # --- shapes (x measured from the start edge, mirrored here) ------------------------

    def line(
        self,
        x1: float,
        y1: float,
        x2: float,
        y2: float,
        stroke: str = "#333",
        *,
        width: float = 1.0,
        dash: str | None = None,
    ) -> None:
        self.shapes.append(Line(self.x(x1), y1, self.x(x2), y2, stroke, width, dash))

    def rect(
        self,
        x: float,
        y: float,
        width: float,
        height: float,
        fill: str,
        *,
        tooltip: str | None = None,
    ) -> None:
        left = self.x(x + width) if self.rtl else x
        self.shapes.append(Rect(left, y, width, height, fill, tooltip))

    def polyline(
        self,
        points: Sequence[tuple[float, float]],
        stroke: str,
        *,
        width: float = 2.0,
        dash: str | None = None,
        css_class: str | None = None,
    ) -> None:
        mirrored = tuple((self.x(px), py) for px, py in points)
        self.shapes.append(Polyline(mirrored, stroke, width, dash, css_class))

    def polygon(
        self,
        points: Sequence[tuple[float, float]],
        fill: str,
        *,
        opacity: float = 1.0,
        css_class: str | None = None,
    ) -> None:
        mirrored = tuple((self.x(px), py) for px, py in points)
        self.shapes.append(Polygon(mirrored, fill, opacity, css_class))

    def marker(self, shape: str, x: float, y: float, colour: str) -> None:
        cx = self.x(x)
        if shape == "circle":
            self.shapes.append(Circle(cx, y, 4.5, colour))
        elif shape == "square":
            self.shapes.append(Rect(cx - 4, y - 4, 8, 8, colour))
        else:
            diamond = ((cx, y - 5), (cx + 5, y), (cx, y + 5), (cx - 5, y))
            self.shapes.append(Polygon(diamond, colour))

    def curve(
        self,
        start: tuple[float, float],
        end: tuple[float, float],
        stroke: str,
        width: float,
        opacity: float,
    ) -> None:
        """A horizontal S-shaped band from `start` to `end` (x from the start edge)."""
        a, b = self.x(start[0]), self.x(end[0])
        middle = (a + b) / 2
        self.shapes.append(
            Curve(
                (a, start[1]),
                (middle, start[1]),
                (middle, end[1]),
                (b, end[1]),
                stroke,
                width,
                opacity,
            )
        )

    def legend(self, labels: Sequence[str], y: float, left: float, step: float = 0) -> None:
        """A colour swatch and a label per series, in a row; each entry is as wide as its
        label (or `step`, when wider)."""
        x = left
        for index, label in enumerate(labels):
            colour = PALETTE[index % len(PALETTE)]
            self.rect(x, y - 9, 12, 10, colour)
            self.text(x + 16, y, label)
            x += max(step, text_width(label) + 34)

    def place(self, other: Scene, dx: float, dy: float) -> None:
        """Add the shapes of `other`, moved by (dx, dy) (charts one under the other)."""
        self.shapes += [_shifted(shape, dx, dy) for shape in other.shapes]

    # --- SVG ------------------------------------------------------------------------------

    def svg(self) -> str:
        """The scene as an SVG document (every label escaped)."""
        direction = "rtl" if self.rtl else "ltr"
        title = escape(self.title)
        if self.description is not None and self.identifier:
            named = f'aria-labelledby="{self.identifier}-title {self.identifier}-desc"'
            heading = [
                f'<title id="{self.identifier}-title">{title}</title>',
                f'<desc id="{self.identifier}-desc">{escape(self.description)}</desc>',
            ]
        else:
            named = f'aria-label="{title}"'
            heading = [f"<title>{title}</title>"]
        width, height = round(self.width), round(self.height)
        size = "" if self.fluid else f'width="{width}" height="{height}" '
        parts = [
            f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" {size}'
            f'viewBox="0 0 {width} {height}" role="img" {named} '
            f'direction="{direction}" font-family="sans-serif" font-size="{FONT_SIZE}">',
            *heading,
        ]
        parts += [_svg_shape(shape) for shape in self.shapes]
        return "\n".join([*parts, "</svg>"]) + "\n"


def _svg_shape(shape: Shape) -> str:
    if isinstance(shape, Text):
        attributes = f'x="{_f(shape.x)}" y="{_f(shape.y)}" text-anchor="{shape.anchor}"'
        attributes += f' direction="{shape.direction}"'
        if shape.size:
            attributes += f' font-size="{shape.size}"'
        if shape.bold:
            attributes += ' font-weight="bold"'
        if shape.rotate:
            attributes += f' transform="rotate(-90 {_f(shape.x)} {_f(shape.y)})"'
        return f"<text {attributes}>{escape(shape.content)}</text>"
    if isinstance(shape, Line):
        dash = f' stroke-dasharray="{shape.dash}"' if shape.dash else ""
        width = f' stroke-width="{shape.width:g}"' if shape.width != 1 else ""
        return (
            f'<line x1="{_f(shape.x1)}" y1="{_f(shape.y1)}" x2="{_f(shape.x2)}" '
            f'y2="{_f(shape.y2)}" stroke="{shape.stroke}"{width}{dash}/>'
        )
    if isinstance(shape, Rect):
        box = (
            f'<rect x="{_f(shape.x)}" y="{_f(shape.y)}" width="{_f(shape.width)}" '
            f'height="{_f(shape.height)}" fill="{shape.fill}"'
        )
        if shape.tooltip is None:
            return box + "/>"
        return f"{box}><title>{escape(shape.tooltip)}</title></rect>"
    if isinstance(shape, Circle):
        return (
            f'<circle cx="{_f(shape.x)}" cy="{_f(shape.y)}" r="{shape.r:g}" fill="{shape.fill}"/>'
        )
    if isinstance(shape, Polygon):
        css = f' class="{shape.css_class}"' if shape.css_class else ""
        opacity = f' fill-opacity="{shape.opacity:g}"' if shape.opacity != 1 else ""
        return f'<polygon{css} points="{_points(shape.points)}" fill="{shape.fill}"{opacity}/>'
    if isinstance(shape, Polyline):
        css = f' class="{shape.css_class}"' if shape.css_class else ""
        dash = f' stroke-dasharray="{shape.dash}"' if shape.dash else ""
        return (
            f'<polyline{css} points="{_points(shape.points)}" fill="none" '
            f'stroke="{shape.stroke}" stroke-width="{shape.width:g}"{dash}/>'
        )
    (x0, y0), (x1, y1), (x2, y2), (x3, y3) = shape.start, shape.c1, shape.c2, shape.end
    d = f"M{_f(x0)},{_f(y0)} C{_f(x1)},{_f(y1)} {_f(x2)},{_f(y2)} {_f(x3)},{_f(y3)}"
    return (
        f'<path d="{d}" fill="none" stroke="{shape.stroke}" stroke-width="{shape.width:.1f}" '
        f'stroke-opacity="{shape.opacity}"/>'
    )
