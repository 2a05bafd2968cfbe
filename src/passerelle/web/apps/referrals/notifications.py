"""E-mails about referrals: to the staff of the organisation on the other side, in each
recipient's language, with a link and no personal data."""

from __future__ import annotations

import functools
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mass_mail
from django.db import connection
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from passerelle.web.apps.accounts.models import Membership, StaffProfile
from passerelle.web.apps.referrals.models import Referral, ReferralEvent, State


@functools.cache
def _recipients_sql() -> str:
    """The active staff of an organisation with an address, and their e-mail language:
    the SQL is written once per process (the ORM built it again on every transition)."""
    quote = connection.ops.quote_name
    users, memberships = get_user_model()._meta, Membership._meta
    profiles = StaffProfile._meta

    def column(meta: Any, name: str) -> str:
        return quote(meta.get_field(name).column)

    return (
        # The SQL names only tables and columns from code; every value is a parameter.
        f"SELECT u.{column(users, 'email')}, sp.{column(profiles, 'language')} "  # noqa: S608
        f"FROM {quote(users.db_table)} u "
        f"INNER JOIN {quote(memberships.db_table)} m "
        f"ON m.{column(memberships, 'user')} = u.{column(users, 'id')} "
        f"LEFT JOIN {quote(profiles.db_table)} sp "
        f"ON sp.{column(profiles, 'user')} = u.{column(users, 'id')} "
        f"WHERE m.{column(memberships, 'organisation')} = %s "
        f"AND u.{column(users, 'is_active')} AND NOT (u.{column(users, 'email')} = '')"
    )


def notify_transition(referral: Referral, event: ReferralEvent, *, side: str | None) -> None:
    """Tell the other side. The body names the programme and the new state, never the
    person: the link leads to the page, behind the login."""
    if event.to_state == State.DRAFT:
        return
    organisation = referral.receiver_id if side == "sender" else referral.sender_id
    # One query, on the request path of every transition: addresses and languages only.
    with connection.cursor() as cursor:
        cursor.execute(_recipients_sql(), [organisation])
        recipients = cursor.fetchall()
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
