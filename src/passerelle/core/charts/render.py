"""The same scene for print: a reportlab drawing (PDF reports) and a PNG picture (Pillow).

Both draw the shapes of `Scene` one by one, so a chart in a PDF or a PNG is the chart of
the page, not a second drawing of it. reportlab's y axis grows upwards: every y is flipped.
reportlab's built-in Helvetica has no Arabic glyphs, which is why PDF reports are offered in
French, Dutch and English only (`report_pdf.PDF_LANGUAGES`); the PNG uses Bitstream Vera,
shipped with reportlab (Latin script, accents included), and serves the command line.
"""

from __future__ import annotations

import functools
import io
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from passerelle.core.charts.scene import (
    FONT_SIZE,
    Circle,
    Curve,
    Line,
    Polygon,
    Polyline,
    Rect,
    Scene,
    Shape,
    Text,
)


def _hex(colour: str) -> str:
    """#rrggbb from #rgb or #rrggbb."""
    return colour if len(colour) == 7 else "#" + "".join(c * 2 for c in colour[1:])


def _colour(value: str) -> Any:
    from reportlab.lib import colors

    return colors.HexColor(_hex(value))


def _dash(dash: str | None) -> list[float] | None:
    return [float(part) for part in dash.split()] if dash else None


def drawing(scene: Scene, width: float | None = None) -> Any:
    """A reportlab `Drawing` of `scene`, scaled to `width` points when given (a flowable
    for `report_pdf(charts=...)`)."""
    from reportlab.graphics.shapes import Drawing, Group

    scale = 1.0 if width is None else min(1.0, width / scene.width)
    group = Group()
    for shape in scene.shapes:
        for item in _reportlab(shape, scene.height):
            group.add(item)
    group.scale(scale, scale)
    result = Drawing(scene.width * scale, scene.height * scale)
    result.add(group)
    return result


def _reportlab_text(shape: Text, height: float) -> Any:
    from reportlab.graphics.shapes import Group, String

    string = String(
        shape.x,
        height - shape.y,
        shape.content,
        fontName="Helvetica-Bold" if shape.bold else "Helvetica",
        fontSize=shape.size or FONT_SIZE,
        textAnchor=shape.physical_anchor,
    )
    if not shape.rotate:
        return string
    turned = Group(string)
    turned.rotate(90)  # reportlab turns counter-clockwise around the origin
    string.x, string.y = height - shape.y, -shape.x
    return turned


def _reportlab(shape: Shape, height: float) -> list[Any]:
    """`shape` as reportlab drawing elements (reportlab's y axis points up)."""
    if isinstance(shape, Text):
        return [_reportlab_text(shape, height)]
    if isinstance(shape, Line | Rect | Circle):
        return [_reportlab_solid(shape, height)]
    if isinstance(shape, Polygon | Polyline):
        return [_reportlab_points(shape, height)]
    return [_reportlab_curve(shape, height)]


def _reportlab_solid(shape: Line | Rect | Circle, height: float) -> Any:
    from reportlab.graphics.shapes import Circle as RCircle
    from reportlab.graphics.shapes import Line as RLine
    from reportlab.graphics.shapes import Rect as RRect

    if isinstance(shape, Line):
        return RLine(
            shape.x1,
            height - shape.y1,
            shape.x2,
            height - shape.y2,
            strokeColor=_colour(shape.stroke),
            strokeWidth=shape.width,
            strokeDashArray=_dash(shape.dash),
        )
    if isinstance(shape, Rect):
        return RRect(
            shape.x,
            height - shape.y - shape.height,
            shape.width,
            shape.height,
            fillColor=_colour(shape.fill),
            strokeColor=None,
        )
    return RCircle(
        shape.x, height - shape.y, shape.r, fillColor=_colour(shape.fill), strokeColor=None
    )


def _reportlab_points(shape: Polygon | Polyline, height: float) -> Any:
    from reportlab.graphics.shapes import Polygon as RPolygon
    from reportlab.graphics.shapes import PolyLine as RPolyLine

    flat = [c for x, y in shape.points for c in (x, height - y)]
    if isinstance(shape, Polygon):
        fill = _colour(shape.fill)
        return RPolygon(flat, fillColor=fill, fillOpacity=shape.opacity, strokeColor=None)
    return RPolyLine(
        flat,
        strokeColor=_colour(shape.stroke),
        strokeWidth=shape.width,
        strokeDashArray=_dash(shape.dash),
    )


def _reportlab_curve(shape: Curve, height: float) -> Any:
    from reportlab.graphics.shapes import Path as RPath

    path = RPath(
        strokeColor=_colour(shape.stroke),
        strokeWidth=shape.width,
        strokeOpacity=shape.opacity,
        fillColor=None,
    )
    path.moveTo(shape.start[0], height - shape.start[1])
    path.curveTo(
        shape.c1[0],
        height - shape.c1[1],
        shape.c2[0],
        height - shape.c2[1],
        shape.end[0],
        height - shape.end[1],
    )
    return path


@functools.cache
def _font(size: float, *, bold: bool) -> Any:
    import reportlab
    from PIL import ImageFont

    name = "VeraBd.ttf" if bold else "Vera.ttf"
    return ImageFont.truetype(str(Path(reportlab.__file__).parent / "fonts" / name), size)


def _rgba(colour: str, opacity: float = 1.0) -> tuple[int, int, int, int]:
    value = _hex(colour)
    red, green, blue = (int(value[i : i + 2], 16) for i in (1, 3, 5))
    return (red, green, blue, round(255 * opacity))


def _bezier(curve: Curve, steps: int = 20) -> list[tuple[float, float]]:
    """Points along a cubic Bézier curve (Pillow draws polylines only)."""
    points = []
    for step in range(steps + 1):
        t = step / steps
        weights = ((1 - t) ** 3, 3 * (1 - t) ** 2 * t, 3 * (1 - t) * t**2, t**3)
        controls = (curve.start, curve.c1, curve.c2, curve.end)
        points.append(
            (
                sum(w * c[0] for w, c in zip(weights, controls, strict=True)),
                sum(w * c[1] for w, c in zip(weights, controls, strict=True)),
            )
        )
    return points


def png(scene: Scene, scale: float = 1.5) -> bytes:
    """The scene as a PNG picture (Pillow), `scale` pixels per unit."""
    from PIL import Image, ImageDraw

    size = (math.ceil(scene.width * scale), math.ceil(scene.height * scale))
    picture = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(picture, "RGBA")
    for shape in scene.shapes:
        if isinstance(shape, Text):
            _png_text(picture, draw, shape, scale)
        else:
            _png_shape(draw, shape, scale)
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    return buffer.getvalue()


def _png_text(picture: Any, draw: Any, text: Text, scale: float) -> None:
    from PIL import Image, ImageDraw

    font = _font((text.size or FONT_SIZE) * scale, bold=text.bold)
    x, y = text.x * scale, text.y * scale
    if not text.rotate:
        where = {"start": "ls", "middle": "ms", "end": "rs"}[text.physical_anchor]
        draw.text((x, y), text.content, font=font, fill="#222222", anchor=where)
        return
    box = draw.textbbox((0, 0), text.content, font=font)
    label = Image.new("RGBA", (math.ceil(box[2]) + 2, math.ceil(box[3]) + 2), (0, 0, 0, 0))
    ImageDraw.Draw(label).text((0, 0), text.content, font=font, fill="#333333")
    turned = label.rotate(90, expand=True)
    picture.paste(turned, (round(x - turned.width), round(y - turned.height / 2)), turned)


def _png_shape(draw: Any, shape: Shape, scale: float) -> None:
    def p(points: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
        return [(x * scale, y * scale) for x, y in points]

    if isinstance(shape, Line):
        width = max(1, round(shape.width * scale))
        draw.line(p([(shape.x1, shape.y1), (shape.x2, shape.y2)]), _rgba(shape.stroke), width)
    elif isinstance(shape, Rect):
        corners = [(shape.x, shape.y), (shape.x + shape.width, shape.y + shape.height)]
        draw.rectangle(p(corners), fill=_rgba(shape.fill))
    elif isinstance(shape, Circle):
        r = shape.r
        draw.ellipse(p([(shape.x - r, shape.y - r), (shape.x + r, shape.y + r)]), _rgba(shape.fill))
    elif isinstance(shape, Polygon):
        draw.polygon(p(shape.points), fill=_rgba(shape.fill, shape.opacity))
    elif isinstance(shape, Polyline):
        width = max(1, round(shape.width * scale))
        draw.line(p(shape.points), fill=_rgba(shape.stroke), width=width, joint="curve")
    elif isinstance(shape, Curve):
        width = max(1, round(shape.width * scale))
        draw.line(p(_bezier(shape)), fill=_rgba(shape.stroke, shape.opacity), width=width)
