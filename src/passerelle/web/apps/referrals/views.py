"""Referral pages: inbox and outbox, a referral's timeline and actions, a new referral from
a person's file, capacities and routing protocols (the integrations page, with the webhooks
section of `referrals.integrations`, is the accounts app's). Reads through `referrals.access` and
`people.access`, writes through the services."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from passerelle.web.apps.accounts.decorators import staff_view
from passerelle.web.apps.directory.selectors import programmes_visible
from passerelle.web.apps.directory.situation import condition_sentences
from passerelle.web.apps.people import access as people_access
from passerelle.web.apps.people.schemas import PersonDataError
from passerelle.web.apps.referrals import access, services
from passerelle.web.apps.referrals.capacity import capacity_set, waiting_on
from passerelle.web.apps.referrals.forms import (
    CapacityForm,
    ProtocolForm,
    ReferralForm,
    TransitionForm,
)
from passerelle.web.apps.referrals.models import State
from passerelle.web.apps.referrals.routing import protocol_publish, protocols_on, suggestions_for
from passerelle.web.common.actors import Actor, OperationDeniedError, PersonNotFoundError
from passerelle.web.common.forms import add_field_errors
from passerelle.web.common.labels import STAFF_PROGRAMME_STATUS_LABELS, label, request_language

PAGE_SIZE = 30
ACTION_LABELS = {
    "send": gettext_lazy("Send"),
    "accept": gettext_lazy("Accept"),
    "reject": gettext_lazy("Reject"),
    "admit": gettext_lazy("Admit from the waiting list"),
    "start": gettext_lazy("Mark as started"),
    "complete": gettext_lazy("Record the outcome"),
    "no_show": gettext_lazy("Did not come"),
    "withdraw": gettext_lazy("Withdraw"),
}
DANGER_ACTIONS = frozenset({"reject", "no_show", "withdraw"})
"""Actions that end a referral: shown as secondary buttons, apart from the way forward."""


def _programme_choices(organisation: Any = None) -> list[tuple[str, str]]:
    language = request_language()
    programmes = programmes_visible().select_related("organisation")
    if organisation is not None:
        programmes = programmes.filter(organisation=organisation)
    return [
        (str(p.pk), f"{p.name(language)} · {p.organisation.name(language)}") for p in programmes
    ]


def _box(request: HttpRequest, actor: Actor, box: str) -> HttpResponse:
    state = request.GET.get("state", "")
    if state and state not in State.values:
        state = ""
    referrals = access.referrals_for(
        actor,
        box=box,
        state=state,
        programme=request.GET.get("programme", "")[:120],
        overdue=request.GET.get("overdue") == "1",
    )
    page = Paginator(referrals, PAGE_SIZE).get_page(request.GET.get("page"))
    names = people_access.names_for(actor, [referral.person_id for referral in page])
    return render(
        request,
        "referrals/box.html",
        {
            "actor": actor,
            "box": box,
            "page": page,
            "rows": [(referral, names.get(referral.person_id)) for referral in page],
            # An organisation with one programme reads its name once, not on every row.
            "programmes": {referral.programme_id for referral in page},
            "states": State.choices,
            "state": state,
            "overdue": request.GET.get("overdue") == "1",
            "today": timezone.localdate(),
        },
    )


@staff_view
def inbox(request: HttpRequest, actor: Actor) -> HttpResponse:
    return _box(request, actor, "inbox")


@staff_view
def outbox(request: HttpRequest, actor: Actor) -> HttpResponse:
    return _box(request, actor, "outbox")


def _found(actor: Actor, referral_id: str) -> Any:
    try:
        return access.referral_for(actor, referral_id)
    except access.ReferralNotFoundError:
        raise Http404 from None


@staff_view
def referral_detail(request: HttpRequest, actor: Actor, referral_id: str) -> HttpResponse:
    return _detail_page(request, actor, _found(actor, referral_id))


def _detail_page(
    request: HttpRequest,
    actor: Actor,
    referral: Any,
    *,
    failed: tuple[str, TransitionForm] | None = None,
) -> HttpResponse:
    """The referral's page; `failed` is the action whose form came back with errors, shown
    again with them (and a 400 status)."""
    side = access.side_of(actor, referral)
    forms = {
        name: TransitionForm(initial={"version": referral.version}, action=name)
        for name, transition in services.TRANSITIONS.items()
        if transition.side == side and referral.state in transition.sources
    }
    if failed is not None and failed[0] in forms:
        forms[failed[0]] = failed[1]
    try:
        person = people_access.person_for(actor, referral.person_id, "view")
    except (PersonNotFoundError, OperationDeniedError):
        person = None
    eligibility = referral.eligibility or {}
    return render(
        request,
        "referrals/detail.html",
        {
            "actor": actor,
            "referral": referral,
            "side": side,
            "person": person,
            "events": access.timeline(referral),
            "actions": [
                (name, ACTION_LABELS[name], form, name in DANGER_ACTIONS)
                for name, form in forms.items()
            ],
            "failed_form": failed[1] if failed is not None else None,
            "overdue": access.is_overdue(referral),
            "eligibility_label": label(
                STAFF_PROGRAMME_STATUS_LABELS, eligibility.get("status", "unknown")
            ),
            "eligibility_from": _iso_date(eligibility.get("from")),
            # Conditions are put in words in the reader's language; referrals stored before
            # conditions were kept show their stored sentences.
            "eligibility_reasons": (
                condition_sentences(eligibility["conditions"])
                if eligibility.get("conditions")
                else eligibility.get("reasons", [])
            ),
            "eligibility_in_reader_language": bool(eligibility.get("conditions")),
        },
        status=400 if failed is not None else 200,
    )


def _iso_date(value: object) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


@require_POST
@staff_view
def referral_act(request: HttpRequest, actor: Actor, referral_id: str, action: str) -> HttpResponse:
    found = _found(actor, referral_id)  # 404 for another's referral, 403 for a role that may not
    form = TransitionForm(request.POST, action=action)
    if not form.is_valid():
        if form.has_error("version"):
            messages.error(request, _("The form was incomplete; nothing changed."))
            return redirect("referrals:detail", referral_id=referral_id)
        return _detail_page(request, actor, found, failed=(action, form))
    data = form.cleaned_data
    try:
        referral = services.referral_transition(
            actor=actor,
            referral_id=referral_id,
            action=action,
            expected_version=data["version"],
            reason=data.get("reason") or "",
            text=data.get("text") or "",
            outcome=data.get("outcome") or "",
            override_reason=data.get("override_reason") or "",
        )
    except access.ReferralNotFoundError:
        raise Http404 from None
    except OperationDeniedError:
        messages.error(request, _("Only a coordinator may share without the person's consent."))
    except (services.TransitionError, PersonDataError) as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request, _("The referral is now: %(state)s.") % {"state": referral.get_state_display()}
        )
    return redirect("referrals:detail", referral_id=referral_id)


@staff_view
def referral_new(request: HttpRequest, actor: Actor, person_id: str) -> HttpResponse:
    found = people_access.person_for(actor, person_id, "refer")
    form = ReferralForm(request.POST or None, programmes=_programme_choices())
    on = timezone.localdate()
    if request.method == "POST" and form.is_valid():
        programme = programmes_visible().filter(pk=form.cleaned_data["programme"]).first()
        if programme is None:
            form.add_error("programme", _("This programme is not in the directory."))
        else:
            try:
                referral = services.referral_create(
                    actor=actor,
                    person_id=found.person.pk,
                    programme=programme,
                    planned_start=form.cleaned_data["planned_start"],
                    fields=form.cleaned_data["shared_fields"],
                    note=form.cleaned_data.get("note") or "",
                    ineligibility_reason=form.cleaned_data.get("ineligibility_reason") or "",
                )
            except PersonDataError as error:
                add_field_errors(form, error.errors)
            else:
                messages.success(request, _("Draft saved: check it, then send it."))
                return redirect("referrals:detail", referral_id=referral.pk)
    suggestions = [
        {"suggestion": suggestion, "waiting": waiting_on(suggestion.programme, on)}
        for suggestion in suggestions_for(found.person, on)
    ]
    return render(
        request,
        "referrals/new.html",
        {"actor": actor, "person": found.person, "form": form, "suggestions": suggestions},
    )


def _settings_saved(
    request: HttpRequest,
    form: forms.Form,
    write: Callable[[dict[str, Any]], object],
    message: str,
) -> bool:
    """Write a valid settings form with `write` and say so (`message`); the service's
    refusals go to the form's fields."""
    if not form.is_valid():
        return False
    try:
        write(form.cleaned_data)
    except PersonDataError as error:
        add_field_errors(form, error.errors)
        return False
    messages.success(request, message)
    return True


@staff_view
def organisation_settings(request: HttpRequest, actor: Actor) -> HttpResponse:
    """Capacities and routing protocols of the actor's organisation (coordinators and
    organisation administrators change them)."""
    if not actor.allowed("settings_view", "organisation"):
        raise OperationDeniedError("settings")
    own = _programme_choices(actor.organisation)
    may_change = actor.allowed("settings", "organisation")
    capacity_form = CapacityForm(prefix="capacity", programmes=own)
    protocol_form = ProtocolForm(prefix="protocol", programmes=own)
    if request.method == "POST":
        if not may_change:
            raise OperationDeniedError("settings")
        programmes = programmes_visible().filter(organisation=actor.organisation)
        if "capacity-programme" in request.POST:
            capacity_form = CapacityForm(request.POST, prefix="capacity", programmes=own)
            saved = _settings_saved(
                request,
                capacity_form,
                lambda data: capacity_set(
                    programme=programmes.get(pk=data["programme"]),
                    period_start=data["period_start"],
                    period_end=data["period_end"],
                    places=data["places"],
                    by=actor.user,
                ),
                _("Capacity saved."),
            )
        else:
            protocol_form = ProtocolForm(request.POST, prefix="protocol", programmes=own)
            saved = _settings_saved(
                request,
                protocol_form,
                lambda data: protocol_publish(
                    organisation=actor.organisation,
                    programme=programmes.get(pk=data["programme"]),
                    name=data["name"],
                    criteria=data["criteria"],
                    valid_from=data["valid_from"],
                    valid_to=data.get("valid_to"),
                    by=actor.user,
                ),
                _("Protocol published."),
            )
        if saved:
            return redirect("referrals:settings")
    on = timezone.localdate()
    own_programmes = programmes_visible().filter(organisation=actor.organisation)
    context = {
        "actor": actor,
        "may_change": may_change,
        "capacity_form": capacity_form,
        "protocol_form": protocol_form,
        "programmes": [(p, waiting_on(p, on)) for p in own_programmes],
        "protocols": [p for p in protocols_on(on) if p.organisation_id == actor.organisation.pk],
    }
    return render(request, "referrals/settings.html", context)
