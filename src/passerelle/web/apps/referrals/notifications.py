"""E-mails about referrals: to the staff of the organisation on the other side, in each
recipient's language, with a link and no personal data."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mass_mail
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from passerelle.web.apps.referrals.models import Referral, ReferralEvent, State


def notify_transition(referral: Referral, event: ReferralEvent, *, side: str | None) -> None:
    """Tell the other side. The body names the programme and the new state, never the
    person: the link leads to the page, behind the login."""
    if event.to_state == State.DRAFT:
        return
    organisation = referral.receiver if side == "sender" else referral.sender
    # One query, on the request path of every transition: addresses and languages only.
    recipients = (
        get_user_model()
        .objects.filter(memberships__organisation=organisation, is_active=True)
        .exclude(email="")
        .values_list("email", "staff_profile__language")
        .order_by()
    )
    link = settings.PASSERELLE_BASE_URL.rstrip("/") + reverse(
        "referrals:detail", kwargs={"referral_id": referral.pk}
    )
    messages = []
    for email, language in recipients:
        with translation.override(language or settings.LANGUAGE_CODE):
            programme = referral.programme.name(translation.get_language() or "fr")
            subject = _("Referral to {programme}: {state}").format(
                programme=programme, state=State(event.to_state).label
            )
            body = _(
                "A referral to {programme} is now: {state}.\n\nOpen it in passerelle: {link}\n"
            ).format(programme=programme, state=State(event.to_state).label, link=link)
        messages.append((str(subject), str(body), settings.DEFAULT_FROM_EMAIL, [email]))
    if messages:
        send_mass_mail(messages, fail_silently=True)
