"""Matching pages: the coordinator's rounds (one click for this month's round, review,
adjust, confirm), mentors, the hosts' offers, the employers' vacancies and gap analysis.
Reads through `matching.access`, writes through `matching.services`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import get_language_bidi, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from passerelle.core.matching.explain import reason_text
from passerelle.core.matching.model import Kind
from passerelle.web.apps.accounts.decorators import staff_view
from passerelle.web.apps.directory.selectors import programmes_visible
from passerelle.web.apps.matching import access, services
from passerelle.web.apps.matching.forms import (
    MentorForm,
    MoveForm,
    OfferForm,
    RoundForm,
    VacancyForm,
    add_errors,
)
from passerelle.web.apps.matching.gaps import offer_gaps
from passerelle.web.apps.matching.models import ProposalStatus, RoundStatus
from passerelle.web.apps.matching.schemas import MatchingDataError
from passerelle.web.common.actors import Actor, OperationDeniedError
from passerelle.web.common.labels import request_language

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


def _programme_choices(queryset: Any) -> list[tuple[str, str]]:
    language = request_language()
    return [(p.slug, f"{p.name(language)} · {p.organisation.name(language)}") for p in queryset]


@staff_view
def home(request: HttpRequest, actor: Actor) -> HttpResponse:
    if not access.may_open_matching(actor):
        raise OperationDeniedError("matching")
    programmes = list(access.programmes_to_match(actor).select_related("organisation"))
    context: dict[str, Any] = {
        "actor": actor,
        "programmes": [(p, services.default_kind(p)) for p in programmes],
        "today": timezone.localdate(),
    }
    if programmes:
        context["rounds"] = access.rounds_for(actor)[:20]
        context["form"] = RoundForm(
            programmes=_programme_choices(programmes),
            initial={"on": timezone.localdate(), "kind": services.default_kind(programmes[0])},
        )
    if access.may_keep_mentors(actor):
        context["mentors"] = access.mentors_for(actor)
    if access.may_keep_offers(actor):
        offers, vacancies = access.offers_for(actor), access.vacancies_for(actor)
        # Employers and hosts always; others once their organisation has published some.
        context["may_publish"] = True
        if not access.may_keep_mentors(actor) or offers.exists() or vacancies.exists():
            context["offers"], context["vacancies"] = offers, vacancies
    return render(request, "matching/home.html", context)


@require_POST
@staff_view
def round_start(request: HttpRequest, actor: Actor) -> HttpResponse:
    """The full form, or one click ("match this month"): a programme only, with today's
    date, the programme's kind and priority to those waiting longest."""
    programmes = access.programmes_to_match(actor).select_related("organisation")
    if not programmes:
        raise OperationDeniedError("run")
    programme = programmes.filter(slug=request.POST.get("programme", "")[:120]).first()
    one_click = request.POST.get("one_click") == "1"
    form = RoundForm(request.POST, programmes=_programme_choices(programmes))
    if one_click and programme is not None:
        values: dict[str, Any] = {}  # the service's defaults: services.ROUND_DEFAULTS
    elif form.is_valid() and programme is not None:
        values = {
            k: form.cleaned_data[k]
            for k in ("kind", "on", "waiting_priority", "balance_organisations")
        }
        values["min_score"] = form.cleaned_data["min_score"] or 0
    else:
        messages.error(request, _("The round could not start: check the form."))
        return _home_with(request, actor, form)
    try:
        matching_round = services.round_start(actor=actor, programme=programme, **values)
    except MatchingDataError as error:
        add_errors(form, error.errors)
        messages.error(request, "; ".join(error.errors.values()))
        return _home_with(request, actor, form)
    return redirect("matching:round", round_id=matching_round.pk)


def _home_with(request: HttpRequest, actor: Actor, form: RoundForm) -> HttpResponse:
    programmes = list(access.programmes_to_match(actor).select_related("organisation"))
    return render(
        request,
        "matching/home.html",
        {
            "actor": actor,
            "programmes": [(p, services.default_kind(p)) for p in programmes],
            "rounds": access.rounds_for(actor)[:20],
            "form": form,
            "today": timezone.localdate(),
        },
        status=422,
    )


@staff_view
def round_detail(request: HttpRequest, actor: Actor, round_id: Any) -> HttpResponse:
    matching_round = access.round_for(actor, round_id)
    proposals = list(
        matching_round.proposals.select_related(
            "referring_organisation", "mentor", "offer", "vacancy", "referral"
        )
    )
    open_round = matching_round.status == RoundStatus.PROPOSED
    slots = services.slot_choices(matching_round) if open_round else []
    choices = [(str(s.record.pk), s.slot.id) for s in slots]
    unmatched: dict[str, int] = matching_round.summary.get("unmatched", {})
    return render(
        request,
        "matching/round.html",
        {
            "actor": actor,
            "round": matching_round,
            "open": open_round,
            "matched": [p for p in proposals if p.slot is not None],
            "unmatched": [p for p in proposals if p.slot is None],
            "move_form": MoveForm(slots=choices) if choices else None,
            "reasons": [(reason_text(code), count) for code, count in unmatched.items()],
            "statuses": ProposalStatus,
        },
    )


@require_POST
@staff_view
def proposal_act(
    request: HttpRequest, actor: Actor, round_id: Any, number: int, action: str
) -> HttpResponse:
    try:
        if action == "remove":
            services.proposal_remove(actor=actor, round_id=round_id, number=number)
        elif action == "restore":
            services.proposal_restore(actor=actor, round_id=round_id, number=number)
        elif action == "move":
            services.proposal_move(
                actor=actor,
                round_id=round_id,
                number=number,
                slot=request.POST.get("slot", "")[:64],
            )
        else:
            raise access.MatchingNotFoundError(action)
    except MatchingDataError as error:
        messages.error(
            request,
            _("Candidate {number}: {problem}").format(
                number=number, problem="; ".join(error.errors.values())
            ),
        )
    else:
        messages.success(request, _("Candidate {number}: changed.").format(number=number))
    return redirect("matching:round", round_id=round_id)


@require_POST
@staff_view
def round_confirm(request: HttpRequest, actor: Actor, round_id: Any) -> HttpResponse:
    try:
        done = services.round_confirm(actor=actor, round_id=round_id)
    except MatchingDataError as error:
        messages.error(request, "; ".join(error.errors.values()))
    else:
        messages.success(
            request,
            _(
                "Round confirmed: {referred} referral(s) sent; {missing} without consent to "
                "share the file; {refused} refused by the referral rules."
            ).format(referred=done.referred, missing=done.consent_missing, refused=done.refused),
        )
    return redirect("matching:round", round_id=round_id)


def _initial(record: Any, form_class: Any) -> dict[str, Any]:
    """The form's fields as `record` holds them: lists of codes and levels as the text one
    types, the programme by its slug."""
    if record is None:
        return {}
    initial: dict[str, Any] = {}
    for name in form_class.base_fields:
        value = getattr(record, name)
        if name == "programme":
            value = value.slug if value else ""
        elif isinstance(value, list | dict):
            value = _as_text(value)
        initial[name] = value
    return initial


@dataclass(frozen=True)
class _Editing:
    """What the edit page of one kind of record needs: its form, the access check for the
    kind, the read of one record, the service that saves it (`key` names the record's id
    among its arguments) and the page's title."""

    form_class: Any
    check: Callable[[Actor], None]
    find: Callable[[Actor, Any], Any]
    save: Callable[..., Any]
    key: str
    title: StrOrPromise


_MENTORS = _Editing(
    MentorForm,
    access.check_mentors,
    access.mentor_for,
    services.mentor_save,
    "mentor_id",
    gettext_lazy("Mentor"),
)
_OFFERS = _Editing(
    OfferForm,
    access.check_offers,
    access.offer_for,
    services.offer_save,
    "offer_id",
    gettext_lazy("Internship offer"),
)
_VACANCIES = _Editing(
    VacancyForm,
    access.check_vacancies,
    access.vacancy_for,
    services.vacancy_save,
    "vacancy_id",
    gettext_lazy("Vacancy"),
)


def _edit(request: HttpRequest, actor: Actor, editing: _Editing, key: Any) -> HttpResponse:
    editing.check(actor)
    record = editing.find(actor, key) if key else None
    form_class = editing.form_class
    form_kwargs: dict[str, Any] = {}
    if "programme" in form_class.base_fields:
        visible = programmes_visible().select_related("organisation")
        form_kwargs["programmes"] = _programme_choices(visible)
    initial = _initial(record, form_class)
    form = form_class(request.POST or None, initial=initial, **form_kwargs)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = {k: v for k, v in form.cleaned_data.items() if v is not None and v != ""}
            for name in ("retired", "active", "recognition_required", "driving_licence_required"):
                if name in form.fields:
                    data[name] = bool(form.cleaned_data.get(name))
            try:
                editing.save(actor=actor, data=data, **{editing.key: key})
            except MatchingDataError as error:
                add_errors(form, error.errors)
            else:
                messages.success(request, _("Saved."))
                return redirect("matching:home")
        status = 422
    return render(
        request,
        "matching/edit.html",
        {"actor": actor, "form": form, "title": str(editing.title), "record": record},
        status=status,
    )


def _as_text(value: Any) -> str:
    if isinstance(value, dict):
        return " ".join(f"{code}:{level}" for code, level in value.items())
    return " ".join(str(v) for v in value)


@staff_view
def mentor_edit(request: HttpRequest, actor: Actor, mentor_id: Any = None) -> HttpResponse:
    return _edit(request, actor, _MENTORS, mentor_id)


@staff_view
def offer_edit(request: HttpRequest, actor: Actor, offer_id: Any = None) -> HttpResponse:
    return _edit(request, actor, _OFFERS, offer_id)


@staff_view
def vacancy_edit(request: HttpRequest, actor: Actor, vacancy_id: Any = None) -> HttpResponse:
    return _edit(request, actor, _VACANCIES, vacancy_id)


@staff_view
def gaps(request: HttpRequest, actor: Actor) -> HttpResponse:
    """Per open vacancy and internship offer of the actor's organisation: how many
    candidates qualify now and in 3, 6 and 12 months, and what holds the others back.
    Counts only, small cells withheld."""
    today = timezone.localdate()
    vacancies = list(access.vacancies_for(actor).filter(active=True))
    offers = list(
        access.offers_for(actor).filter(active=True, end_date__gte=today).select_related("host")
    )
    found = offer_gaps([*vacancies, *offers], today, rtl=get_language_bidi())
    return render(
        request,
        "matching/gaps.html",
        {
            "actor": actor,
            "gaps": [g for g in found if g.kind is Kind.vacancy],
            "internship_gaps": [g for g in found if g.kind is Kind.internship],
            "today": today,
        },
    )
