"""Caseworkers' pages for follow-ups: the list of those due and the form that records one.
Reads through `followups.access`, writes through `followups.services`."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from passerelle.web.apps.accounts.decorators import staff_view
from passerelle.web.apps.directory.selectors import programmes_visible
from passerelle.web.apps.followups import access, services
from passerelle.web.apps.followups.forms import FollowUpForm, ParticipationForm
from passerelle.web.apps.people.access import audit_person_list
from passerelle.web.common.actors import Actor
from passerelle.web.common.pages import list_page

PAGE_SIZE = 50


@staff_view
def follow_up_list(request: HttpRequest, actor: Actor) -> HttpResponse:
    today = timezone.localdate()
    follow_ups = access.follow_ups_due_for(actor, on=today)
    listing = list_page(request, follow_ups, PAGE_SIZE)
    audit_person_list(actor, page=listing["page"].number, list="follow-ups")
    return render(request, "followups/list.html", {**listing, "today": today, "actor": actor})


@staff_view
def follow_up_record(request: HttpRequest, actor: Actor, follow_up_id: str) -> HttpResponse:
    follow_up = access.follow_up_for(actor, follow_up_id, "view")
    status = 200
    if request.method == "POST":
        form = FollowUpForm(request.POST)
        if form.is_valid():
            try:
                services.follow_up_record(
                    actor=actor, follow_up_id=follow_up.pk, **form.service_arguments()
                )
            except services.FollowUpDataError as error:
                form.add_data_errors(error.errors)
            except services.FollowUpVersionError as error:
                form.add_error(
                    None,
                    _(
                        "Someone else recorded this follow-up while you were editing it (it "
                        "is now at version %(version)s). Open it again."
                    )
                    % {"version": error.current_version},
                )
            else:
                messages.success(request, _("The follow-up was recorded."))
                return redirect("followups:due")
        status = 409 if form.non_field_errors() else 200
    else:
        form = FollowUpForm(
            initial={
                "situation": follow_up.situation or None,
                "contract_type": follow_up.contract_type,
                "hours_per_week": follow_up.hours_per_week,
                "situation_on": follow_up.situation_on or timezone.localdate(),
                "version": follow_up.version,
            }
        )
    return render(
        request,
        "followups/record.html",
        {"form": form, "follow_up": follow_up, "actor": actor},
        status=status,
    )


def own_programmes(actor: Actor) -> list[tuple[str, str]]:
    """The actor's organisation's programmes, as (slug, name) choices."""
    language = get_language() or "fr"
    return [
        (programme.slug, programme.name(language))
        for programme in programmes_visible().filter(organisation=actor.organisation)
    ]


@require_POST
@staff_view
def participation_new(request: HttpRequest, actor: Actor, person_id: str) -> HttpResponse:
    form = ParticipationForm(request.POST, programmes=own_programmes(actor))
    if form.is_valid():
        programme = (
            programmes_visible()
            .filter(organisation=actor.organisation, slug=form.cleaned_data["programme"])
            .first()
        )
        try:
            services.participation_record(
                actor=actor,
                person_id=person_id,
                programme=programme,
                started_on=form.cleaned_data["started_on"],
                ended_on=form.cleaned_data["ended_on"],
            )
        except services.FollowUpDataError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("The participation was recorded."))
    else:
        messages.error(
            request,
            "; ".join(
                f"{form.fields[name].label}: {' '.join(str(error) for error in errors)}"
                for name, errors in form.errors.items()
            ),
        )
    return redirect("people:detail", person_id=person_id)
