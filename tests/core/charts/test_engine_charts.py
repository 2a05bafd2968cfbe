"""The engines' charts drawn through `core.charts`: the employers' gap chart and the
scenario charts of `passerelle simulate`, read back with xml.etree and Pillow."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from pathlib import Path

import polars as pl
import pytest
from PIL import Image

from passerelle.core.matching.gaps import BLOCKERS, gap_chart
from passerelle.core.matching.model import Kind
from passerelle.core.simulation.charts import PANELS, write_charts

SVG = "{http://www.w3.org/2000/svg}"


def _row(months: int, candidates: int | None, qualifying: int | None, **blocked: int) -> dict:
    return {
        "months": months,
        "candidates": candidates,
        "qualifying": qualifying,
        **{name: blocked.get(name, 0) for name in BLOCKERS},
    }


def test_gap_chart_bars_are_shares_of_the_candidates_and_idle_obstacles_are_left_out() -> None:
    rows = [_row(0, 10, 4, language=6, right_to_work=2), _row(12, 10, 8, language=2)]
    scene = gap_chart(rows, Kind.vacancy, vacancy="Electrician")
    assert scene is not None
    root = ET.fromstring(scene.svg())
    texts = [t.text for t in root.iter(SVG + "text")]
    assert "Electrician: who could start, and what holds the others back" in texts
    # legend: qualify, right to work, language (recognition, diploma, licence hold nobody)
    assert {"qualify", "right to work", "language"} <= set(texts)
    assert "driving licence" not in texts
    legend_y = scene.height - 30
    bars = [r for r in root.iter(SVG + "rect") if float(r.attrib["y"]) < legend_y]
    widths = [float(r.attrib["width"]) for r in bars]
    # now: 4, 2, 6 of 10; in 12 months: 8, 0 (drawn with no length), 2 of 10
    assert widths[1] / widths[0] == pytest.approx(2 / 4, rel=0.02)
    assert widths[2] / widths[0] == pytest.approx(6 / 4, rel=0.02)
    assert widths[3] / widths[0] == pytest.approx(8 / 4, rel=0.02)
    assert widths[5] / widths[0] == pytest.approx(2 / 4, rel=0.02)


def test_gap_chart_has_nothing_to_draw_when_every_row_is_withheld() -> None:
    withheld = {**_row(0, None, None), "suppressed": True}
    assert gap_chart([withheld], Kind.vacancy, vacancy="V") is None
    assert gap_chart([_row(0, 0, 0)], Kind.vacancy, vacancy="V") is None


def _monthly(with_baseline: bool) -> pl.DataFrame:
    months = [dt.date(2025, m, 1) for m in range(1, 13)] + [dt.date(2026, 1, 1)]
    rows = []
    for name, *_rest in PANELS:
        for index, month in enumerate(months):
            row = {
                "month": month,
                "indicator": name,
                "mean": 0.1 + index / 100,
                "low": 0.05 + index / 100,
                "high": 0.15 + index / 100,
            }
            if with_baseline:
                row |= {
                    "baseline_mean": 0.1,
                    "diff_mean": index / 100,
                    "diff_low": index / 100 - 0.02,
                    "diff_high": index / 100 + 0.02,
                }
            rows.append(row)
    return pl.DataFrame(rows)


def test_simulate_charts_are_the_four_panels_as_svg_and_png(tmp_path: Path) -> None:
    written = write_charts(_monthly(with_baseline=True), "Third BAPA", tmp_path)
    assert {path.name for path in written} == {
        "indicators.svg",
        "indicators.png",
        "difference.svg",
        "difference.png",
    }
    levels = ET.parse(tmp_path / "indicators.svg").getroot()
    assert levels.attrib["role"] == "img"
    titles = [t.text for t in levels.iter(SVG + "text")]
    assert "Employment rate (%)" in titles
    assert "Programme places used (people)" in titles
    classes = [p.attrib.get("class") for p in levels.iter(SVG + "polygon")]
    assert classes.count("band band-scenario") == 4  # one band per panel
    means = [p.attrib.get("class") for p in levels.iter(SVG + "polyline")]
    assert means.count("mean mean-scenario") == 4
    assert means.count("mean mean-baseline") == 4  # the baseline, dashed, without its band
    difference = ET.parse(tmp_path / "difference.svg").getroot()
    heading, *texts = [t.text for t in difference.iter(SVG + "text")]
    assert heading == "Third BAPA minus baseline"
    assert "Employment rate: difference to baseline" in texts
    with Image.open(tmp_path / "indicators.png") as picture:
        assert picture.format == "PNG"
        assert picture.height > picture.width  # four panels one under the other


def test_without_a_baseline_only_the_levels_are_drawn(tmp_path: Path) -> None:
    written = write_charts(_monthly(with_baseline=False), "Baseline", tmp_path)
    assert sorted(path.name for path in written) == ["indicators.png", "indicators.svg"]
