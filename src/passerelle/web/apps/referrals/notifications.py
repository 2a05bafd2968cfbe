"""E-mails about referrals: to the staff of the organisation on the other side, in each
recipient's language, with a link and no personal data."""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage, get_connection
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

    def text() -> tuple[str, str]:
        programme = referral.programme.name(translation.get_language() or "fr")
        subject = _("Referral to {programme}: {state}").format(
            programme=programme, state=State(event.to_state).label
        )
        body = _(
            "A referral to {programme} is now: {state}.\n\nOpen it in passerelle: {link}\n"
        ).format(programme=programme, state=State(event.to_state).label, link=_link(referral))
        return str(subject), str(body)

    send_to_staff(organisation, text, message_key=f"referral-event-{event.pk}")


def notify_overdue(referral: Referral) -> None:
    """Tell the receiving organisation that a referral waits past its answer date."""

    def text() -> tuple[str, str]:
        programme = referral.programme.name(translation.get_language() or "fr")
        subject = _("Referral to {programme}: waiting for your answer").format(programme=programme)
        body = _(
            "A referral to {programme} has waited past its answer date ({due}).\n\n"
            "Open it in passerelle: {link}\n"
        ).format(programme=programme, due=referral.answer_due, link=_link(referral))
        return str(subject), str(body)

    send_to_staff(referral.receiver_id, text, message_key=f"referral-overdue-{referral.pk}")


def _link(referral: Referral) -> str:
    return settings.PASSERELLE_BASE_URL.rstrip("/") + reverse(
        "referrals:detail", kwargs={"referral_id": referral.pk}
    )


def send_to_staff(
    organisation: Any, text: Callable[[], tuple[str, str]], *, message_key: str
) -> None:
    """One e-mail to each active staff member of `organisation`, in their language. The
    Message-ID is derived from `message_key` and the address, the same if the task that
    sends it runs again, so that mail systems drop a second copy."""
    # One query: addresses and languages only.
    with connection.cursor() as cursor:
        cursor.execute(_recipients_sql(), [organisation])
        recipients = cursor.fetchall()
    messages = []
    domain = settings.PASSERELLE_BASE_URL.split("//")[-1].split("/")[0].split(":")[0]
    for email, language in recipients:
        with translation.override(language or settings.LANGUAGE_CODE):
            subject, body = text()
        digest = hashlib.sha256(f"{message_key}|{email}".encode()).hexdigest()[:32]
        messages.append(
            EmailMessage(
                subject,
                body,
                settings.DEFAULT_FROM_EMAIL,
                [email],
                headers={"Message-ID": f"<{message_key}.{digest}@{domain or 'passerelle'}>"},
            )
        )
    if messages:
        get_connection(fail_silently=True).send_messages(messages)
