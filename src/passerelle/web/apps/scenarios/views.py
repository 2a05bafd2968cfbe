"""The analysts' scenario pages (issue 9): the shipped scenarios, and one scenario against the
baseline in charts, tables and CSV. Aggregates of a model with synthetic newcomers only."""

from __future__ import annotations

import csv
import io
import math
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.functional import Promise
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from passerelle.core.simulation.charts import scenario_chart
from passerelle.core.simulation.config import Scenario, load_assumptions
from passerelle.web.apps.accounts.decorators import aggregates_view
from passerelle.web.apps.scenarios.services import (
    COLUMNS,
    DECIMALS,
    INDICATORS,
    Comparison,
    UnknownScenarioError,
    comparison,
    is_cached,
    scenario_by_name,
    shipped_scenarios,
    sizes_from_settings,
)
from passerelle.web.common.labels import decimal_text

LABELS: dict[str, tuple[Promise, Promise, Promise]] = {
    # indicator: (title, unit of the levels, unit of the difference)
    "employment_rate": (
        _("Employment rate"),
        _("percent of the asylum seekers and protected persons present"),
        _("percentage points"),
    ),
    "people_waiting": (
        _("People on a waiting list"),
        _("people waiting at the end of the month"),
        _("people"),
    ),
    "months_to_first_job": (
        _("Time to first job"),
        _("months from the application, for the first jobs of the month"),
        _("months"),
    ),
    "places_used": (
        _("Programme places used"),
        _("people in a programme"),
        _("people"),
    ),
}
TARGET_LABELS: dict[str, Promise] = {
    "cohort_2010@23": _("2010 cohort in work, December 2011"),
    "cohort_2010@59": _("2010 cohort in work, December 2014"),
    "actiris_2015_2016@88": _("Actiris: protected persons in Brussels in work by May 2017"),
    "duo_within_a_year": _("Duo for a Job mentees in work within a year"),
}


def _texts(scenario: Scenario) -> dict[str, dict[str, str]]:
    """Title and description by language, for the `localised` tag (English the reference)."""
    titles = {"en": scenario.title}
    descriptions = {"en": scenario.description}
    for language, text in scenario.translations.items():
        titles[language] = text.title
        descriptions[language] = text.description
    return {"titles": titles, "descriptions": descriptions}


def _scenario(name: str) -> Scenario:
    try:
        return scenario_by_name(name)
    except UnknownScenarioError:
        raise Http404(name) from None


def _finite(value: float) -> float | None:
    return None if math.isnan(value) else value


def _number(value: float | None, decimals: int) -> str:
    if value is None:
        return "–"
    return _tick(value, decimals)


def _tick(value: float, decimals: int) -> str:
    return decimal_text(value, decimals, grouping=True)


@aggregates_view
def scenario_list(request: HttpRequest) -> HttpResponse:
    sizes = sizes_from_settings()
    scenarios = [
        {"name": s.name, **_texts(s), "cached": is_cached(s, sizes)} for s in shipped_scenarios()
    ]
    context = {"scenarios": scenarios, "sizes": sizes, "persons": _number(sizes.persons, 0)}
    return render(request, "scenarios/list.html", context)


def _section(result: Comparison, indicator: str) -> dict[str, Any]:
    title, unit, difference_unit = LABELS[indicator]
    series = result.series[indicator]
    decimals = DECIMALS[indicator]
    levels, difference = (
        mark_safe(  # noqa: S308 (written by core.charts, every label escaped)
            scenario_chart(
                result.months,
                series,
                difference=is_difference,
                identifier=identifier,
                title=chart_title,
                description=str(description),
                number=_tick,
            ).svg()
        )
        for is_difference, identifier, chart_title, description in (
            (
                False,
                f"chart-{indicator}",
                f"{title} ({unit})",
                _("Scenario and baseline per month: mean over the replications and 5-95 % band."),
            ),
            (
                True,
                f"chart-{indicator}-difference",
                f"{title}: {_('scenario minus baseline')} ({difference_unit})",
                _(
                    "Difference to the baseline per month, replication by replication with the "
                    "same seeds: mean and 5-95 % band."
                ),
            ),
        )
    )
    rows = [
        (month, [_number(value, decimals) for value in values])
        for month, values in result.rows(indicator)
    ]
    last_month, last_values = result.rows(indicator)[-1]
    last = dict(zip(COLUMNS, last_values, strict=True))
    return {
        "key": indicator,
        "title": title,
        "unit": unit,
        "difference_unit": difference_unit,
        "levels": levels,
        "difference": difference,
        "rows": rows,
        "last": {name: _number(value, decimals) for name, value in last.items()},
        "last_month": last_month,
    }


@aggregates_view
def scenario_compare(request: HttpRequest, name: str) -> HttpResponse:
    scenario = _scenario(name)
    result = comparison(scenario)
    calibration = [
        {
            "label": TARGET_LABELS.get(row.target, row.target),
            "observed": _number(row.observed, 1),
            "simulated": _number(_finite(row.simulated), 1),
            "error": _number(_finite(row.error_points), 1),
        }
        for row in result.calibration
    ]
    rmse = result.calibration_rmse
    context = {
        "scenario": {"name": scenario.name, **_texts(scenario)},
        "sections": [_section(result, indicator) for indicator in INDICATORS],
        "sizes": result.sizes,
        "persons": _number(result.sizes.persons, 0),
        "seconds": _number(result.seconds, 1),
        "calibration": calibration,
        "rmse": None if math.isnan(rmse) else _number(rmse, 1),
        "first_month": result.months[0].strftime("%Y-%m"),
        "last_month": result.months[-1].strftime("%Y-%m"),
        "assumptions": _assumption_rows(),
    }
    return render(request, "scenarios/compare.html", context)


def _assumption_rows() -> list[dict[str, Any]]:
    """Each figure of the model with where it comes from; `assumption` marks the ones no
    source gives (their reason is in English, as in assumptions.yaml)."""
    assumptions = load_assumptions()
    rows = []
    for path in assumptions.figure_paths():
        provenance = assumptions.provenance_of(path)
        if provenance is None:
            continue
        rows.append(
            {
                "path": path,
                "value": assumptions.figure_value(path),
                "assumption": provenance.is_assumption,
                "source": provenance.source,
                "reason": provenance.reason,
            }
        )
    return rows


@aggregates_view
def scenario_csv(request: HttpRequest, name: str, indicator: str) -> HttpResponse:
    scenario = _scenario(name)
    if indicator not in INDICATORS:
        raise Http404(indicator)
    result = comparison(scenario)
    decimals = DECIMALS[indicator]
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["month", *COLUMNS])
    for month, values in result.rows(indicator):
        writer.writerow([month, *["" if v is None else f"{v:.{decimals}f}" for v in values]])
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{scenario.name}-{indicator}.csv"'
    return response
