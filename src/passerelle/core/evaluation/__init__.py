"""Programme evaluation: four estimates of a programme's effect side by side, with bootstrap
intervals and balance diagnostics, and a synthetic cohort with known truth to test them."""

from passerelle.core.evaluation.estimators import (
    Estimate,
    Evaluation,
    EvaluationInputError,
    evaluate_programme,
)
from passerelle.core.evaluation.loveplot import love_plot, love_plot_svg

__all__ = [
    "Estimate",
    "Evaluation",
    "EvaluationInputError",
    "evaluate_programme",
    "love_plot",
    "love_plot_svg",
]
