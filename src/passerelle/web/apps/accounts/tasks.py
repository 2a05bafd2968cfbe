"""Background work on accounts: clean-up of revoked API tokens and expired sessions."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.sessions.models import Session
from django.utils import timezone

from passerelle.web.apps.accounts.models import ApiToken
from passerelle.web.apps.ops.queue import background_task


@background_task(retries=2)
def tokens_clean_up() -> dict[str, int]:
    """Schedule `api-token-clean-up`: API tokens have no end date; a revoked one is refused
    at once and is deleted API_TOKEN_REVOKED_KEEP_DAYS after its revocation (the audit log
    keeps who revoked it and when); expired login sessions are deleted too."""
    keep = dt.timedelta(days=int(getattr(settings, "API_TOKEN_REVOKED_KEEP_DAYS", 90)))
    now = timezone.now()
    tokens, _by_model = ApiToken.objects.filter(revoked_at__lt=now - keep).delete()
    sessions, _by_model = Session.objects.filter(expire_date__lt=now).delete()
    return {"tokens": tokens, "sessions": sessions}
