"""The organisation administrators' integrations page: plugging the organisation's own
system in. The accounts app owns the page and the API tokens (the key shown once); an app
with more to plug in (referrals: webhooks and their deliveries) adds a section from its
`AppConfig.ready` through `integration_section_add`, so that accounts imports no other app."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from passerelle.core.validation import InvalidFieldsError
from passerelle.web.apps.accounts.decorators import staff_view
from passerelle.web.apps.accounts.models import ApiScope
from passerelle.web.apps.accounts.services import (
    TokenRequestError,
    api_token_issue,
    api_token_revoke,
    api_tokens_of,
)
from passerelle.web.common.actors import Actor, OperationDeniedError
from passerelle.web.validators import plain_text

Act = Callable[[HttpRequest, Actor, str, dict[str, Any]], bool | None]


@dataclass(frozen=True)
class IntegrationSection:
    """A part of the page: `template` is included with the page's context; `context` gives
    what it shows (its keys are set only where an action did not set them already); `act`
    answers the POSTed `action` it knows: True when done (the page is shown again by a
    redirect), False when the page shows again with the context the action set (a form's
    errors, or a secret shown once in `shown_once`), None when the action is not its own."""

    template: str
    context: Callable[[Actor], dict[str, Any]]
    act: Act


SECTIONS: list[IntegrationSection] = []


def integration_section_add(section: IntegrationSection) -> None:
    if section not in SECTIONS:
        SECTIONS.append(section)


class TokenForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("What the token is for"), max_length=100, validators=[plain_text]
    )
    scopes = forms.MultipleChoiceField(
        label=gettext_lazy("What it may do"),
        choices=ApiScope.choices,
        widget=forms.CheckboxSelectMultiple,
    )


def record_change(request: HttpRequest, change: Callable[[], object], done: str) -> bool:
    """Apply `change` to one of the organisation's records named in the POST (404 when it
    is not one of them), say `done`; the page is shown again by a redirect."""
    try:
        change()
    except (LookupError, ValidationError) as error:
        raise Http404 from error
    messages.success(request, done)
    return True


def form_with_secret(
    request: HttpRequest,
    context: dict[str, Any],
    *,
    form_class: type[forms.Form],
    prefix: str,
    make: Callable[[dict[str, Any]], str],
    refused: type[InvalidFieldsError],
    label: str,
) -> bool:
    """Bind `form_class` to the POST (in the context under `<prefix>_form`); when valid,
    `make` returns the secret shown once under `label` (its `refused` errors go to their
    fields) and the form is emptied. The page shows again without a redirect."""
    key = f"{prefix}_form"
    form = context[key] = form_class(request.POST, prefix=prefix)
    if form.is_valid():
        try:
            secret = make(form.cleaned_data)
        except refused as error:
            for name, message in error.errors.items():
                form.add_error(name, message)
        else:
            context["shown_once"] = {"label": label, "value": secret}
            context[key] = form_class(prefix=prefix)
    return False


def _tokens_act(
    request: HttpRequest, actor: Actor, action: str, context: dict[str, Any]
) -> bool | None:
    if action == "token-revoke":
        return record_change(
            request,
            lambda: api_token_revoke(
                organisation=actor.organisation, token_id=request.POST.get("id", ""), by=actor.user
            ),
            _("Token revoked."),
        )
    if action != "token-issue":
        return None
    return form_with_secret(
        request,
        context,
        form_class=TokenForm,
        prefix="token",
        make=lambda data: api_token_issue(
            organisation=actor.organisation, name=data["name"], scopes=data["scopes"], by=actor.user
        )[1],
        refused=TokenRequestError,
        label=_("The token's key"),
    )


TOKENS = IntegrationSection(
    template="accounts/_integrations_tokens.html",
    context=lambda actor: {
        "token_form": TokenForm(prefix="token"),
        "tokens": api_tokens_of(actor.organisation),
    },
    act=_tokens_act,
)


@staff_view
def integrations(request: HttpRequest, actor: Actor) -> HttpResponse:
    """API tokens, and what the other apps add (webhooks, with their latest deliveries)."""
    if not actor.allowed("integrations", "organisation"):
        raise OperationDeniedError("integrations")
    sections = [TOKENS, *SECTIONS]
    context: dict[str, Any] = {"actor": actor, "shown_once": {}}
    if request.method == "POST":
        action = request.POST.get("action", "")
        for section in sections:
            done = section.act(request, actor, action, context)
            if done is not None:
                break
        else:
            messages.error(request, _("Unknown action."))
        if done:
            return redirect("accounts:integrations")
    for section in sections:
        for key, value in section.context(actor).items():
            context.setdefault(key, value)
    context["sections"] = [section.template for section in sections]
    return render(request, "accounts/integrations.html", context)
