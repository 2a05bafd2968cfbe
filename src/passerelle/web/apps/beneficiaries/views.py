"""Pages of the unique beneficiaries: an organisation shares its encodings; the platform's
analysts run the linkage and review uncertain pairs; everyone who may see aggregates reads
the figures (distinct people, registrations, overlaps) with CSV and PDF. There is no name
in this app: pairs are shown as comparison levels and weights."""

from __future__ import annotations

from typing import Any

import polars as pl
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.platypus import Paragraph

from passerelle.core import charts
from passerelle.core.extras import installed
from passerelle.core.i18n import language_of
from passerelle.core.indicators import beneficiaries as figures
from passerelle.core.indicators import parse_period
from passerelle.core.indicators.report_pdf import PDF_LANGUAGES, report_pdf
from passerelle.core.linkage import KeyFileError
from passerelle.core.linkage.pairs import (
    AS_MANY_CANDIDATES,
    CANDIDATES,
    FEWER_CANDIDATES,
    MORE_CANDIDATES,
)
from passerelle.web.apps.accounts.decorators import aggregates_view, staff_view
from passerelle.web.apps.beneficiaries import selectors, services, tasks
from passerelle.web.apps.beneficiaries.access import linkage_view, may_share_encodings
from passerelle.web.apps.beneficiaries.forms import DecisionForm, OutcomeFileForm, UploadForm
from passerelle.web.apps.beneficiaries.models import CandidatePair
from passerelle.web.apps.monitoring import data
from passerelle.web.common.csv import frame_csv
from passerelle.web.common.labels import CATEGORY_LABELS, decimal_text, display_name
from passerelle.web.extras import extra_missing_message

INDICATOR_LABELS = {
    "people": gettext_lazy("Distinct people"),
    "registrations": gettext_lazy("Registrations"),
    "counted_more_than_once": gettext_lazy("Registrations of a person already counted"),
    "in_two_or_more_programmes": gettext_lazy("People in two or more programmes"),
    "in_two_programmes_at_once": gettext_lazy("People in two programmes at the same time"),
}
COMPARISON_LABELS = {
    "name": gettext_lazy("Names"),
    "birth_date": gettext_lazy("Birth date"),
    "postcode": gettext_lazy("Postcode"),
    "phone": gettext_lazy("Phone"),
    CANDIDATES: gettext_lazy("Other candidates"),
}
LEVEL_LABELS = {
    FEWER_CANDIDATES: gettext_lazy("fewer look-alikes than most records (a rarer name)"),
    AS_MANY_CANDIDATES: gettext_lazy("about as many look-alikes as most records"),
    MORE_CANDIDATES: gettext_lazy("more look-alikes than most records (a common name)"),
    "missing on one side": gettext_lazy("missing on one side"),
    "All other comparisons": gettext_lazy("different"),
    "both skeletons (keyed token)": gettext_lazy("both names agree (same keyed name token)"),
    "both filters ≥ 0.95": gettext_lazy("both names agree (similarity at least 0.95)"),
    "one name filter within the other, same first and last names": gettext_lazy(
        "one name contained in the other (a name added), same first and last names"
    ),
    "one name filter within the other, same first name": gettext_lazy(
        "one name contained in the other (a name added), same first name"
    ),
    "one name filter within the other, same last name": gettext_lazy(
        "one name contained in the other, same last name only (parent and child?)"
    ),
    "one name filter within the other, names in other places": gettext_lazy(
        "one name contained in the other, names in other places"
    ),
    "family ≥ 0.9, given < 0.5": gettext_lazy("same family name, another given name (relatives)"),
    "swapped ≥ 0.9": gettext_lazy("given and family names swapped"),
    "given and family swapped (keyed tokens)": gettext_lazy("given and family names swapped"),
    "name ≥ 0.9": gettext_lazy("whole name very similar (at least 0.9)"),
    "both filters ≥ 0.75": gettext_lazy("both names similar (at least 0.75)"),
    "both filters close": gettext_lazy("both names close (a variant or a typo in each)"),
    "one equal (keyed token), the other's filter close": gettext_lazy(
        "one name agrees (same keyed name token), the other is close"
    ),
    "name ≥ 0.7": gettext_lazy("whole name similar (at least 0.7)"),
    "family ≥ 0.9": gettext_lazy("family name agrees only"),
    "given ≥ 0.9": gettext_lazy("given name agrees only"),
    "family name empty, given name filter within the other's": gettext_lazy(
        "family name empty; the given name is among the other record's names"
    ),
    "given name empty, family name filter within the other's": gettext_lazy(
        "given name empty; the family name is among the other record's names"
    ),
    "one name filter within the other's, either field": gettext_lazy(
        "one name is among the other record's names (in either field)"
    ),
    "Exact match on dob_full": gettext_lazy("same date"),
    "day and month swapped": gettext_lazy("day and month swapped"),
    "one digit apart": gettext_lazy("one digit apart"),
    "same year, both partial or placeholder": gettext_lazy(
        "same year, both dates partial or 1 January"
    ),
    "same year, one date partial or placeholder": gettext_lazy(
        "same year, one date partial or 1 January"
    ),
    "same year": gettext_lazy("same year only"),
    "Exact match on postcode": gettext_lazy("same"),
    "Exact match on phone": gettext_lazy("same"),
}


def _measure_label(measure: str) -> str:
    if measure == figures.ALL:
        return _("All measures")
    label = CATEGORY_LABELS.get(measure)
    return str(label) if label is not None else measure


# --- an organisation's encodings ---------------------------------------------------------


@staff_view
def encodings(request: HttpRequest, actor: Any) -> HttpResponseBase:
    if not may_share_encodings(actor):
        raise PermissionDenied
    form = UploadForm()
    status = 200
    if request.method == "POST":
        requester = {
            "organisation": actor.organisation,
            "user": request.user,
            "language": translation.get_language() or "",
        }
        if request.POST.get("action") == "encode-files":
            try:
                services.sector_key()  # said at once; the task encodes the files
            except (services.SectorKeyMissingError, KeyFileError):
                messages.error(
                    request,
                    _("The platform has no sector key: ask the platform administrator."),
                )
                return redirect("beneficiaries:encodings")
            job = tasks.encodings_upload_queue(
                from_person_files=True, role=actor.role or "", **requester
            )
            return redirect("beneficiaries:encodings-job", job_id=job.pk)
        form = UploadForm(request.POST, request.FILES)
        if form.is_valid():
            job = tasks.encodings_upload_queue(
                encodings=form.cleaned_data["encodings"].read(),
                participations=form.cleaned_data["participations"].read(),
                **requester,
            )
            return redirect("beneficiaries:encodings-job", job_id=job.pk)
        status = 400
    return render(
        request,
        "beneficiaries/encodings.html",
        {
            "form": form,
            "batch": selectors.batch_of(actor.organisation),
            "jobs": selectors.encodings_upload_jobs(actor.organisation),
            "organisation": actor.organisation,
            "programmes": services.programmes_of(actor.organisation),
        },
        status=status,
    )


@staff_view
def encodings_job(request: HttpRequest, actor: Any, job_id: int) -> HttpResponseBase:
    """One upload of the organisation's files: queued, running, then what it stored or
    what is wrong with them."""
    if not may_share_encodings(actor):
        raise PermissionDenied
    job = selectors.encodings_upload_job(actor.organisation, job_id)
    if job is None:
        raise Http404
    stored = ""
    if job.status == "done" and job.report and job.from_person_files:
        stored = _(
            "{records} person files encoded and shared ({participations} participations)."
        ).format(**job.report)
    elif job.status == "done" and job.report:
        stored = _(
            "{records} encoded records and {participations} participations now replace your "
            "previous upload."
        ).format(**job.report)
    return _following(
        job, render(request, "beneficiaries/encodings_job.html", {"job": job, "stored": stored})
    )


def _following(job: Any, response: HttpResponse) -> HttpResponse:
    """A job's page reloads itself until the job ends (without JavaScript)."""
    if not job.finished:
        response["Refresh"] = "3"
    return response


# --- runs and review ----------------------------------------------------------------------


@linkage_view
def runs(request: HttpRequest) -> HttpResponseBase:
    if request.method == "POST":
        if not installed("linkage"):
            messages.error(request, extra_missing_message("linkage"))
        elif selectors.run_is_going_on(selectors.current_run()):
            messages.error(request, _("A run is already going on."))
        else:
            run = services.run_start(user=request.user)
            tasks.run_in_background(run)
        return redirect("beneficiaries:runs")
    current = selectors.current_run()
    latest = selectors.latest_run()
    running = selectors.run_is_going_on(current)
    response = render(
        request,
        "beneficiaries/runs.html",
        {
            "current": current,
            "running": running,
            "latest": latest,
            "stale": latest is not None and selectors.run_is_stale(latest),
            "queue": len(selectors.review_queue(latest)) if latest else 0,
            "batches": selectors.batches(),
            "history": selectors.recent_runs(),
        },
    )
    if running:
        response["Refresh"] = "3"  # the page follows the run's progress, without JavaScript
    return response


ROWS_SHOWN = 200
"""Row numbers listed per kind on the outcomes page."""


@linkage_view
def outcomes(request: HttpRequest) -> HttpResponseBase:
    """Administrative outcomes imported from a file (docs/outcomes.md): analysts only. The
    file is kept and imported by a task; the page of its job follows it."""
    form = OutcomeFileForm()
    status = 200
    if request.method == "POST":
        form = OutcomeFileForm(request.POST, request.FILES)
        if form.is_valid():
            job = tasks.outcomes_import_queue(
                content=form.cleaned_data["file"].read(),
                user=request.user,
                dry_run=form.cleaned_data["dry_run"],
                language=translation.get_language() or "",
            )
            return redirect("beneficiaries:outcome-job", job_id=job.pk)
        status = 400
    return render(
        request,
        "beneficiaries/outcomes.html",
        {
            "form": form,
            "jobs": selectors.outcome_import_jobs(),
            "imports": selectors.outcome_imports(),
        },
        status=status,
    )


@linkage_view
def outcome_job(request: HttpRequest, job_id: int) -> HttpResponseBase:
    """One file's import: queued, running, then its report or its problems."""
    job = selectors.outcome_import_job(job_id)
    if job is None:
        raise Http404
    report = job.report or {}
    response = render(
        request,
        "beneficiaries/outcome_job.html",
        {
            "job": job,
            "report": report,
            "unmatched_shown": report.get("unmatched_rows", [])[:ROWS_SHOWN],
            "ambiguous_shown": report.get("ambiguous_rows", [])[:ROWS_SHOWN],
            "rows_shown": ROWS_SHOWN,
        },
    )
    return _following(job, response)


def _comparisons(pair: CandidatePair) -> list[dict[str, str]]:
    return [
        {
            "comparison": str(COMPARISON_LABELS.get(item["comparison"], item["comparison"])),
            "level": str(LEVEL_LABELS.get(item["level"], item["level"])),
            "weight": f"{item['weight']:+.2f}",
        }
        for item in pair.comparisons
    ]


@linkage_view
def review(request: HttpRequest) -> HttpResponseBase:
    latest = selectors.latest_run()
    queue = selectors.review_queue(latest) if latest else []
    return render(
        request,
        "beneficiaries/review.html",
        {
            "latest": latest,
            "queue": [
                {"pair": pair, "probability": decimal_text(pair.match_probability, 2)}
                for pair in queue[:100]
            ],
            "pending": len(queue),
        },
    )


@linkage_view
def review_pair(request: HttpRequest, pair_id: int) -> HttpResponseBase:
    pair = get_object_or_404(
        CandidatePair.objects.select_related("record_a", "record_b"), pk=pair_id
    )
    form = DecisionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.decision_record(
            user=request.user, pair_id=pair.pk, decision=form.cleaned_data["decision"]
        )
        messages.success(request, _("Decision recorded; the next run applies it."))
        queue = selectors.review_queue(pair.run)
        if queue:
            return redirect("beneficiaries:review-pair", pair_id=queue[0].pk)
        return redirect("beneficiaries:review")
    decision = selectors.pair_decision(pair)
    return render(
        request,
        "beneficiaries/pair.html",
        {
            "pair": pair,
            "probability": decimal_text(pair.match_probability, 2),
            "weight": f"{pair.match_weight:+.2f}",
            "comparisons": _comparisons(pair),
            "form": form,
            "decision": decision,
        },
        status=400 if request.method == "POST" else 200,
    )


# --- figures -------------------------------------------------------------------------------


def _choice(request: HttpRequest, frame: pl.DataFrame) -> tuple[str, str, str | None]:
    """period, measure type and an error (None when valid)."""
    period = request.GET.get("period") or str(timezone.localdate().year - 1)
    measures = sorted(set(frame["measure_type"].to_list()))
    default = "job_search_support" if "job_search_support" in measures else (measures or [""])[0]
    measure = request.GET.get("measure") or default
    error = None
    try:
        parse_period(period)
    except ValueError:
        error = _("Period: write a year, a quarter or a month: 2025, 2025-Q2 or 2025-06.")
    if error is None and measures and measure not in measures:
        error = _("Measure type: choose one of the list.")
    return period, measure, error


def _report_frame(counts: pl.DataFrame, result: figures.Overlaps, measure: str) -> pl.DataFrame:
    """The figures in the funder report's shape (section, indicator, count, ...)."""
    rows = []
    for row in counts.iter_rows(named=True):
        indicator = str(INDICATOR_LABELS[row["indicator"]])
        if row["programme"] != figures.ALL:
            indicator = f"{indicator}: {display_name(row['programme'])}"
        rows.append(
            {
                "section": _measure_label(row["measure_type"]),
                "indicator": indicator,
                "measure_type": row["measure_type"],
                "programme": row["programme"],
                "key": row["indicator"],
                "count": row["count"],
                "suppressed": row["suppressed"],
            }
        )
    overlap = _("Overlaps: {measure}").format(measure=_measure_label(measure))
    for combo, count in result.combinations:
        rows.append(
            {
                "section": overlap,
                "indicator": " + ".join(display_name(result.programmes[i]) for i in combo),
                "measure_type": measure,
                "programme": "+".join(result.programmes[i] for i in combo),
                "key": "people_in_exactly_these_programmes",
                "count": count,
                "suppressed": count is None,
            }
        )
    return pl.DataFrame(
        rows,
        schema={
            "section": pl.String,
            "indicator": pl.String,
            "measure_type": pl.String,
            "programme": pl.String,
            "key": pl.String,
            "count": pl.Int64,
            "suppressed": pl.Boolean,
        },
    ).with_columns(
        pl.lit(None, dtype=pl.Int64).alias("denominator"),
        pl.lit(None, dtype=pl.Float64).alias("value"),
        pl.lit("persons").alias("unit"),
    )


def _figures(request: HttpRequest) -> dict[str, Any]:
    run = selectors.latest_run()
    frame = (
        selectors.participations_frame(run) if run else pl.DataFrame(schema=figures.INPUT_SCHEMA)
    )
    period, measure, error = _choice(request, frame)
    context: dict[str, Any] = {
        "run": run,
        "stale": run is not None and selectors.run_is_stale(run),
        "period": period,
        "measure": measure,
        "measures": [(m, _measure_label(m)) for m in sorted(set(frame["measure_type"].to_list()))],
        "error": error,
        "threshold": data.threshold(),
    }
    if error is None and run is not None:
        span = parse_period(period)
        secret = data.cell_key_secret()
        counts = figures.unique_beneficiaries(
            frame, span, threshold=data.threshold(), secret=secret
        )
        result = figures.overlaps(frame, span, measure, threshold=data.threshold(), secret=secret)
        counts = figures.withhold_as_overlaps(counts, result, measure)
        context.update(
            counts=counts, overlaps=result, span=span, report=_report_frame(counts, result, measure)
        )
    return context


def _stem(context: dict[str, Any]) -> str:
    return f"unique-beneficiaries-{context['measure']}-{context['period'].replace(':', '_')}"


def _upset_arguments(context: dict[str, Any]) -> dict[str, Any]:
    """The UpSet chart's figures and labels, for the page (SVG) and the PDF (drawing)."""
    result: figures.Overlaps = context["overlaps"]
    return {
        "sets": [
            (display_name(p), size) for p, size in zip(result.programmes, result.sizes, strict=True)
        ],
        "combinations": result.combinations,
        "title": _("People by combination of programmes: {measure}, {period}").format(
            measure=_measure_label(context["measure"]), period=context["period"]
        ),
        "count_label": _("People"),
        # Not "< 5": complementary suppression withholds larger counts too, and which ones
        # were small must not show.
        "withheld_label": "—",
    }


@aggregates_view
def overview(request: HttpRequest) -> HttpResponse:
    context = _figures(request)
    if "report" in context:
        withheld = _("withheld")
        context["rows"] = [
            {
                "section": row["section"],
                "indicator": row["indicator"],
                "count": withheld if row["suppressed"] else str(row["count"]),
                "suppressed": row["suppressed"],
            }
            for row in context["report"].iter_rows(named=True)
        ]
        context["upset"] = charts.upset_chart(
            **_upset_arguments(context), rtl=translation.get_language_bidi()
        ).svg()
        query = f"period={context['period']}&measure={context['measure']}"
        context["csv"] = f"{reverse('beneficiaries:report-csv')}?{query}"
        language = (translation.get_language() or "fr")[:2]
        context["pdf"] = (
            f"{reverse('beneficiaries:report-pdf')}?{query}" if language in PDF_LANGUAGES else None
        )
    return render(
        request,
        "beneficiaries/overview.html",
        context,
        status=400 if context["error"] else 200,
    )


@aggregates_view
def report_csv(request: HttpRequest) -> HttpResponseBase:
    context = _figures(request)
    if context["error"] or "report" not in context:
        return HttpResponse(
            context["error"] or _("No linkage run yet."),
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    columns = ["section", "indicator", "measure_type", "programme", "key", "count"]
    return frame_csv(context["report"], columns, f"{_stem(context)}.csv")


@aggregates_view
def report_pdf_view(request: HttpRequest) -> HttpResponseBase:
    context = _figures(request)
    language = (translation.get_language() or "fr")[:2]
    error = context["error"] or (None if "report" in context else _("No linkage run yet."))
    if error is None and language not in PDF_LANGUAGES:
        error = _("PDF reports are in French, Dutch or English; use the CSV for Arabic.")
    if error is not None:
        return HttpResponse(error, status=400, content_type="text/plain; charset=utf-8")
    with language_of(language):
        content = report_pdf(
            context["report"],
            programme=_("Unique beneficiaries, from encodings only"),
            period=context["span"],
            threshold=data.threshold(),
            synthetic=False,
            withheld=_("withheld"),
            charts=[
                charts.upset_chart(**_upset_arguments(context)),
                Paragraph(
                    _(
                        "Some larger counts are withheld as well, so that no withheld count can "
                        "be found by subtracting the others from a total."
                    ),
                    getSampleStyleSheet()["Normal"],
                ),
            ],
        )
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{_stem(context)}.pdf"'
    return response
