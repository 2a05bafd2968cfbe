"""Webhook deliveries against a real HTTP server on 127.0.0.1 started by the test: the
signature verifies, no personal data leaves, a 500 is retried with exponential backoff and
then delivered, a delivery is given up after the last attempt, and two workers never send
one delivery twice (PostgreSQL). Synthetic people only."""

from __future__ import annotations

import collections
import datetime as dt
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.db import connection, connections
from django.utils import timezone
from tests.support.referrals import Network, sent_referral
from typer.testing import CliRunner

from passerelle.cli.main import app
from passerelle.web.apps.referrals import webhooks
from passerelle.web.apps.referrals.models import Webhook, WebhookDelivery

SECRETS = {"a": "secret-of-the-cpas", "b": "secret-of-duo"}


class Hook:
    """A local HTTP server: records each POST, answers the next planned status (200 when
    none is planned), optionally after a delay."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.statuses: collections.deque[int] = collections.deque()
        self.delay = 0.0
        self.lock = threading.Lock()
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with hook.lock:
                    hook.received.append((dict(self.headers.items()), body))
                    status = hook.statuses.popleft() if hook.statuses else 200
                time.sleep(hook.delay)
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/passerelle"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def hook(settings: Any) -> Iterator[Hook]:
    # The receiving system of these tests listens on 127.0.0.1: the development setting.
    settings.OUTBOUND_ALLOW_LOCAL = True
    server = Hook()
    yield server
    server.close()


def hooked(network: Network, url: str, *keys: str) -> dict[str, Webhook]:
    return {
        key: Webhook.objects.create(
            organisation=network.organisations[key], url=url, secret=SECRETS[key]
        )
        for key in keys
    }


@pytest.mark.django_db
def test_deliveries_are_signed_and_carry_no_personal_data(consented: Network, hook: Hook) -> None:
    hooks = hooked(consented, hook.url, "a", "b")
    referral = sent_referral(consented)
    # One delivery per webhook of each side, for the one transition (drafts are not announced).
    assert WebhookDelivery.objects.count() == 2
    report = webhooks.deliver_due()
    assert (report.delivered, report.retried, report.failed) == (2, 0, 0)
    assert len(hook.received) == 2
    person = consented.person
    secrets_by_delivery = {
        str(d.pk): d.webhook.secret for d in WebhookDelivery.objects.select_related("webhook")
    }
    for headers, body in hook.received:
        delivery_id = headers["X-Passerelle-Delivery"]
        secret = secrets_by_delivery[delivery_id]
        assert webhooks.verify(secret, body, headers["X-Passerelle-Signature"])
        other = next(s for s in SECRETS.values() if s != secret)
        assert not webhooks.verify(other, body, headers["X-Passerelle-Signature"])
        assert not webhooks.verify(secret, body + b" ", headers["X-Passerelle-Signature"])
        assert headers["Content-Type"] == "application/json"
        assert headers["Idempotency-Key"] == f"passerelle-delivery-{delivery_id}"
        data = json.loads(body)
        assert data == {
            "type": "referral.transition",
            "delivery": int(delivery_id),
            "idempotency_key": f"passerelle-delivery-{delivery_id}",
            "event": data["event"],
            "number": 2,
            "referral": str(referral.pk),
            "from_state": "draft",
            "to_state": "sent",
            "at": data["at"],
            "programme": "duo-for-a-job-mentoring",
            "sender": "cpas-anderlecht",
            "receiver": "duo-for-a-job",
        }
        assert dt.datetime.fromisoformat(data["at"]).tzinfo is not None
        text = body.decode()
        for personal in (
            str(person.pk),
            person.given_names,
            person.family_name,
            person.birth_date.isoformat(),
            person.phone,
            "refugee",
            "ER",
        ):
            assert personal not in text, personal
    for delivery in WebhookDelivery.objects.all():
        assert (delivery.state, delivery.attempts, delivery.last_status) == ("delivered", 1, 200)
        assert delivery.delivered_at is not None
        assert delivery.last_error == ""
    assert set(hooks) == {"a", "b"}
    assert webhooks.deliver_due().attempted == 0  # nothing left


@pytest.mark.django_db
def test_a_500_is_retried_after_the_backoff_then_delivered(consented: Network, hook: Hook) -> None:
    hooked(consented, hook.url, "b")
    sent_referral(consented)
    hook.statuses.extend([500])
    before = timezone.now()
    report = webhooks.deliver_due()
    after = timezone.now()
    assert (report.delivered, report.retried) == (0, 1)
    delivery = WebhookDelivery.objects.get()
    assert (delivery.state, delivery.attempts, delivery.last_status) == ("pending", 1, 500)
    assert delivery.last_error == "http_5xx"
    minute = dt.timedelta(minutes=1)
    assert before + minute <= delivery.next_attempt_at <= after + minute
    # Not due yet: nothing is sent.
    assert webhooks.deliver_due(now=delivery.next_attempt_at - dt.timedelta(seconds=1)).ids == []
    assert len(hook.received) == 1
    report = webhooks.deliver_due(now=delivery.next_attempt_at)
    assert report.delivered == 1
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts, delivery.last_status) == ("delivered", 2, 200)
    first, second = hook.received
    assert first[1] == second[1]  # the same body, so the same signature
    assert first[0]["X-Passerelle-Delivery"] == second[0]["X-Passerelle-Delivery"]


def test_backoff_doubles_from_a_minute_and_is_capped() -> None:
    minutes = [webhooks.backoff(n).total_seconds() / 60 for n in range(1, 9)]
    assert minutes == [1, 2, 4, 8, 16, 32, 60, 60]


@pytest.mark.django_db
def test_given_up_after_the_last_attempt_each_attempt_logged(
    consented: Network, hook: Hook
) -> None:
    hooked(consented, hook.url, "b")
    sent_referral(consented)
    hook.statuses.extend([503] * 20)
    delivery = WebhookDelivery.objects.get()
    waits = []
    for attempt in range(1, webhooks.MAX_ATTEMPTS + 1):
        due = delivery.next_attempt_at
        report = webhooks.deliver_due(now=due)
        assert report.attempted == 1
        delivery.refresh_from_db()
        assert (delivery.attempts, delivery.last_status) == (attempt, 503)
        assert delivery.last_error == "http_5xx"
        if attempt < webhooks.MAX_ATTEMPTS:
            assert delivery.state == "pending"
            waits.append(delivery.next_attempt_at - due)
    assert delivery.state == "failed"
    assert len(hook.received) == webhooks.MAX_ATTEMPTS
    # After the n-th failed attempt, the next one is due backoff(n) later: 1, 2, 4 ... min.
    assert [wait.total_seconds() / 60 for wait in waits] == [1, 2, 4, 8, 16, 32, 60]
    assert webhooks.deliver_due(now=timezone.now() + dt.timedelta(days=30)).attempted == 0
    assert len(hook.received) == webhooks.MAX_ATTEMPTS


@pytest.mark.django_db
def test_refused_connections_timeouts_and_other_schemes_are_logged(
    consented: Network, hook: Hook
) -> None:
    closed = Hook()
    closed.close()  # a port nobody listens on any more
    hooked(consented, closed.url, "a")
    hooked(consented, hook.url, "b")
    sent_referral(consented)
    hook.delay = 1.0
    report = webhooks.deliver_due(timeout=0.3)
    assert report.retried == 2
    errors = {d.webhook.organisation.slug: d for d in WebhookDelivery.objects.all()}
    assert errors["cpas-anderlecht"].last_status is None
    assert errors["cpas-anderlecht"].last_error == "refused"
    assert errors["duo-for-a-job"].last_status is None
    assert errors["duo-for-a-job"].last_error == "timeout"
    answer = webhooks.post("file:///etc/passwd", b"{}", {}, 1.0)
    assert answer == webhooks.Answer(None, "blocked_address")


@pytest.mark.django_db
def test_inactive_webhooks_are_not_called(consented: Network, hook: Hook) -> None:
    hooks = hooked(consented, hook.url, "a", "b")
    hooks["a"].active = False
    hooks["a"].save()
    sent_referral(consented)
    assert WebhookDelivery.objects.count() == 1
    assert webhooks.deliver_due().delivered == 1
    assert len(hook.received) == 1


@pytest.mark.django_db
def test_the_cli_worker_delivers_once(consented: Network, hook: Hook) -> None:
    hooked(consented, hook.url, "a", "b")
    sent_referral(consented)
    result = CliRunner().invoke(app, ["deliver-webhooks", "--once", "--format", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {"delivered": 2, "retried": 0, "failed": 0}
    assert len(hook.received) == 2
    bad = CliRunner().invoke(app, ["deliver-webhooks", "--interval", "0"])
    assert bad.exit_code == 2
    assert "--interval" in bad.output


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="SKIP LOCKED needs PostgreSQL")
def test_several_workers_never_send_one_delivery_twice(consented: Network, hook: Hook) -> None:
    hooked(consented, hook.url, "a", "b")
    for _ in range(10):
        sent_referral(consented)
    assert WebhookDelivery.objects.count() == 20
    hook.delay = 0.02
    barrier = threading.Barrier(4)

    def work() -> None:
        try:
            barrier.wait(timeout=10)
            webhooks.deliver_due()
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    ids = [headers["X-Passerelle-Delivery"] for headers, _ in hook.received]
    assert len(ids) == 20
    assert len(set(ids)) == 20
    assert set(WebhookDelivery.objects.values_list("state", flat=True)) == {"delivered"}
    assert set(WebhookDelivery.objects.values_list("attempts", flat=True)) == {1}
