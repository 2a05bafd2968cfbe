"""Background work of referrals, run by the worker (docs/operations.md): webhook
deliveries, the e-mails of a transition and overdue flags (follow-up reminders: the
followups app)."""

from __future__ import annotations

import datetime as dt
import logging

from django.utils import timezone

from passerelle.web.apps.ops.queue import background_task, enqueue
from passerelle.web.apps.referrals import webhooks
from passerelle.web.apps.referrals.models import Referral, ReferralEvent, State
from passerelle.web.apps.referrals.notifications import notify_overdue, notify_transition

log = logging.getLogger(__name__)


@background_task(retries=0)
def webhooks_deliver_event(event_id: int) -> dict[str, int]:
    """The first attempt of an event's deliveries, right after its transition; failed ones
    wait for their backoff and the `webhook-retries` schedule (webhooks.deliver_due)."""
    report = webhooks.deliver_due(event_id=event_id, limit=50)
    return {"delivered": report.delivered, "retried": report.retried, "failed": report.failed}


@background_task(retries=0)
def webhooks_deliver_due() -> dict[str, int]:
    """Every delivery whose next attempt is due (schedule `webhook-retries`)."""
    report = webhooks.deliver_due(limit=1000)
    return {"delivered": report.delivered, "retried": report.retried, "failed": report.failed}


@background_task(retries=5, backoff=dt.timedelta(minutes=1))
def referral_notify(referral_id: str, event_id: int, side: str | None) -> None:
    """The e-mails of one transition (queued once, by the transition that wrote the
    event)."""
    event = ReferralEvent.objects.filter(pk=event_id).first()
    referral = (
        Referral.objects.select_related("programme").filter(pk=referral_id).first()
        if event is not None
        else None
    )
    if event is None or referral is None:
        return  # the referral was erased since: nothing left to tell
    notify_transition(referral, event, side=side)


@background_task(retries=5, backoff=dt.timedelta(minutes=1))
def referral_notify_overdue(referral_id: str) -> None:
    referral = Referral.objects.select_related("programme").filter(pk=referral_id).first()
    if referral is not None and referral.state == State.SENT:
        notify_overdue(referral)


@background_task(retries=2)
def referrals_flag_overdue() -> int:
    """Schedule `referrals-overdue`: a sent referral past its answer date is flagged to the
    receiving organisation once (the idempotency key `referral-overdue:<id>`). The pages
    already show it overdue; this tells the staff who are not looking."""
    today = timezone.localdate()
    flagged = 0
    overdue = Referral.objects.filter(state=State.SENT, answer_due__lt=today).values_list(
        "pk", flat=True
    )
    for referral_id in overdue.iterator():
        if enqueue(
            referral_notify_overdue, str(referral_id), key=f"referral-overdue:{referral_id}"
        ):
            flagged += 1
    return flagged
