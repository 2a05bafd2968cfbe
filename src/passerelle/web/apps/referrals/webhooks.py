"""Delivering referral events to organisations' own systems (the outbox's sending half).

Each transition queues one `WebhookDelivery` per active webhook of the sender and the
receiver, in the transition's own transaction (`services._queue_deliveries`). This module
sends them: a POST of a small JSON body that names the event, the referral, its states,
the programme and the two organisations, and never any personal data (a system that wants
more reads `GET /api/v1/referrals/{id}` with its token). Headers:

- `X-Passerelle-Signature: sha256=<hex HMAC-SHA256 of the raw body, keyed with the
  webhook's secret>`;
- `X-Passerelle-Delivery: <delivery id>` (the same on every retry of one delivery, so the
  receiver can drop duplicates);
- `Idempotency-Key: passerelle-delivery-<delivery id>`, also in the signed body
  (`idempotency_key`): a worker killed after the receiver got a delivery but before it
  recorded the answer sends it again, and the receiver, keeping the keys it has processed,
  acts once (tests/web/ops/test_faults.py);
- `X-Passerelle-Event: referral.transition` (or the type of another app's event queued by
  `deliveries_queue`, such as `follow_up.recorded`, whose body is stored with the delivery).

Addresses go through `passerelle.web.outbound`: `https://` only, checked against private,
local, reserved and metadata addresses at registration and again, after resolving the
name once, at every delivery, which connects to the address that was checked (see
docs/security.md).

A 2xx answer within `TIMEOUT` seconds delivers it. Anything else (another status, a refused
connection, a timeout, a blocked address) is logged on the row (`attempts`, `last_status`
and `last_error`, a fixed error class such as `http_4xx`, `refused` or `blocked_address`,
never the answer's body or the socket's error text) and retried after
`BACKOFF_BASE × 2^(attempts − 1)`, at most `BACKOFF_CAP`; after `MAX_ATTEMPTS` attempts
the delivery is `failed` for good. Redirects are not followed.

Each delivery is claimed with `SELECT … FOR UPDATE SKIP LOCKED` in its own transaction and
the row stays locked while it is sent, so several workers (`passerelle deliver-webhooks`)
never send one delivery at the same time; a worker killed mid-send leaves the row pending,
and it is sent again (at least once, never lost).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from passerelle.core.validation import InvalidFieldsError
from passerelle.web.apps.audit.services import audit_integration_change
from passerelle.web.apps.referrals.models import (
    REFERRAL_TRANSITION_EVENT,
    DeliveryState,
    Webhook,
    WebhookDelivery,
)
from passerelle.web.outbound import Answer as Answer
from passerelle.web.outbound import address_problem
from passerelle.web.outbound import post as post

log = logging.getLogger(__name__)

TIMEOUT = 5.0
"""Seconds to wait for an organisation's system to answer."""
BACKOFF_BASE = dt.timedelta(minutes=1)
BACKOFF_CAP = dt.timedelta(hours=1)
MAX_ATTEMPTS = 8
"""After this many failed attempts a delivery is given up (state failed)."""
SIGNATURE_HEADER = "X-Passerelle-Signature"
DELIVERY_HEADER = "X-Passerelle-Delivery"
IDEMPOTENCY_HEADER = "Idempotency-Key"
EVENT_TYPE = REFERRAL_TRANSITION_EVENT


def signature(secret: str, body: bytes) -> str:
    """The value of the X-Passerelle-Signature header for `body`."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(secret: str, body: bytes, header: str) -> bool:
    """What a receiving system does: recompute the signature, compare in constant time."""
    return hmac.compare_digest(signature(secret, body), header)


def backoff(attempts: int) -> dt.timedelta:
    """The wait before the next attempt, after `attempts` failed ones (1, 2, 4 … minutes)."""
    wait: dt.timedelta = BACKOFF_BASE * 2 ** max(attempts - 1, 0)
    return min(wait, BACKOFF_CAP)


def idempotency_key(delivery_id: int) -> str:
    """The same on every attempt of one delivery, different for every other delivery."""
    return f"passerelle-delivery-{delivery_id}"


def payload(delivery: WebhookDelivery) -> dict[str, Any]:
    """The body of a delivery: ids, states, slugs and a time; no personal data."""
    event = delivery.event
    if event is None:  # another app's event: its body was stored when it was queued
        return {
            **delivery.body,
            "type": delivery.event_type,
            "delivery": delivery.pk,
            "idempotency_key": idempotency_key(delivery.pk),
        }
    referral = event.referral
    return {
        "type": EVENT_TYPE,
        "delivery": delivery.pk,
        "idempotency_key": idempotency_key(delivery.pk),
        "event": event.pk,
        "number": event.number,
        "referral": str(referral.pk),
        "from_state": event.from_state,
        "to_state": event.to_state,
        "at": event.at.isoformat(),
        "programme": referral.programme.slug,
        "sender": referral.sender.slug,
        "receiver": referral.receiver.slug,
    }


def body_of(delivery: WebhookDelivery) -> bytes:
    return json.dumps(payload(delivery), separators=(",", ":"), sort_keys=True).encode()


Sender = Callable[[str, bytes, dict[str, str], float], Answer]


@dataclass
class DeliveryReport:
    delivered: int = 0
    retried: int = 0
    failed: int = 0
    ids: list[int] = field(default_factory=list)

    @property
    def attempted(self) -> int:
        return self.delivered + self.retried + self.failed


def _claim_due(now: dt.datetime, event_id: int | None) -> WebhookDelivery | None:
    """The most overdue pending delivery of an active webhook that no other worker holds,
    locked for the transaction (of `event_id` only, when given)."""
    pending = WebhookDelivery.objects.all()
    if event_id is not None:
        pending = pending.filter(event_id=event_id)
    return (
        pending.select_for_update(of=("self",), skip_locked=True)
        .select_related(
            "webhook",
            "event__referral__programme",
            "event__referral__sender",
            "event__referral__receiver",
        )
        .filter(state=DeliveryState.PENDING, next_attempt_at__lte=now, webhook__active=True)
        .order_by("next_attempt_at", "pk")
        .first()
    )


def _headers(delivery: WebhookDelivery, body: bytes) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "User-Agent": "passerelle-webhooks",
        SIGNATURE_HEADER: signature(delivery.webhook.secret, body),
        DELIVERY_HEADER: str(delivery.pk),
        IDEMPOTENCY_HEADER: idempotency_key(delivery.pk),
        "X-Passerelle-Event": delivery.event_type,
    }


def _note_attempt(
    delivery: WebhookDelivery, answer: Answer, at: dt.datetime, max_attempts: int
) -> None:
    """Count the attempt made at `at`: delivered, failed for good after `max_attempts`, or
    retried after the back-off."""
    delivery.attempts += 1
    delivery.last_status = answer.status
    if answer.ok:
        delivery.state = DeliveryState.DELIVERED
        delivery.delivered_at = at
        delivery.last_error = ""
    else:
        delivery.last_error = answer.error
        if delivery.attempts >= max_attempts:
            delivery.state = DeliveryState.FAILED
        else:
            delivery.next_attempt_at = at + backoff(delivery.attempts)
    delivery.save(
        update_fields=(
            "attempts",
            "last_status",
            "last_error",
            "state",
            "delivered_at",
            "next_attempt_at",
        )
    )


def deliver_one(
    *,
    now: dt.datetime | None = None,
    send: Sender = post,
    timeout: float = TIMEOUT,
    max_attempts: int = MAX_ATTEMPTS,
    event_id: int | None = None,
) -> tuple[int, str] | None:
    """Claim the most overdue pending delivery no other worker holds, send it, log the
    attempt. (delivery id, new state), or None when nothing is due. `now` is the clock
    (default the real one): what is due by it, and when a failed attempt is retried.
    `event_id`: only the deliveries of that event (the task queued by a transition)."""
    with transaction.atomic():
        delivery = _claim_due(now if now is not None else timezone.now(), event_id)
        if delivery is None:
            return None
        body = body_of(delivery)
        answer = send(delivery.webhook.url, body, _headers(delivery, body), timeout)
        _note_attempt(delivery, answer, now if now is not None else timezone.now(), max_attempts)
    log.info(
        "webhook delivery %s attempt %s: %s %s",
        delivery.pk,
        delivery.attempts,
        delivery.state,
        answer.status or answer.error,
    )
    return delivery.pk, delivery.state


def deliver_due(
    *,
    now: dt.datetime | None = None,
    limit: int = 1000,
    send: Sender = post,
    timeout: float = TIMEOUT,
    max_attempts: int = MAX_ATTEMPTS,
    event_id: int | None = None,
) -> DeliveryReport:
    """Send every delivery due by `now` (at most `limit`; only `event_id`'s when given),
    one transaction each."""
    report = DeliveryReport()
    for _attempt in range(limit):
        done = deliver_one(
            now=now, send=send, timeout=timeout, max_attempts=max_attempts, event_id=event_id
        )
        if done is None:
            break
        pk, state = done
        report.ids.append(pk)
        if state == DeliveryState.DELIVERED:
            report.delivered += 1
        elif state == DeliveryState.FAILED:
            report.failed += 1
        else:
            report.retried += 1
    return report


def deliveries_queue(*, organisations: list[Any], event_type: str, body: dict[str, Any]) -> int:
    """One pending delivery of an event of another app (`event_type`, a JSON `body` of ids
    and codes, no personal data) to each active webhook of `organisations`, in the caller's
    transaction; the `webhook-retries` schedule sends them. Returns how many were queued."""
    now = timezone.now()
    hooks = Webhook.objects.filter(organisation__in=organisations, active=True)
    deliveries = [
        WebhookDelivery(
            webhook=hook, event=None, event_type=event_type, body=body, next_attempt_at=now
        )
        for hook in hooks
    ]
    WebhookDelivery.objects.bulk_create(deliveries)
    return len(deliveries)


class WebhookRequestError(InvalidFieldsError):
    """A webhook that cannot be registered; `errors` maps each field to what is wrong."""


@transaction.atomic
def webhook_register(*, organisation: Any, url: str, by: Any = None) -> tuple[Webhook, str]:
    """A new webhook for `organisation` and its signing secret (show it to the organisation
    once; it is kept, as it must be to sign)."""
    url = url.strip()
    problem = address_problem(url)
    if problem is not None:
        raise WebhookRequestError({"url": problem})
    if Webhook.objects.filter(organisation=organisation, url=url, active=True).exists():
        raise WebhookRequestError({"url": str(_("This address is already registered."))})
    secret = secrets.token_urlsafe(32)
    webhook = Webhook.objects.create(organisation=organisation, url=url, secret=secret)
    audit_integration_change(organisation, by, "webhook", webhook.pk, change="registered")
    return webhook, secret


@transaction.atomic
def webhook_set_active(
    *, organisation: Any, webhook_id: uuid.UUID | str, active: bool, by: Any = None
) -> Webhook:
    """Pause or resume one of `organisation`'s webhooks (LookupError when it has no such
    webhook). Deliveries queued while it is paused wait for it."""
    webhook = (
        Webhook.objects.select_for_update().filter(organisation=organisation, pk=webhook_id).first()
    )
    if webhook is None:
        raise LookupError("webhook")
    if webhook.active != active:
        webhook.active = active
        webhook.save(update_fields=("active",))
        audit_integration_change(
            organisation, by, "webhook", webhook.pk, change="resumed" if active else "paused"
        )
    return webhook


def deliveries_of(organisation: Any, limit: int = 30) -> list[WebhookDelivery]:
    """The latest deliveries to `organisation`'s webhooks, newest first (the delivery log)."""
    return list(
        WebhookDelivery.objects.filter(webhook__organisation=organisation)
        .select_related("webhook", "event")
        .order_by("-created_at")[:limit]
    )


def webhooks_of(organisation: Any) -> list[Webhook]:
    """`organisation`'s webhooks, active ones first."""
    return list(
        Webhook.objects.filter(organisation=organisation).order_by("-active", "-created_at")
    )
