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


def _colour(value: str) -> Any:
    from reportlab.lib import colors

    return colors.HexColor(value if len(value) == 7 else "#" + "".join(c * 2 for c in value[1:]))


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


def _reportlab(shape: Shape, height: float) -> list[Any]:
    from reportlab.graphics.shapes import Circle as RCircle
    from reportlab.graphics.shapes import Line as RLine
    from reportlab.graphics.shapes import Path as RPath
    from reportlab.graphics.shapes import Polygon as RPolygon
    from reportlab.graphics.shapes import PolyLine as RPolyLine
    from reportlab.graphics.shapes import Rect as RRect
    from reportlab.graphics.shapes import String

    if isinstance(shape, Text):
        anchor = shape.anchor
        if shape.direction == "rtl" and anchor != "middle":
            anchor = "end" if anchor == "start" else "start"
        string = String(
            shape.x,
            height - shape.y,
            shape.content,
            fontName="Helvetica-Bold" if shape.bold else "Helvetica",
            fontSize=shape.size or FONT_SIZE,
            textAnchor=anchor,
        )
        if not shape.rotate:
            return [string]
        from reportlab.graphics.shapes import Group

        turned = Group(string)
        turned.rotate(90)  # reportlab turns counter-clockwise around the origin
        string.x, string.y = height - shape.y, -shape.x
        return [turned]
    if isinstance(shape, Line):
        return [
            RLine(
                shape.x1,
                height - shape.y1,
                shape.x2,
                height - shape.y2,
                strokeColor=_colour(shape.stroke),
                strokeWidth=shape.width,
                strokeDashArray=_dash(shape.dash),
            )
        ]
    if isinstance(shape, Rect):
        return [
            RRect(
                shape.x,
                height - shape.y - shape.height,
                shape.width,
                shape.height,
                fillColor=_colour(shape.fill),
                strokeColor=None,
            )
        ]
    if isinstance(shape, Circle):
        return [
            RCircle(
                shape.x, height - shape.y, shape.r, fillColor=_colour(shape.fill), strokeColor=None
            )
        ]
    flat = [c for x, y in getattr(shape, "points", ()) for c in (x, height - y)]
    if isinstance(shape, Polygon):
        fill = _colour(shape.fill)
        return [RPolygon(flat, fillColor=fill, fillOpacity=shape.opacity, strokeColor=None)]
    if isinstance(shape, Polyline):
        return [
            RPolyLine(
                flat,
                strokeColor=_colour(shape.stroke),
                strokeWidth=shape.width,
                strokeDashArray=_dash(shape.dash),
            )
        ]
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
    return [path]


@functools.cache
def _font(size: float, *, bold: bool) -> Any:
    import reportlab
    from PIL import ImageFont

    name = "VeraBd.ttf" if bold else "Vera.ttf"
    return ImageFont.truetype(str(Path(reportlab.__file__).parent / "fonts" / name), size)


def png(scene: Scene, scale: float = 1.5) -> bytes:
    """The scene as a PNG picture (Pillow), `scale` pixels per unit."""
    from PIL import Image, ImageDraw

    picture = Image.new(
        "RGB", (math.ceil(scene.width * scale), math.ceil(scene.height * scale)), "white"
    )
    draw = ImageDraw.Draw(picture, "RGBA")

    def p(x: float, y: float) -> tuple[float, float]:
        return (x * scale, y * scale)

    def rgba(colour: str, opacity: float = 1.0) -> tuple[int, int, int, int]:
        value = colour if len(colour) == 7 else "#" + "".join(c * 2 for c in colour[1:])
        red, green, blue = (int(value[i : i + 2], 16) for i in (1, 3, 5))
        return (red, green, blue, round(255 * opacity))

    for shape in scene.shapes:
        if isinstance(shape, Text):
            font = _font((shape.size or FONT_SIZE) * scale, bold=shape.bold)
            anchor = {"start": "ls", "middle": "ms", "end": "rs"}[shape.anchor]
            if shape.direction == "rtl" and shape.anchor != "middle":
                anchor = "rs" if shape.anchor == "start" else "ls"
            if shape.rotate:
                box = draw.textbbox((0, 0), shape.content, font=font)
                label = Image.new(
                    "RGBA", (math.ceil(box[2]) + 2, math.ceil(box[3]) + 2), (0, 0, 0, 0)
                )
                ImageDraw.Draw(label).text((0, 0), shape.content, font=font, fill="#333333")
                turned = label.rotate(90, expand=True)
                x, y = p(shape.x, shape.y)
                picture.paste(
                    turned, (round(x - turned.width), round(y - turned.height / 2)), turned
                )
                continue
            draw.text(p(shape.x, shape.y), shape.content, font=font, fill="#222222", anchor=anchor)
        elif isinstance(shape, Line):
            draw.line(
                [p(shape.x1, shape.y1), p(shape.x2, shape.y2)],
                fill=rgba(shape.stroke),
                width=max(1, round(shape.width * scale)),
            )
        elif isinstance(shape, Rect):
            draw.rectangle(
                [p(shape.x, shape.y), p(shape.x + shape.width, shape.y + shape.height)],
                fill=rgba(shape.fill),
            )
        elif isinstance(shape, Circle):
            draw.ellipse(
                [p(shape.x - shape.r, shape.y - shape.r), p(shape.x + shape.r, shape.y + shape.r)],
                fill=rgba(shape.fill),
            )
        elif isinstance(shape, Polygon):
            draw.polygon([p(x, y) for x, y in shape.points], fill=rgba(shape.fill, shape.opacity))
        elif isinstance(shape, Polyline):
            draw.line(
                [p(x, y) for x, y in shape.points],
                fill=rgba(shape.stroke),
                width=max(1, round(shape.width * scale)),
                joint="curve",
            )
        elif isinstance(shape, Curve):
            points = []
            for step in range(21):
                t = step / 20
                a, b, c, d = (1 - t) ** 3, 3 * (1 - t) ** 2 * t, 3 * (1 - t) * t**2, t**3
                points.append(
                    p(
                        a * shape.start[0] + b * shape.c1[0] + c * shape.c2[0] + d * shape.end[0],
                        a * shape.start[1] + b * shape.c1[1] + c * shape.c2[1] + d * shape.end[1],
                    )
                )
            draw.line(
                points,
                fill=rgba(shape.stroke, shape.opacity),
                width=max(1, round(shape.width * scale)),
            )
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    return buffer.getvalue()
