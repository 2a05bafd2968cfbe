"""The webhooks' section of the integrations page (the page is the accounts app's): register,
pause and resume a webhook (the signing secret shown once), and the latest deliveries."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _

from passerelle.web.apps.accounts.integrations import (
    IntegrationSection,
    form_with_secret,
    record_change,
)
from passerelle.web.apps.referrals.forms import WebhookForm
from passerelle.web.apps.referrals.webhooks import (
    WebhookRequestError,
    deliveries_of,
    webhook_register,
    webhook_set_active,
    webhooks_of,
)
from passerelle.web.common.actors import Actor


def _act(request: HttpRequest, actor: Actor, action: str, context: dict[str, Any]) -> bool | None:
    if action in {"webhook-pause", "webhook-resume"}:
        return record_change(
            request,
            lambda: webhook_set_active(
                organisation=actor.organisation,
                webhook_id=request.POST.get("id", ""),
                active=action == "webhook-resume",
                by=actor.user,
            ),
            _("Webhook changed."),
        )
    if action != "webhook-register":
        return None
    return form_with_secret(
        request,
        context,
        form_class=WebhookForm,
        prefix="webhook",
        make=lambda data: webhook_register(
            organisation=actor.organisation, url=data["url"], by=actor.user
        )[1],
        refused=WebhookRequestError,
        label=_("The webhook's signing secret"),
    )


WEBHOOKS = IntegrationSection(
    template="referrals/_integrations_webhooks.html",
    context=lambda actor: {
        "webhook_form": WebhookForm(prefix="webhook"),
        "webhooks": webhooks_of(actor.organisation),
        "deliveries": deliveries_of(actor.organisation),
    },
    act=_act,
)
