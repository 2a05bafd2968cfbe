"""One chart module for the pages, the PDF reports and the command line (docs/architecture.md,
"Charts and reports"): every chart is laid out once as a `Scene` of shapes, written out as
SVG (`Scene.svg`: pages and CLI; no JavaScript, `role="img"`, a `<title>`, right-to-left
aware) or drawn for print (`render.drawing`: PDF; `render.png`: CLI pictures)."""

from passerelle.core.charts.plots import (
    Band,
    Dot,
    Series,
    band_chart,
    bar_chart,
    dot_chart,
    flow_chart,
    line_chart,
    nice_ticks,
    share_ticks,
    stack,
    upset_chart,
)
from passerelle.core.charts.scene import PALETTE, Scene, label_column, text_width

__all__ = [
    "PALETTE",
    "Band",
    "Dot",
    "Scene",
    "Series",
    "band_chart",
    "bar_chart",
    "dot_chart",
    "flow_chart",
    "label_column",
    "line_chart",
    "nice_ticks",
    "share_ticks",
    "stack",
    "text_width",
    "upset_chart",
]
