"""The analysts' pages: dashboard, programme evaluation and funder report (aggregates only,
never a person). Every view goes through `aggregates_view`; every table is small-cell
suppressed and downloadable as CSV; charts are inline SVG drawn on the server."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.utils.formats import number_format
from django.utils.functional import Promise
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from passerelle.core import charts
from passerelle.core.evaluation.loveplot import love_plot
from passerelle.core.evaluation.synthetic import PROGRAMME_ORGANISATION
from passerelle.core.i18n import language_of
from passerelle.core.indicators import parse_period
from passerelle.core.indicators.report import report_csv as report_csv_text
from passerelle.core.indicators.report import report_rows, translated_report
from passerelle.core.indicators.report_pdf import PDF_LANGUAGES, report_pdf
from passerelle.core.indicators.report_xlsx import report_xlsx
from passerelle.knowledge.model import LANGUAGES_OF_THE_PLATFORM
from passerelle.web.apps.accounts.decorators import aggregates_view
from passerelle.web.apps.monitoring import data, evaluations, selectors
from passerelle.web.apps.monitoring.selectors import Scope
from passerelle.web.common.csv import frame_csv
from passerelle.web.common.labels import LANGUAGE_LABELS, decimal_text, display_name

Columns = Sequence[tuple[str, Promise]]

TABLES: dict[str, tuple[Promise, Columns]] = {
    "reference": (
        gettext_lazy("Published figures and these data"),
        (
            ("figure", gettext_lazy("Figure")),
            ("published_rate", gettext_lazy("Published")),
            ("count", gettext_lazy("Employed")),
            ("denominator", gettext_lazy("Persons")),
            ("rate", gettext_lazy("These data")),
        ),
    ),
    "cohorts": (
        gettext_lazy("Employment rate by registration cohort (refugees and protected persons)"),
        (
            ("cohort", gettext_lazy("Cohort (year of registration)")),
            ("year", gettext_lazy("On 31 December")),
            ("years_since", gettext_lazy("Years since registration")),
            ("count", gettext_lazy("Employed")),
            ("denominator", gettext_lazy("Persons aged 18-64")),
            ("rate", gettext_lazy("Employment rate")),
        ),
    ),
    "first_job": (
        gettext_lazy("Time to a first job after the right to work (Kaplan-Meier)"),
        (
            ("legal_status", gettext_lazy("Status")),
            ("months", gettext_lazy("Months since the right to work")),
            ("events", gettext_lazy("First jobs so far")),
            ("persons", gettext_lazy("Persons")),
            ("at_risk", gettext_lazy("Still followed without a job")),
            ("share_employed", gettext_lazy("Share with a first job (Kaplan-Meier)")),
        ),
    ),
    "outcomes": (
        gettext_lazy("Programme outcomes 6 and 12 months after the start"),
        (
            ("programme", gettext_lazy("Programme")),
            ("horizon_months", gettext_lazy("Months after the start")),
            ("participants", gettext_lazy("Participants followed")),
            ("employed", gettext_lazy("Employed on that day")),
            ("employed_rate", gettext_lazy("Share employed")),
            ("found_job", gettext_lazy("Found a job by then")),
            ("found_job_rate", gettext_lazy("Share who found a job")),
        ),
    ),
    "flows": (
        gettext_lazy("Referrals between organisations in the last year of the data"),
        (
            ("from_organisation", gettext_lazy("From")),
            ("to_organisation", gettext_lazy("To")),
            ("count", gettext_lazy("Referrals")),
            ("denominator", gettext_lazy("All referrals sent by the sender")),
            ("share", gettext_lazy("Share of the sender's referrals")),
            ("accepted", gettext_lazy("Accepted")),
        ),
    ),
}
PERCENT_COLUMNS = frozenset(
    {"rate", "share_employed", "employed_rate", "found_job_rate", "share", "published_rate"}
)
FIGURE_LABELS: dict[str, Promise] = {
    "cohort_2010_in_2011": gettext_lazy(
        "Refugees and protected persons registered in 2010, employed at the end of 2011"
        " (Socio-economic Monitoring 2017)"
    ),
    "cohort_2010_in_2014": gettext_lazy(
        "The same cohort, employed at the end of 2014 (Socio-economic Monitoring 2017)"
    ),
    "actiris_2015_2016": gettext_lazy(
        "Refugees and protected persons registered with Actiris in 2015-2016, employed"
        " (Actiris, 2017: 1 636 of 5 265)"
    ),
}
LEGAL_STATUS_GROUP_LABELS: dict[str, Promise] = {
    "refugee": gettext_lazy("refugees"),
    "subsidiary_protection": gettext_lazy("subsidiary protection"),
    "asylum_seeker": gettext_lazy("asylum seekers"),
    "family_reunification": gettext_lazy("family reunification"),
}
COVARIATE_LABELS: dict[str, Promise] = {
    "female": gettext_lazy("woman"),
    "age": gettext_lazy("age"),
    "french_or_dutch": gettext_lazy("French or Dutch level"),
    "english": gettext_lazy("English level"),
    "education": gettext_lazy("education (ISCED)"),
    "protected": gettext_lazy("refugee or protected"),
    "actiris": gettext_lazy("registered with Actiris"),
    "motivation_score": gettext_lazy("motivation"),
}
METHOD_LABELS: dict[str, Promise] = {
    "naive": gettext_lazy("naive difference"),
    "psm": gettext_lazy("propensity-score matching"),
    "ipw": gettext_lazy("inverse-probability weighting"),
    "aipw": gettext_lazy("doubly robust (AIPW)"),
}
ESTIMAND_LABELS: dict[str, Promise] = {
    "ATT": gettext_lazy("effect on participants"),
    "ATE": gettext_lazy("average effect on everyone"),
    "difference": gettext_lazy("raw difference, not an effect"),
}
POINT_COLUMNS = frozenset({"effect", "ci_low", "ci_high", "true_effect"})
"""Differences of two shares: shown in percentage points ("+15,3 percentage points")."""
MOTIVATIONS: dict[str, Promise] = {
    "unobserved": gettext_lazy("motivation not measured (the realistic case)"),
    "proxy": gettext_lazy("a noisy measure of motivation"),
    "observed": gettext_lazy("motivation measured exactly"),
}
REPORT_LANGUAGES: dict[str, Promise] = {
    code: LANGUAGE_LABELS[code] for code in LANGUAGES_OF_THE_PLATFORM
}


NAMED_COLUMNS = frozenset({"programme", "from_organisation", "to_organisation"})


def _label(column: str, value: Any) -> str:
    if column == "legal_status" and value in LEGAL_STATUS_GROUP_LABELS:
        return str(LEGAL_STATUS_GROUP_LABELS[value])
    if column == "estimand" and value in ESTIMAND_LABELS:
        return str(ESTIMAND_LABELS[value])
    if column == "figure" and value in FIGURE_LABELS:
        return str(FIGURE_LABELS[value])
    if column in NAMED_COLUMNS and isinstance(value, str):
        return display_name(value)
    return str(value)


def _cell(column: str, value: Any) -> str:
    if value is None:
        return ""
    if column in PERCENT_COLUMNS:
        return f"{decimal_text(value * 100, 1)} %"
    if column in POINT_COLUMNS:
        return percentage_points(value)
    if isinstance(value, float):
        return decimal_text(value, 3)
    return _label(column, value)


def percentage_points(share_difference: float) -> str:
    """A difference of two shares (0.153) as the reader says it: "+15,3 percentage points"."""
    # Rounded here: Django's number_format cuts a float's extra decimals off (15.39 -> 15,3).
    points = round(share_difference * 100, 1)
    sign = "+" if points > 0 else ""
    return ngettext(
        "%(points)s percentage point", "%(points)s percentage points", int(abs(points))
    ) % {"points": sign + str(number_format(points, 1))}


def _table(
    key: str, frame: pl.DataFrame, title: Promise, columns: Columns, url: str
) -> dict[str, Any]:
    """A table for the template: translated headings, formatted cells, withheld rows."""
    rows = []
    for row in frame.iter_rows(named=True):
        rows.append(
            {
                "cells": [_cell(name, row[name]) for name, _label in columns],
                "suppressed": bool(row.get("suppressed")),
            }
        )
    return {
        "key": key,
        "title": str(title),
        "headings": [str(label) for _name, label in columns],
        "rows": rows,
        "csv": url,
    }


def _svg(chart: charts.Scene) -> str:
    return mark_safe(chart.svg())  # noqa: S308 (written by core.charts, every label escaped)


def _cohort_series(cohorts: pl.DataFrame) -> list[charts.Series]:
    """One line per registration cohort: its employment rate by years since registration."""
    return [
        charts.Series(
            str(cohort),
            tuple((float(r["years_since"]), float(r["rate"])) for r in part.iter_rows(named=True)),
        )
        for (cohort,), part in sorted(cohorts.partition_by("cohort", as_dict=True).items())
    ]


def _first_job_series(scope: Scope) -> list[charts.Series]:
    """One step line per legal status: the Kaplan-Meier share with a first job, up to the
    last milestone."""
    curves = data.km_curves(scope).filter(pl.col("time") <= max(data.MILESTONES))
    return [
        charts.Series(
            _label("legal_status", status),
            tuple((float(t), float(c)) for t, c in part.select("time", "cumulative").iter_rows()),
        )
        for (status,), part in sorted(curves.partition_by("legal_status", as_dict=True).items())
    ]


def _outcome_groups(outcomes: pl.DataFrame) -> list[tuple[str, list[float | None]]]:
    """Per programme, the share employed 6 and 12 months after the start (None: withheld)."""
    groups = []
    for programme in sorted(set(outcomes["programme"].to_list())):
        rates: list[float | None] = []
        for months in (6, 12):
            match = outcomes.filter(
                (pl.col("programme") == programme) & (pl.col("horizon_months") == months)
            )
            rate = match["employed_rate"][0] if match.height else None
            rates.append(None if rate is None else float(rate))
        groups.append((display_name(programme), rates))
    return groups


def _dashboard_charts(
    tables: dict[str, pl.DataFrame], rtl: bool, scope: Scope
) -> dict[str, charts.Scene]:
    visible = {key: frame.filter(~pl.col("suppressed")) for key, frame in tables.items()}
    # "reference" is a table without a chart: the published figures beside these data.
    return {
        "cohorts": charts.line_chart(
            _cohort_series(visible["cohorts"]),
            title=_("Employment rate by registration cohort"),
            x_label=_("Years since registration"),
            y_label=_("Employed (ages 18-64)"),
            rtl=rtl,
        ),
        "first_job": charts.line_chart(
            _first_job_series(scope),
            title=_("Share with a first job, by status"),
            x_label=_("Months since the right to work"),
            y_label=_("Share with a first job"),
            rtl=rtl,
            step=True,
        ),
        "outcomes": charts.bar_chart(
            _outcome_groups(visible["outcomes"]),
            [_("after 6 months"), _("after 12 months")],
            title=_("Share employed after the start of a programme"),
            value_label=_("Share employed"),
            rtl=rtl,
        ),
        "flows": charts.flow_chart(
            [
                (
                    display_name(r["from_organisation"]),
                    display_name(r["to_organisation"]),
                    int(r["count"]),
                )
                for r in visible["flows"].iter_rows(named=True)
            ],
            title=_("Referrals between organisations"),
            left_title=_("Sent by"),
            right_title=_("Received by"),
            rtl=rtl,
        ),
    }


class ScopeError(ValueError):
    """A `scope` the user may not see or that does not exist."""


SCOPE_KIND_LABELS: dict[str, Promise] = {
    "sector": gettext_lazy("the whole sector"),
    "partnership": gettext_lazy("partnership"),
    "organisation": gettext_lazy("organisation"),
}


def _scope_label(scope: Scope) -> str:
    if scope.kind == "sector":
        return str(SCOPE_KIND_LABELS["sector"])
    return f"{SCOPE_KIND_LABELS[scope.kind]}: {display_name(scope.slug)}"


def _scope(request: HttpRequest) -> tuple[Scope, list[Scope]]:
    """The scope asked for (`?scope=`), else the widest the user may see; `ScopeError`
    naming the allowed ones otherwise."""
    scopes = selectors.scopes_for(request)
    if not scopes:
        raise PermissionDenied
    asked = request.GET.get("scope")
    if not asked:
        return scopes[0], scopes
    for scope in scopes:
        if scope.key == asked:
            return scope, scopes
    raise ScopeError(
        _("Scope: {value} is not one you may see; allowed: {allowed}.").format(
            value=repr(asked), allowed=", ".join(scope.key for scope in scopes)
        )
    )


def _persons_counted() -> dict[str, Any]:
    """Which count of persons the page shows: through the linkage (unique persons across
    organisations) when a run has finished, else person files; nothing on the cohort."""
    if data.cohort_shown():
        return {"persons_counted": None}
    linked_on = selectors.linked_on()
    return {"persons_counted": "files" if linked_on is None else "linkage", "linked_on": linked_on}


def _scope_context(scope: Scope, scopes: list[Scope]) -> dict[str, Any]:
    """The scope shown and the scopes the reader may choose, for the pages' scope choice."""
    return {
        "scope": scope.key,
        "scope_label": _scope_label(scope),
        "scopes": [(item.key, _scope_label(item)) for item in scopes],
    }


def _scope_query(scope: Scope, scopes: list[Scope]) -> str:
    return "" if scope == scopes[0] else f"?scope={scope.key}"


def _refused(message: str) -> HttpResponse:
    """A request's choice refused: 400 with the message naming the field, as plain text."""
    return HttpResponse(message, status=400, content_type="text/plain; charset=utf-8")


@aggregates_view
def dashboard(request: HttpRequest) -> HttpResponse:
    try:
        scope, scopes = _scope(request)
    except ScopeError as error:
        return _refused(str(error))
    tables = data.dashboard_tables(scope)
    svgs = _dashboard_charts(tables, translation.get_language_bidi(), scope)
    sections = []
    for key, (title, columns) in TABLES.items():
        url = reverse("monitoring:csv", kwargs={"key": key}) + _scope_query(scope, scopes)
        table = _table(key, tables[key], title, columns, url)
        table["svg"] = _svg(svgs[key]) if key in svgs else ""
        sections.append(table)
    source = data.summary(scope)
    return render(
        request,
        "monitoring/dashboard.html",
        {
            "sections": sections,
            "synthetic": source.synthetic,
            **_persons_counted(),
            "as_of": source.as_of,
            "persons": source.persons,
            "threshold": data.threshold(),
            **_scope_context(scope, scopes),
        },
    )


@aggregates_view
def table_csv(request: HttpRequest, key: str) -> HttpResponse:
    if key not in TABLES:
        raise Http404
    try:
        scope, _scopes = _scope(request)
    except ScopeError as error:
        return _refused(str(error))
    columns = [name for name, _label in TABLES[key][1]]
    return frame_csv(
        data.dashboard_tables(scope)[key],
        columns,
        f"{key}.csv",
        synthetic=data.demonstration(),
    )


def _motivation(request: HttpRequest) -> str:
    value = request.GET.get("motivation", "unobserved")
    return value if value in MOTIVATIONS else "unobserved"


ESTIMATE_FIELDS = (
    "method",
    "estimand",
    "effect",
    "ci_low",
    "ci_high",
    "n_treated",
    "n_control",
    "excluded",
)
"""What the estimates' tables and CSV show of an estimator's estimate, on the synthetic
cohort and on the platform's records alike."""


def _estimate_row(estimate: Any, **more: Any) -> dict[str, Any]:
    return {name: getattr(estimate, name) for name in ESTIMATE_FIELDS} | more


def _evaluation_frames(result: data.EvaluationResult) -> dict[str, pl.DataFrame]:
    evaluation = result.evaluation
    estimates = pl.DataFrame(
        [
            _estimate_row(
                e, true_effect=result.true_att if e.estimand == "ATT" else result.true_ate
            )
            for e in evaluation.estimates
        ]
    )
    return {"estimates": estimates, "balance": evaluation.balance}


ESTIMATE_COLUMNS: Columns = (
    ("method", gettext_lazy("Method")),
    ("estimand", gettext_lazy("Estimand")),
    ("effect", gettext_lazy("Effect")),
    ("ci_low", gettext_lazy("low end of the 95 % CI")),
    ("ci_high", gettext_lazy("high end of the 95 % CI")),
    ("true_effect", gettext_lazy("True effect (synthetic)")),
    ("n_treated", gettext_lazy("Mentored")),
    ("n_control", gettext_lazy("Not mentored")),
    ("excluded", gettext_lazy("Excluded")),
)
BALANCE_COLUMNS: Columns = (
    ("covariate", gettext_lazy("Covariate")),
    ("mean_treated", gettext_lazy("Mean, mentored")),
    ("mean_control", gettext_lazy("Mean, not mentored")),
    ("smd_before", gettext_lazy("SMD before")),
    ("smd_weighted", gettext_lazy("SMD after weighting")),
    ("smd_matched", gettext_lazy("SMD after matching")),
)


def _platform_evaluation(request: HttpRequest) -> HttpResponse:
    """Outside a demonstration: a programme's effect on the platform's records of the
    scope, once both groups are large enough (docs/indicators.md)."""
    try:
        scope, scopes = _scope(request)
    except ScopeError as error:
        return _refused(str(error))
    source = data.summary(scope)
    counts = data.programme_starts(scope)
    programmes = sorted(counts, key=lambda name: (-counts[name], name))
    asked = request.GET.get("programme")
    if asked and asked not in programmes:
        return _refused(_("Programme: choose one with participants in this scope."))
    programme = asked or (programmes[0] if programmes else None)
    context: dict[str, Any] = {
        "as_of": source.as_of,
        "starts": _at_least(sum(counts.values())),
        "programmes": [(item, display_name(item)) for item in programmes],
        "programme": programme,
        **_scope_context(scope, scopes),
        "minimum": data.MINIMUM_GROUP,
    }
    if programme is not None:
        context.update(_evaluation_context(scope, programme))
    return render(request, "monitoring/evaluation_platform.html", context)


def _evaluation_context(scope: Scope, programme: str) -> dict[str, Any]:
    """The programme's evaluation as computed by the queue (`evaluations.py`): the latest
    finished one, and whether a newer one computes."""
    shown = evaluations.platform_evaluation_shown(scope, programme)
    context: dict[str, Any] = {
        "programme_name": display_name(programme),
        "computing": shown.computing,
        "failed": shown.failed,
        "finished_at": shown.finished_at,
    }
    result = shown.result
    if result is not None:
        context.update(treated=_at_least(result.treated), controls=_at_least(result.controls))
        context["refused"] = refusal_of(result)
        if result.evaluation is not None:
            rows = pl.DataFrame(
                [
                    _estimate_row(e, method=str(METHOD_LABELS[e.method]))
                    for e in result.evaluation.estimates
                ]
            )
            columns = [c for c in ESTIMATE_COLUMNS if c[0] != "true_effect"]
            context["estimates"] = _table(
                "estimates",
                rows,
                gettext_lazy("The programme's effect on a job within 12 months"),
                columns,
                "",
            )
    return context


def refusal_of(result: data.PlatformEvaluation) -> str:
    """Why the estimators refused the records, in the reader's language where they said it
    for a reader, else as they said it; empty when they did not refuse. (Results stored
    before the reason was kept have no `reason`.)"""
    reason = getattr(result, "reason", "")
    if reason:
        return _(reason) % dict(getattr(result, "reason_params", ()))
    return str(getattr(result, "refused", ""))


def _at_least(count: int) -> int | str:
    """A count as shown: under the small-cell threshold (other than zero), "< threshold"."""
    cells = data.threshold()
    return count if count == 0 or count >= cells else f"< {cells}"


def _forest_chart(result: Any, rtl: bool) -> Any:
    """Each estimator's effect with its 95 % interval, in percentage points, beside the
    synthetic cohort's true average effect and effect on participants."""
    return charts.dot_chart(
        [
            (
                str(METHOD_LABELS[e.method]),
                [charts.Dot(0, e.effect * 100, e.ci_low * 100, e.ci_high * 100)],
            )
            for e in result.evaluation.estimates
        ],
        [_("estimate and its 95 % CI")],
        title=_("Mentoring's effect on a job within 12 months"),
        x_label=_("Difference in the share with a job, in percentage points"),
        references=[
            (result.true_ate * 100, _("true average effect")),
            (result.true_att * 100, _("true effect on participants")),
        ],
        rtl=rtl,
    )


def _evaluation_tables(frames: dict[str, pl.DataFrame], motivation: str) -> dict[str, Any]:
    """The estimates and the balance as the page's tables, their words in the reader's
    language and their CSV for this motivation."""
    shown = {
        "estimates": frames["estimates"].with_columns(
            pl.col("method").replace_strict({k: str(v) for k, v in METHOD_LABELS.items()})
        ),
        "balance": frames["balance"].with_columns(
            pl.col("covariate").replace_strict(
                {k: str(v) for k, v in COVARIATE_LABELS.items()}, default=pl.col("covariate")
            )
        ),
    }
    titles = {
        "estimates": (gettext_lazy("Mentoring's effect four ways"), ESTIMATE_COLUMNS),
        "balance": (gettext_lazy("Balance of the covariates"), BALANCE_COLUMNS),
    }
    return {
        key: _table(
            key,
            shown[key],
            title,
            columns,
            reverse("monitoring:evaluation-csv", kwargs={"key": key}) + f"?motivation={motivation}",
        )
        for key, (title, columns) in titles.items()
    }


def _evaluation_sentences(result: data.EvaluationResult) -> dict[str, Any]:
    """The figures the page's sentences quote: the naive and doubly-robust estimates
    against the synthetic truth."""
    naive = result.evaluation.estimate("naive")
    aipw = result.evaluation.estimate("aipw")
    # The page's sentences compare the doubly-robust estimate with the truth of its own
    # estimand (the effect on participants by default, docs/evaluation.md).
    aipw_truth = result.true_att if aipw.estimand == "ATT" else result.true_ate
    return {
        "naive": naive,
        "aipw": aipw,
        "treated_percent": decimal_text(result.evaluation.treated_outcome * 100, 1),
        "control_percent": decimal_text(result.evaluation.control_outcome * 100, 1),
        "naive_effect": percentage_points(naive.effect),
        "aipw_effect": percentage_points(aipw.effect),
        "aipw_truth": percentage_points(aipw_truth),
        "aipw_covers": aipw.ci_low <= aipw_truth <= aipw.ci_high,
        "e_value": decimal_text(result.evaluation.e_value, 2),
    }


@aggregates_view
def evaluation(request: HttpRequest) -> HttpResponse:
    if not data.cohort_shown():
        return _platform_evaluation(request)
    motivation = _motivation(request)
    result = data.mentoring_evaluation(motivation)
    frames = _evaluation_frames(result)
    rtl = translation.get_language_bidi()
    love = love_plot(
        frames["balance"],
        title=_("Covariate balance (love plot)"),
        covariate_labels={key: str(label) for key, label in COVARIATE_LABELS.items()},
        rtl=rtl,
    )
    context = {
        "motivation": motivation,
        "motivations": [(key, str(label)) for key, label in MOTIVATIONS.items()],
        "result": result,
        **_evaluation_sentences(result),
        **_evaluation_tables(frames, motivation),
        "forest_svg": _svg(_forest_chart(result, rtl)),
        "love_svg": _svg(love),
        "bootstrap": result.evaluation.n_bootstrap,
    }
    return render(request, "monitoring/evaluation.html", context)


@aggregates_view
def evaluation_csv(request: HttpRequest, key: str) -> HttpResponse:
    columns = {"estimates": ESTIMATE_COLUMNS, "balance": BALANCE_COLUMNS}.get(key)
    if columns is None or not data.cohort_shown():
        raise Http404
    frame = _evaluation_frames(data.mentoring_evaluation(_motivation(request)))[key]
    return frame_csv(
        frame, [name for name, _label in columns], f"evaluation-{key}.csv", synthetic=True
    )


def _programmes(scope: Scope) -> list[str]:
    """The programmes a report may be about: the synthetic cohort's in a demonstration,
    otherwise the directory's programmes of the scope's organisations."""
    if data.cohort_shown():
        return sorted(
            programme
            for programme, organisation in PROGRAMME_ORGANISATION.items()
            if scope.kind == "sector" or organisation in scope.organisations
        )
    return selectors.programmes_in(scope)


@dataclass(frozen=True)
class ReportChoice:
    scope: Scope
    scopes: list[Scope]
    programmes: list[str]
    programme: str
    period: str
    language: str
    error: str | None

    def parts(self) -> tuple[str, str, str, str | None]:
        return self.programme, self.period, self.language, self.error


def _report_choice(request: HttpRequest) -> ReportChoice:
    """Scope, programme, period, language and an error message (None when the choice is
    valid)."""
    try:
        scope, scopes = _scope(request)
        error = None
    except ScopeError as problem:
        scopes = selectors.scopes_for(request)
        scope, error = scopes[0], str(problem)
    source = data.summary(scope)
    programmes = _programmes(scope)
    programme = request.GET.get("programme") or (programmes[0] if programmes else "")
    period = request.GET.get("period") or str(
        source.as_of.year - 1 if source.synthetic else source.as_of.year
    )
    language = request.GET.get("language") or (translation.get_language() or "fr")[:2]
    choice = ReportChoice(scope, scopes, programmes, programme, period, language, error)
    return dataclasses.replace(choice, error=error or _choice_error(choice))


def _choice_error(choice: ReportChoice) -> str | None:
    programme, period, language, _error = choice.parts()
    programmes = choice.programmes
    error = None
    if not programmes:
        error = _("Programme: no programme in this scope.")
    elif programme not in programmes:
        error = _("Programme: choose one of the list.")
    elif language not in REPORT_LANGUAGES:
        error = _("Language: choose French, Dutch, English or Arabic.")
    else:
        try:
            parse_period(period)
        except ValueError:
            error = _("Period: write a year, a quarter or a month: 2025, 2025-Q2 or 2025-06.")
    return error


def _translated_report(choice: ReportChoice) -> pl.DataFrame:
    programme, period, language = choice.programme, choice.period, choice.language
    frame = data.funder_report_of(choice.scope, programme, period)
    with translation.override(language):
        return translated_report(frame, _)


def _report_file(
    choice: ReportChoice, content: str | bytes, extension: str, content_type: str
) -> HttpResponse:
    """The report as a download named by its programme, period and language."""
    stem = f"report-{choice.programme}-{choice.period.replace(':', '_')}-{choice.language}"
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{stem}.{extension}"'
    return response


REPORT_COLUMNS: Columns = (
    ("section", gettext_lazy("Section")),
    ("indicator", gettext_lazy("Indicator")),
    ("count", gettext_lazy("Count")),
    ("denominator", gettext_lazy("Of")),
    ("value", gettext_lazy("Value")),
)


@aggregates_view
def report(request: HttpRequest) -> HttpResponse:
    choice = _report_choice(request)
    programme, period, language, error = choice.parts()
    context: dict[str, Any] = {
        "programmes": [(item, display_name(item)) for item in choice.programmes],
        **_scope_context(choice.scope, choice.scopes),
        "programme": programme,
        "programme_name": display_name(programme, language),
        "period": period,
        "language": language,
        "languages": [(key, str(label)) for key, label in REPORT_LANGUAGES.items()],
        "error": error,
        "synthetic": data.cohort_shown(),
        **_persons_counted(),
        "threshold": data.threshold(),
    }
    if error is None:
        withheld = _("withheld")  # in the page's language, the rest in the report's
        with translation.override(language), language_of(language):
            rows = [
                {"cells": row.cells(_, withheld), "suppressed": row.suppressed}
                for row in report_rows(data.funder_report_of(choice.scope, programme, period))
            ]
        query = request.GET.urlencode() or (
            f"programme={programme}&period={period}&language={language}"
            + _scope_query(choice.scope, choice.scopes).replace("?", "&")
        )
        context.update(
            rows=rows,
            headings=[str(label) for _name, label in REPORT_COLUMNS],
            csv=f"{reverse('monitoring:report-csv')}?{query}",
            xlsx=f"{reverse('monitoring:report-xlsx')}?{query}",
            pdf=f"{reverse('monitoring:report-pdf')}?{query}"
            if language in PDF_LANGUAGES
            else None,
            report_dir="rtl" if translation.get_language_info(language)["bidi"] else "ltr",
        )
    return render(request, "monitoring/report.html", context, status=400 if error else 200)


@aggregates_view
def report_csv(request: HttpRequest) -> HttpResponseBase:
    choice = _report_choice(request)
    if choice.error is not None:
        return _refused(choice.error)
    text = report_csv_text(_translated_report(choice), synthetic=data.demonstration())
    return _report_file(choice, text, "csv", "text/csv; charset=utf-8")


def _document_of(choice: ReportChoice) -> dict[str, Any]:
    """What the PDF and the XLSX say of the report they hold, in its language."""
    return {
        "programme": f"{display_name(choice.programme, choice.language)} ({choice.programme})",
        "period": parse_period(choice.period),
        "threshold": data.threshold(),
        "synthetic": data.demonstration(),
    }


@aggregates_view
def report_pdf_view(request: HttpRequest) -> HttpResponseBase:
    choice = _report_choice(request)
    error = choice.error
    if error is None and choice.language not in PDF_LANGUAGES:
        error = _("PDF reports are in French, Dutch or English; use the CSV for Arabic.")
    if error is not None:
        return _refused(error)
    frame = _translated_report(choice)
    with language_of(choice.language):
        content = report_pdf(frame, **_document_of(choice))
    return _report_file(choice, content, "pdf", "application/pdf")


@aggregates_view
def report_xlsx_view(request: HttpRequest) -> HttpResponseBase:
    choice = _report_choice(request)
    if choice.error is not None:
        return _refused(choice.error)
    frame = _translated_report(choice)
    right_to_left = bool(translation.get_language_info(choice.language)["bidi"])
    with language_of(choice.language):
        content = report_xlsx(frame, **_document_of(choice), right_to_left=right_to_left)
    return _report_file(
        choice, content, "xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
