"""The organisation's audit log, for its administrators: filters and CSV export.

The log (models, `audit_record`) is the audit app's, below every app that writes to it;
its pages are staff pages behind the staff door, so they live here beside the door: the
audit app imports no other app."""

from __future__ import annotations

import csv
from collections.abc import Iterator

from django import forms
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from passerelle.web.apps.accounts.decorators import staff_view
from passerelle.web.apps.audit.models import Action, AuditEntry
from passerelle.web.apps.audit.services import audit_record
from passerelle.web.common.actors import Actor, OperationDeniedError
from passerelle.web.common.forms import DateInput
from passerelle.web.common.labels import AUDIT_CSV_COLUMNS
from passerelle.web.common.pages import list_page

PAGE_SIZE = 50
CSV_COLUMNS = tuple(AUDIT_CSV_COLUMNS)


class AuditFilterForm(forms.Form):
    action = forms.ChoiceField(
        label=_("Action"), required=False, choices=[("", _("All")), *Action.choices]
    )
    actor = forms.CharField(label=_("User"), required=False, max_length=150)
    since = forms.DateField(label=_("From"), required=False, widget=DateInput())
    until = forms.DateField(label=_("Until"), required=False, widget=DateInput())
    flagged = forms.BooleanField(label=_("Flagged only"), required=False)


def _entries(actor: Actor, form: AuditFilterForm) -> QuerySet[AuditEntry]:
    if not actor.allowed("audit", "own"):
        raise OperationDeniedError("audit")
    organisation = actor.organisation
    entries = AuditEntry.objects.filter(
        Q(organisation=organisation) | Q(subject_organisation=organisation)
    )
    if form.is_valid():
        data = form.cleaned_data
        if data.get("action"):
            entries = entries.filter(action=data["action"])
        if data.get("actor"):
            entries = entries.filter(actor_label__icontains=data["actor"])
        if data.get("since"):
            entries = entries.filter(at__date__gte=data["since"])
        if data.get("until"):
            entries = entries.filter(at__date__lte=data["until"])
        if data.get("flagged"):
            entries = entries.filter(flagged=True)
    return entries


@staff_view
def audit_log(request: HttpRequest, actor: Actor) -> HttpResponse:
    form = AuditFilterForm(request.GET or None)
    listing = list_page(request, _entries(actor, form), PAGE_SIZE)
    return render(request, "audit/log.html", {**listing, "form": form, "actor": actor})


class _Echo:
    def write(self, value: str) -> str:
        return value


@staff_view
def audit_log_csv(request: HttpRequest, actor: Actor) -> HttpResponseBase:
    form = AuditFilterForm(request.GET or None)
    entries = _entries(actor, form)
    audit_record(action=Action.AUDIT_EXPORT, actor=actor.user, organisation=actor.organisation)
    writer = csv.writer(_Echo())

    # In the request's language, now: the rows are written after the view has returned.
    header = [str(AUDIT_CSV_COLUMNS[column]) for column in CSV_COLUMNS]

    def rows() -> Iterator[str]:
        yield writer.writerow(header)
        for entry in entries.iterator():
            yield writer.writerow(
                (
                    entry.at.isoformat(),
                    entry.action,
                    entry.actor_label,
                    entry.object_kind,
                    entry.object_id,
                    int(entry.flagged),
                    entry.detail,
                )
            )

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    today = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="audit-{today}.csv"'
    return response
