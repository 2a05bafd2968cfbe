"""The love plot: the absolute standardised mean difference of every covariate before
adjustment, after weighting and after matching, with the usual 0.1 threshold (Austin 2009).
Drawn by `core.charts` (a dot chart) for the evaluation page and `passerelle evaluate
--love-plot` alike; its words are message ids defined here, translated in the reader's
language (`core.i18n`)."""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

from passerelle.core.charts import Dot, Scene, dot_chart
from passerelle.core.i18n import _, gettext_noop

SERIES = (
    ("smd_before", gettext_noop("before")),
    ("smd_weighted", gettext_noop("weighted (IPW)")),
    ("smd_matched", gettext_noop("matched (PSM)")),
)
THRESHOLD = 0.1
X_LABEL = gettext_noop("Absolute standardised mean difference")
TITLE = gettext_noop("Covariate balance (love plot)")


def love_plot(
    balance: pl.DataFrame,
    *,
    title: str | None = None,
    covariate_labels: Mapping[str, str] | None = None,
    rtl: bool = False,
) -> Scene:
    """The love plot of a balance frame (see `estimators.Evaluation`): one row per covariate
    (named by `covariate_labels` where given), a marker per series that has a value."""
    labels = covariate_labels or {}
    rows = [
        (
            labels.get(row["covariate"], str(row["covariate"])),
            [
                Dot(index, abs(float(row[column])))
                for index, (column, _label) in enumerate(SERIES)
                if row.get(column) is not None and row[column] == row[column]
            ],
        )
        for row in balance.iter_rows(named=True)
    ]
    return dot_chart(
        rows,
        [_(label) for _column, label in SERIES],
        title=_(TITLE) if title is None else title,
        x_label=_(X_LABEL),
        references=[(THRESHOLD, f"{THRESHOLD:g}")],
        rtl=rtl,
        signed=False,
    )


def love_plot_svg(balance: pl.DataFrame, title: str | None = None) -> str:
    """The SVG text of the love plot of a balance frame."""
    return love_plot(balance, title=title).svg()
