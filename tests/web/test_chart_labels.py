"""Every chart keeps its words inside the picture in every language (issue 18: "charts clip
long labels on the left": unique beneficiaries' UpSet chart, the evaluation, the dashboard).

Each chart the pages draw is rendered with the longest real labels the pages would give it:
the knowledge base's programme and organisation names and the pages' own label tables, in
French, Dutch and Arabic (mirrored). The SVG is parsed and every text is placed from its
anchor and direction with the chart module's per-script width estimate: none may start left
of 0 or end beyond the width."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable

import polars as pl
import pytest
from django.utils import translation

from passerelle.core import charts
from passerelle.core.charts.scene import text_width
from passerelle.core.evaluation.loveplot import love_plot
from passerelle.core.i18n import language_of
from passerelle.knowledge.loader import load_knowledge
from passerelle.web.apps.monitoring.views import COVARIATE_LABELS, FIGURE_LABELS, METHOD_LABELS
from passerelle.web.common.labels import display_name

SVG = "{http://www.w3.org/2000/svg}"
LANGUAGES = ("fr", "nl", "ar")


def _longest(names: list[str], count: int) -> list[str]:
    return sorted(set(names), key=len, reverse=True)[:count]


def _programme_names(count: int) -> list[str]:
    return _longest([display_name(p) for p in load_knowledge().programmes], count)


def _organisation_names(count: int) -> list[str]:
    return _longest([display_name(o) for o in load_knowledge().organisations], count)


def _upset(rtl: bool) -> charts.Scene:
    names = _programme_names(4)
    return charts.upset_chart(
        [(name, 120 + i) for i, name in enumerate(names)],
        [((0,), 40), ((0, 1), None), ((1, 2, 3), 12), ((0, 3), 9)],
        title=translation.gettext("People by combination of programmes: {measure}, {period}"),
        count_label=translation.gettext("People"),
        withheld_label="—",
        rtl=rtl,
    )


def _bars(rtl: bool) -> charts.Scene:
    return charts.bar_chart(
        [(name, [0.31, None]) for name in _programme_names(3)],
        [translation.gettext("after 6 months"), translation.gettext("after 12 months")],
        title=translation.gettext("Share employed after the start of a programme"),
        value_label=translation.gettext("Share employed"),
        rtl=rtl,
    )


def _flows(rtl: bool) -> charts.Scene:
    senders, receivers = _organisation_names(3), _organisation_names(6)[3:]
    return charts.flow_chart(
        [(a, b, 10 + i) for i, (a, b) in enumerate(zip(senders, receivers, strict=True))],
        title=translation.gettext("Referrals between organisations"),
        left_title=translation.gettext("Sent by"),
        right_title=translation.gettext("Received by"),
        rtl=rtl,
    )


def _cohorts(rtl: bool) -> charts.Scene:
    labels = _longest([str(label) for label in FIGURE_LABELS.values()], 3)
    return charts.line_chart(
        [
            charts.Series(label, ((0.0, 0.1 * i), (5.0, 0.4 + 0.1 * i)))
            for i, label in enumerate(labels)
        ],
        title=translation.gettext("Employment rate by registration cohort"),
        x_label=translation.gettext("Years since registration"),
        y_label=translation.gettext("Employed (ages 18-64)"),
        rtl=rtl,
    )


def _estimates(rtl: bool) -> charts.Scene:
    return charts.dot_chart(
        [(str(label), [charts.Dot(0, 15.4, 13.4, 18.2)]) for label in METHOD_LABELS.values()],
        [translation.gettext("estimate and its 95 % CI")],
        title=translation.gettext("Mentoring's effect on a job within 12 months"),
        x_label=translation.gettext("Difference in the share with a job, in percentage points"),
        references=[
            (9.8, translation.gettext("true average effect")),
            (10.4, translation.gettext("true effect on participants")),
        ],
        rtl=rtl,
    )


def _love(rtl: bool) -> charts.Scene:
    covariates = list(COVARIATE_LABELS)
    balance = pl.DataFrame(
        {
            "covariate": covariates,
            "smd_before": [0.4] * len(covariates),
            "smd_weighted": [0.05] * len(covariates),
            "smd_matched": [0.08] * len(covariates),
        }
    )
    return love_plot(
        balance,
        title=translation.gettext("Covariate balance (love plot)"),
        covariate_labels={key: str(label) for key, label in COVARIATE_LABELS.items()},
        rtl=rtl,
    )


CHARTS: dict[str, Callable[[bool], charts.Scene]] = {
    "upset": _upset,
    "bars": _bars,
    "flows": _flows,
    "cohorts": _cohorts,
    "estimates": _estimates,
    "love": _love,
}


def _extent(element: ET.Element) -> tuple[float, float]:
    x = float(element.attrib["x"])
    size = float(element.attrib.get("font-size", 12))
    width = text_width(element.text or "", size)
    anchor, rtl = element.attrib["text-anchor"], element.attrib.get("direction") == "rtl"
    if anchor == "middle":
        return x - width / 2, x + width / 2
    grows_right = (anchor == "start") != rtl
    return (x, x + width) if grows_right else (x - width, x)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("name", list(CHARTS))
def test_every_text_of_a_chart_fits_its_width(name: str, language: str) -> None:
    with translation.override(language), language_of(language):
        scene = CHARTS[name](language == "ar")
    root = ET.fromstring(scene.svg())
    width = float(root.attrib["viewBox"].split()[2])
    texts = [t for t in root.iter(SVG + "text") if t.text and "transform" not in t.attrib]
    assert texts
    outside = [
        (t.text, round(left), round(right))
        for t in texts
        for left, right in [_extent(t)]
        if left < -0.5 or right > width + 0.5
    ]
    assert not outside, (name, language, width, outside)
