"""Caseworkers' pages for person files. Every read goes through `people.access` (this
module may not import `people.models`); every write through `people.services`."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from passerelle.core.profile import ProfileError
from passerelle.core.rules.fields import DateOutOfCoverageError
from passerelle.web.apps.accounts.decorators import staff_view
from passerelle.web.apps.accounts.models import EMPLOYER_KINDS
from passerelle.web.apps.directory.selectors import organisations_visible
from passerelle.web.apps.directory.situation import situation_for
from passerelle.web.apps.people import access, services
from passerelle.web.apps.people.access import PersonAccess
from passerelle.web.apps.people.forms import ConsentForm, DisclosureForm, PersonForm
from passerelle.web.apps.people.schemas import PersonDataError, rules_profile
from passerelle.web.common.actors import Actor, OperationDeniedError
from passerelle.web.common.labels import (
    STAFF_PATHWAY_LABELS,
    STAFF_PROGRAMME_STATUS_LABELS,
    STAFF_RIGHT_TO_WORK_LABELS,
    request_language,
)
from passerelle.web.common.pages import list_page

PAGE_SIZE = 25


def _other_organisations(actor: Actor) -> list[tuple[str, str]]:
    language = request_language()
    return [
        (str(organisation.pk), organisation.name(language))
        for organisation in organisations_visible()
        .exclude(pk=actor.organisation.pk)
        .exclude(kind__in=EMPLOYER_KINDS)
    ]


def _organisation(actor: Actor, value: str | None) -> Any:
    if not value:
        return None
    return organisations_visible().exclude(pk=actor.organisation.pk).filter(pk=value).first()


@staff_view
def person_list(request: HttpRequest, actor: Actor) -> HttpResponse:
    search = request.GET.get("q", "").strip()[:100]
    persons = access.persons_for(actor, search=search)
    listing = list_page(request, persons, PAGE_SIZE)
    access.audit_person_list(actor, page=listing["page"].number, searched=bool(search))
    return render(request, "people/list.html", {**listing, "q": search, "actor": actor})


@staff_view
def person_new(request: HttpRequest, actor: Actor) -> HttpResponse:
    if not actor.allowed("edit", "own"):
        raise OperationDeniedError("edit")
    form = PersonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            person = services.person_create(actor=actor, data=form.person_data())
        except PersonDataError as error:
            form.add_data_errors(error.errors)
        else:
            messages.success(request, _("The file was created."))
            return redirect("people:detail", person_id=person.pk)
    return render(request, "people/edit.html", {"form": form, "actor": actor, "new": True})


def _situation(access_: PersonAccess) -> tuple[dict[str, Any] | None, str]:
    """The person's rights and options today, or why they cannot be shown."""
    person = access_.person
    if "profile" not in access_.fields:
        return None, _("The profile was not shared with your organisation.")
    try:
        # Computed from the disclosed groups only: no birth date shared, no age shown.
        profile = rules_profile(*access.disclosed_rules_data(person, access_.fields))
        return _in_third_person(situation_for(profile, timezone.localdate())), ""
    except (ProfileError, DateOutOfCoverageError) as error:
        return None, str(error)


def _in_third_person(result: dict[str, Any]) -> dict[str, Any]:
    """The finder's result as a caseworker reads it: about the person ("may work"), not
    addressed to them ("you may work")."""
    for fact, labels in (
        ("right_to_work", STAFF_RIGHT_TO_WORK_LABELS),
        ("integration_pathway", STAFF_PATHWAY_LABELS),
    ):
        answer = result[fact]
        answer["label"] = labels.get(answer["value"], answer["label"])
        if answer.get("next_value"):
            answer["next_label"] = labels.get(answer["next_value"], answer["next_label"])
    result["groups"] = [
        (status, STAFF_PROGRAMME_STATUS_LABELS.get(status, title), items)
        for status, title, items in result["groups"]
    ]
    return result


@staff_view
def person_detail(request: HttpRequest, actor: Actor, person_id: str) -> HttpResponse:
    found = access.person_for(actor, person_id, "view")
    situation, situation_note = _situation(found)
    organisations = _other_organisations(actor) if found.relation == "own" else []
    return render(
        request,
        "people/detail.html",
        {
            "found": found,
            "person": found.person,
            "visible": found.visible,
            "situation": situation,
            "situation_note": situation_note,
            "consents": access.consents_for(found),
            "disclosures": access.disclosures_for(found),
            "versions": access.versions_for(found)[:20],
            "consent_form": ConsentForm(organisations=organisations),
            "disclosure_form": DisclosureForm(organisations=organisations),
            "actor": actor,
        },
    )


@staff_view
def person_edit(request: HttpRequest, actor: Actor, person_id: str) -> HttpResponse:
    found = access.person_for(actor, person_id, "edit")
    if request.method == "POST":
        form = PersonForm(request.POST)
        if form.is_valid():
            try:
                services.person_update(
                    actor=actor,
                    person_id=found.person.pk,
                    data=form.person_data(),
                    expected_version=form.cleaned_data.get("version") or 0,
                )
            except PersonDataError as error:
                form.add_data_errors(error.errors)
            except services.ConcurrentEditError as error:
                form.add_error(
                    None,
                    _(
                        "Someone else changed this file while you were editing it (it is now "
                        "at version %(version)s). Your changes were not saved: open the file "
                        "again and make them on the new version."
                    )
                    % {"version": error.current_version},
                )
            else:
                messages.success(request, _("The file was saved."))
                return redirect("people:detail", person_id=found.person.pk)
        status = 409 if form.non_field_errors() else 200
    else:
        form = PersonForm(initial=PersonForm.initial_from(found.visible, found.person.version))
        status = 200
    return render(
        request,
        "people/edit.html",
        {"form": form, "actor": actor, "person": found.person, "new": False},
        status=status,
    )


@require_POST
@staff_view
def consent_new(request: HttpRequest, actor: Actor, person_id: str) -> HttpResponse:
    _post_from_file_page(
        request,
        ConsentForm(request.POST, organisations=_other_organisations(actor)),
        lambda data: services.consent_record(
            actor=actor,
            person_id=person_id,
            purpose=data["purpose"],
            recipient=_organisation(actor, data.get("recipient")),
            fields=data["shared_fields"],
            given_on=data["given_on"],
        ),
        _("The consent was recorded."),
    )
    return redirect("people:detail", person_id=person_id)


@require_POST
@staff_view
def consent_withdraw(
    request: HttpRequest, actor: Actor, person_id: str, consent_id: str
) -> HttpResponse:
    _written_from_file_page(
        request,
        lambda: services.consent_withdraw(
            actor=actor, person_id=person_id, consent_id=consent_id, on=timezone.localdate()
        ),
        _("The consent was withdrawn; sharing under it has ended."),
    )
    return redirect("people:detail", person_id=person_id)


@require_POST
@staff_view
def person_disclose(request: HttpRequest, actor: Actor, person_id: str) -> HttpResponse:
    _post_from_file_page(
        request,
        DisclosureForm(request.POST, organisations=_other_organisations(actor)),
        lambda data: services.person_disclose(
            actor=actor,
            person_id=person_id,
            recipient=_organisation(actor, data["recipient"]),
            fields=data["shared_fields"],
            override_reason=data.get("override_reason") or "",
        ),
        _("The data was shared."),
    )
    return redirect("people:detail", person_id=person_id)


def _post_from_file_page(
    request: HttpRequest, form: Any, write: Callable[[dict[str, Any]], object], success: str
) -> None:
    """A form posted from the file page: written with its data if valid, each problem said
    in a message on the page it returns to."""
    if form.is_valid():
        _written_from_file_page(request, lambda: write(form.cleaned_data), success)
    else:
        messages.error(request, _form_errors(form))


def _written_from_file_page(
    request: HttpRequest, write: Callable[[], object], success: str
) -> None:
    """Run a write and say on the file page how it went: `success`, or why it was refused."""
    try:
        write()
    except services.ConsentRequiredError:
        messages.error(
            request,
            _(
                "No consent of the person covers this: record their consent first. A "
                "coordinator may share without consent by writing the reason."
            ),
        )
    except PersonDataError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, success)


def _form_errors(form: Any) -> str:
    return "; ".join(
        f"{form.fields[name].label if name in form.fields else name}: {' '.join(errors)}"
        for name, errors in form.errors.items()
    )


@staff_view
def person_export_json(request: HttpRequest, actor: Actor, person_id: str) -> HttpResponse:
    data = services.person_export(actor=actor, person_id=person_id)
    response = JsonResponse(data, json_dumps_params={"ensure_ascii": False, "indent": 2})
    response["Content-Disposition"] = f'attachment; filename="person-{data["id"]}.json"'
    return response


@staff_view
def person_export_page(request: HttpRequest, actor: Actor, person_id: str) -> HttpResponse:
    """Everything held about the person, readable, in the person's own language."""
    data = services.person_export(actor=actor, person_id=person_id)
    language = data.get("contact", {}).get("language") or request_language()
    with translation.override(language):
        response = render(
            request,
            "people/export.html",
            {
                "data": data,
                "data_json": json.dumps(data, ensure_ascii=False, indent=2),
                "export_language": language,
                "export_bidi": translation.get_language_bidi(),
            },
        )
    return response


@staff_view
def person_erase(request: HttpRequest, actor: Actor, person_id: str) -> HttpResponse:
    found = access.person_for(actor, person_id, "erase")
    if request.method == "POST":
        if request.POST.get("confirm") != "erase":
            messages.error(request, _("Tick the box to confirm the erasure."))
            return redirect("people:erase", person_id=found.person.pk)
        services.person_erase(actor=actor, person_id=found.person.pk)
        messages.success(request, _("The person's data was erased."))
        return redirect("people:list")
    return render(request, "people/erase.html", {"person": found.person, "actor": actor})


@require_POST
@staff_view
def person_close(request: HttpRequest, actor: Actor, person_id: str) -> HttpResponse:
    services.person_close(actor=actor, person_id=person_id, on=timezone.localdate())
    messages.success(request, _("The file was closed."))
    return redirect("people:detail", person_id=person_id)
