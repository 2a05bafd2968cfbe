"""E-mails to the platform's administrators (reports of scheduled jobs)."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage, get_connection
from django.db.models import Q
from django.utils import translation

from passerelle.web.apps.accounts.models import PlatformRole


def mail_platform_admins(text: Callable[[], tuple[str, str]]) -> int:
    """Send `text()` (subject, body), in each one's language, to every active platform
    administrator and superuser with an address; how many were sent."""
    admins = (
        get_user_model()
        .objects.filter(is_active=True)
        .exclude(email="")
        .filter(Q(is_superuser=True) | Q(staff_profile__platform_role=PlatformRole.ADMIN))
        .select_related("staff_profile")
        .distinct()
    )
    messages = []
    for user in admins:
        profile = getattr(user, "staff_profile", None)
        with translation.override(getattr(profile, "language", "") or settings.LANGUAGE_CODE):
            subject, body = text()
        messages.append(EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email]))
    if messages:
        get_connection(fail_silently=True).send_messages(messages)
    return len(messages)
