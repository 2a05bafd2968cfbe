"""The chart module, read back as a reader's browser would: the SVG parsed with xml.etree
(elements, their text, their geometry), never searched as a string. The oracles are the
input values and plain geometry: bar lengths proportional to the values, every label
inside the picture, mirrored positions in a right-to-left chart."""

from __future__ import annotations

import datetime as dt
import io
import xml.etree.ElementTree as ET

import polars as pl
import pytest
from PIL import Image

from passerelle.core.charts import (
    Band,
    Dot,
    Series,
    band_chart,
    bar_chart,
    dot_chart,
    flow_chart,
    line_chart,
    stack,
    upset_chart,
)
from passerelle.core.charts.render import drawing, png
from passerelle.core.evaluation.loveplot import love_plot

SVG = "{http://www.w3.org/2000/svg}"
# A lower bound of the advance width of a sans-serif letter, in em (Helvetica's "i" is 0.22
# and its average lower-case letter about 0.5): a label at least this wide must fit.
NARROWEST_AVERAGE_EM = 0.45
LONG_FRENCH = "Personnes réfugiées et protégées inscrites chez Actiris en 2015-2016, en emploi"
LONG_ARABIC = "اللاجئون والأشخاص المحميون المسجلون لدى أكتيريس في 2015-2016 والعاملون"


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def elements(root: ET.Element, tag: str) -> list[ET.Element]:
    return list(root.iter(SVG + tag))


def number(element: ET.Element, name: str) -> float:
    return float(element.attrib[name])


def text_named(root: ET.Element, content: str) -> ET.Element:
    (found,) = [t for t in elements(root, "text") if t.text == content]
    return found


def extent(element: ET.Element, width_em: float) -> tuple[float, float]:
    """The horizontal span a text of at least `width_em` em covers, from its anchor and
    direction (SVG: `start` is the left edge in left-to-right text, the right edge in
    right-to-left text)."""
    x = number(element, "x")
    size = float(element.attrib.get("font-size", 12))
    width = width_em * size
    anchor, rtl = element.attrib["text-anchor"], element.attrib["direction"] == "rtl"
    if anchor == "middle":
        return x - width / 2, x + width / 2
    grows_right = (anchor == "start") != rtl
    return (x, x + width) if grows_right else (x - width, x)


def assert_accessible(root: ET.Element, title: str) -> None:
    assert root.attrib["role"] == "img"
    assert root.find(SVG + "title") is not None
    assert root.find(SVG + "title").text == title  # type: ignore[union-attr]
    assert root.attrib["aria-label"] == title
    assert not elements(root, "script")
    assert not any(name.startswith("on") for e in root.iter() for name in e.attrib)


def bars(root: ET.Element, below: float) -> list[ET.Element]:
    """The rectangles above `below` (the legend's swatches sit under it)."""
    return [r for r in elements(root, "rect") if number(r, "y") < below]


def test_bar_lengths_are_proportional_to_the_values_and_a_withheld_value_has_no_bar() -> None:
    scene = bar_chart(
        [("A", [0.1, 0.4]), ("B", [None, 0.3])],
        ["6 months", "12 months"],
        title="Employed",
        value_label="share",
    )
    root = parse(scene.svg())
    assert_accessible(root, "Employed")
    drawn = bars(root, below=scene.height - 30)
    widths = sorted(number(r, "width") for r in drawn)
    assert len(widths) == 3  # B's first value is withheld
    assert widths[1] / widths[0] == pytest.approx(3.0, rel=0.01)  # 0.3 / 0.1
    assert widths[2] / widths[0] == pytest.approx(4.0, rel=0.01)  # 0.4 / 0.1
    # every bar starts on the axis
    assert len({number(r, "x") for r in drawn}) == 1


def test_a_long_label_is_not_clipped_in_either_direction() -> None:
    for label, rtl in ((LONG_FRENCH, False), (LONG_ARABIC, True), (LONG_FRENCH, True)):
        scene = bar_chart(
            [(label, [0.25]), ("B", [0.5])], ["share"], title="T", value_label="v", rtl=rtl
        )
        root = parse(scene.svg())
        element = text_named(root, label)
        left, right = extent(element, NARROWEST_AVERAGE_EM * len(label))
        assert left >= 0, (label, rtl, left)
        assert right <= scene.width, (label, rtl, right)
        # and the label does not run into the bars
        drawn = bars(root, below=scene.height - 30)
        if rtl:
            assert left >= max(number(r, "x") + number(r, "width") for r in drawn)
        else:
            assert right <= min(number(r, "x") for r in drawn)


def test_right_to_left_labels_are_anchored_on_their_right_edge() -> None:
    ltr = parse(bar_chart([(LONG_ARABIC, [0.5])], ["s"], title="T", value_label="v").svg())
    scene = bar_chart([(LONG_ARABIC, [0.5])], ["s"], title="T", value_label="v", rtl=True)
    rtl = parse(scene.svg())
    assert rtl.attrib["direction"] == "rtl"
    label = text_named(rtl, LONG_ARABIC)
    # Arabic words: right-to-left text whose end (its left edge) faces the bars
    assert (label.attrib["direction"], label.attrib["text-anchor"]) == ("rtl", "end")
    # numbers stay left to right
    tick = text_named(rtl, "50 %")
    assert tick.attrib["direction"] == "ltr"
    # the bar is mirrored: it ends where the left-to-right bar starts, seen from the other side
    (bar_ltr,) = bars(ltr, below=scene.height - 30)
    (bar_rtl,) = bars(rtl, below=scene.height - 30)
    assert number(bar_rtl, "width") == pytest.approx(number(bar_ltr, "width"))
    assert number(bar_rtl, "x") + number(bar_rtl, "width") == pytest.approx(
        scene.width - number(bar_ltr, "x"), abs=0.11
    )


def test_upset_chart_columns_dots_and_withheld_counts() -> None:
    sets = [("a-jobs", 30), ("b-jobs", None), ("c", 12)]
    combinations = [((0,), 18), ((0, 1), None), ((1, 2), 6)]
    scene = upset_chart(
        sets, combinations, title="Overlaps", count_label="People", withheld_label="—"
    )
    root = parse(scene.svg())
    assert_accessible(root, "Overlaps")
    assert len(elements(root, "circle")) == 3 * 3
    filled = [c for c in elements(root, "circle") if c.attrib["fill"] == "#333"]
    assert len(filled) == 1 + 2 + 2  # the sets of each combination
    columns = elements(root, "rect")
    assert len(columns) == 2  # the withheld combination has no bar
    heights = sorted(number(r, "height") for r in columns)
    assert heights[1] / heights[0] == pytest.approx(18 / 6, rel=0.01)
    names = {t.text for t in elements(root, "text")}
    assert {"a-jobs (30)", "b-jobs (—)", "c (12)", "—", "18", "6"} <= names


def test_love_plot_places_each_marker_at_its_absolute_difference() -> None:
    balance = pl.DataFrame(
        {
            "covariate": ["age", "female"],
            "smd_before": [0.4, -0.2],
            "smd_weighted": [0.05, 0.02],
            "smd_matched": [0.1, None],
        }
    )
    scene = love_plot(balance, title="Balance", covariate_labels={"female": "woman"})
    root = parse(scene.svg())
    assert_accessible(root, "Balance")
    names = {t.text for t in elements(root, "text")}
    assert {"age", "woman", "before", "weighted (IPW)", "matched (PSM)", "0.1"} <= names
    circles = elements(root, "circle")  # "before": one per covariate
    assert len(circles) == 2
    # zero: the solid vertical line at the top of the plot; 0.1: the dashed reference
    lines = elements(root, "line")
    (reference,) = [line for line in lines if "stroke-dasharray" in line.attrib]
    zero = next(line for line in lines if line.attrib["x1"] == line.attrib["x2"])
    x0, x_ref = number(zero, "x1"), number(reference, "x1")
    per_unit = (x_ref - x0) / 0.1
    xs = sorted(number(c, "cx") for c in circles)
    assert xs[0] == pytest.approx(x0 + 0.2 * per_unit, abs=0.2)  # |-0.2|
    assert xs[1] == pytest.approx(x0 + 0.4 * per_unit, abs=0.2)
    squares = [r for r in elements(root, "rect") if number(r, "width") == 8]
    diamonds = elements(root, "polygon")
    assert (len(squares), len(diamonds)) == (2, 1)  # the missing matched value is left out


def test_dot_chart_intervals_span_their_bounds() -> None:
    scene = dot_chart(
        [("naive", [Dot(0, 0.2, 0.1, 0.3)]), ("aipw", [Dot(0, 0.1, 0.0, 0.2)])],
        ["estimate"],
        title="Effect",
        x_label="difference",
    )
    root = parse(scene.svg())
    intervals = [line for line in elements(root, "line") if line.attrib.get("stroke-width") == "2"]
    assert len(intervals) == 2
    lengths = [number(i, "x2") - number(i, "x1") for i in intervals]
    assert lengths[0] == pytest.approx(lengths[1], abs=0.11)  # both 0.2 wide
    naive, aipw = (number(c, "cx") for c in elements(root, "circle"))
    assert naive - aipw == pytest.approx(lengths[0] / 2, abs=0.11)  # 0.1 apart


def test_line_chart_one_polyline_per_series_and_heights_follow_the_values() -> None:
    scene = line_chart(
        [Series("2010", ((1, 0.1), (2, 0.3))), Series("2012", ((1, 0.2), (2, 0.2)))],
        title="Rate",
        x_label="years",
        y_label="share",
    )
    root = parse(scene.svg())
    first, second = elements(root, "polyline")
    (a, b) = [tuple(map(float, p.split(","))) for p in first.attrib["points"].split()]
    (c, d) = [tuple(map(float, p.split(","))) for p in second.attrib["points"].split()]
    # y grows downwards; 0.3 - 0.1 is twice 0.2 - 0.1
    assert a[1] - b[1] == pytest.approx(2 * (a[1] - c[1]), abs=0.2)
    assert c[1] == pytest.approx(d[1])
    assert text_named(root, "share").attrib["transform"].startswith("rotate(-90")


def test_flow_chart_band_width_follows_the_count_and_names_fit() -> None:
    scene = flow_chart(
        [(LONG_FRENCH, "BAPA", 10), ("CPAS", "BAPA", 5)],
        title="Referrals",
        left_title="Sent by",
        right_title="Received by",
    )
    root = parse(scene.svg())
    widths = sorted(number(p, "stroke-width") for p in elements(root, "path"))
    assert widths == pytest.approx([1 + 14 * 5 / 10, 1 + 14], abs=0.05)
    left, _right = extent(text_named(root, LONG_FRENCH), NARROWEST_AVERAGE_EM * len(LONG_FRENCH))
    assert left >= 0


def test_band_chart_is_named_by_its_title_and_description_and_fills_its_container() -> None:
    months = [dt.date(2025, m, 1) for m in range(1, 13)] + [dt.date(2026, 1, 1)]
    mean = [float(i) for i in range(13)]
    band = Band(mean, [v - 1 for v in mean], [v + 1 for v in mean], "#0b5cad", "scenario")
    scene = band_chart(
        [str(m.year) if m.month == 1 else None for m in months],
        [band],
        title="Employment",
        description="Mean and band",
        identifier="chart-x",
    )
    root = parse(scene.svg())
    assert root.attrib["aria-labelledby"] == "chart-x-title chart-x-desc"
    assert root.find(SVG + "title").attrib["id"] == "chart-x-title"  # type: ignore[union-attr]
    assert root.find(SVG + "desc").text == "Mean and band"  # type: ignore[union-attr]
    assert "width" not in root.attrib
    assert "viewBox" in root.attrib
    (polygon,) = elements(root, "polygon")
    assert polygon.attrib["class"] == "band band-scenario"
    (line,) = elements(root, "polyline")
    assert line.attrib["class"] == "mean mean-scenario"
    assert len(polygon.attrib["points"].split()) == 2 * 13
    assert {"2025", "2026"} <= {t.text for t in elements(root, "text")}


def test_stacked_charts_keep_each_chart_below_the_previous_one() -> None:
    first = bar_chart([("A", [0.5])], ["s"], title="first", value_label="v")
    second = bar_chart([("B", [0.5])], ["s"], title="second", value_label="v")
    whole = stack([first, second], title="both")
    root = parse(whole.svg())
    assert number(text_named(root, "second"), "y") > first.height
    assert number(root, "height") == pytest.approx(30 + first.height + second.height, abs=1)


def test_the_print_renderers_draw_the_same_shapes() -> None:
    from reportlab.graphics.shapes import Rect, String

    scene = upset_chart(
        [("a-jobs", 30), ("b-jobs", 11)],
        [((0,), 18), ((0, 1), None)],
        title="Overlaps",
        count_label="People",
        withheld_label="—",
    )
    picture = drawing(scene, width=300)
    shapes = list(picture.getContents()[0].getContents())
    strings = {s.text for s in shapes if isinstance(s, String)}
    assert {"Overlaps", "a-jobs (30)", "b-jobs (11)", "—", "18"} <= strings
    assert sum(isinstance(s, Rect) for s in shapes) == 1  # one bar, as in the SVG
    assert picture.width == pytest.approx(min(300, scene.width))
    image = Image.open(io.BytesIO(png(scene, scale=1)))
    assert image.size == (round(scene.width + 0.49), round(scene.height + 0.49))
    # the bar's colour is in the picture
    assert (0, 114, 178) in {colour for _count, colour in image.getcolors(100_000) or []}


def test_numbers_in_charts_take_the_decimal_mark_of_the_reader_language() -> None:
    from passerelle.core.i18n import decimal, language_of

    # the oracle: French and Dutch write a decimal comma, English and Arabic a point
    # (with Latin digits, docs/i18n.md)
    for language, shown in (("fr", "12,3 %"), ("nl", "12,3 %"), ("en", "12.3 %"), ("ar", "12.3 %")):
        with language_of(language):
            chart = parse(bar_chart([("a", [0.123])], ["s"], title="T", value_label="v").svg())
            assert text_named(chart, shown) is not None
            assert decimal(-0.25, 2, signed=True) == ("-0,25" if language in "fr nl" else "-0.25")


def test_the_print_renderer_turns_every_kind_of_shape_upside_up() -> None:
    """reportlab's y axis points up: each shape kind is drawn at height - y (the oracle is
    the arithmetic on the shapes placed by hand)."""
    from reportlab.graphics.shapes import Circle as RCircle
    from reportlab.graphics.shapes import Line as RLine
    from reportlab.graphics.shapes import Path as RPath
    from reportlab.graphics.shapes import Polygon as RPolygon
    from reportlab.graphics.shapes import PolyLine as RPolyLine
    from reportlab.graphics.shapes import Rect as RRect

    from passerelle.core.charts.scene import Circle, Curve, Line, Polygon, Polyline, Rect, Scene

    scene = Scene(200, 100, "shapes", show_title=False)
    scene.shapes.extend(
        [
            Line(10, 20, 30, 40, "#000000", dash="4 2"),
            Rect(5, 10, 20, 30, "#0072b2"),
            Circle(50, 25, 3, "#0072b2"),
            Polygon(((0, 0), (10, 10), (20, 0)), "#0072b2", opacity=0.5),
            Polyline(((0, 90), (100, 80)), "#000000"),
            Curve((0, 10), (5, 20), (15, 30), (20, 40), "#000000", 2.0, 0.4),
        ]
    )
    line, rect, circle, polygon, polyline, curve = drawing(scene).getContents()[0].getContents()
    assert isinstance(line, RLine)
    assert (line.y1, line.y2) == (80, 60)
    assert list(line.strokeDashArray) == [4, 2]
    assert isinstance(rect, RRect)
    assert (rect.y, rect.height) == (100 - 10 - 30, 30)
    assert isinstance(circle, RCircle)
    assert (circle.cy, circle.r) == (75, 3)
    assert isinstance(polygon, RPolygon)
    assert polygon.points == [0, 100, 10, 90, 20, 100]
    assert polygon.fillOpacity == 0.5
    assert isinstance(polyline, RPolyLine)
    assert polyline.points == [0, 10, 100, 20]
    assert isinstance(curve, RPath)
    assert curve.points == [0, 90, 5, 80, 15, 70, 20, 60]
    assert curve.strokeOpacity == 0.4
