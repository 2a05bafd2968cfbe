"""Background work of follow-ups (docs/operations.md, "Schedules"): the daily reminder."""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from passerelle.web.apps.followups.services import follow_ups_announce
from passerelle.web.apps.ops.queue import background_task, enqueue
from passerelle.web.apps.referrals.services import send_to_staff

log = logging.getLogger(__name__)


@background_task(retries=5, backoff=dt.timedelta(minutes=1))
def follow_ups_notify(organisation_id: int, count: int, on: str) -> None:
    """One e-mail to the staff of an organisation: how many follow-ups became due, and the
    link to the list; no person named."""

    def text() -> tuple[str, str]:
        link = settings.PASSERELLE_BASE_URL.rstrip("/") + reverse("followups:due")
        subject = _("passerelle: {count} follow-up(s) due").format(count=count)
        body = _(
            "{count} follow-up(s) of people your organisation supported are due: ask them "
            "about their situation and record it.\n\nThe list: {link}\n"
        ).format(count=count, link=link)
        return str(subject), str(body)

    send_to_staff(organisation_id, text, message_key=f"follow-ups-due-{organisation_id}-{on}")


@background_task(retries=2)
def follow_ups_remind() -> int:
    """Schedule `follow-up-reminders`: every open follow-up due by today is announced once
    (webhook event `follow_up.due`), and each organisation holding some gets one e-mail a
    day (keyed per organisation and day). Returns how many became due."""
    today = timezone.localdate()
    per_organisation = follow_ups_announce(on=today)
    for organisation_id, count in per_organisation.items():
        key = f"follow-ups-due:{organisation_id}:{today.isoformat()}"
        enqueue(follow_ups_notify, organisation_id, count, today.isoformat(), key=key)
    due = sum(per_organisation.values())
    log.info("follow-ups due: %s", due)
    return due
