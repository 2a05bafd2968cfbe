"""Webhooks cannot reach inside (issue 15, item 1): private, local, reserved and metadata
addresses are refused at registration and, after resolving the name once, at every
delivery; the connection goes to the checked address (no DNS rebinding window); the
delivery log keeps a fixed error class, never the answer or the socket's text."""

from __future__ import annotations

import ipaddress
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from django.utils import translation
from tests.support.referrals import Network, sent_referral

from passerelle.web import outbound
from passerelle.web.apps.directory.models import Organisation
from passerelle.web.apps.referrals import webhooks
from passerelle.web.apps.referrals.models import Webhook, WebhookDelivery
from passerelle.web.apps.referrals.webhooks import WebhookRequestError, webhook_register

PROJECT = Path(__file__).resolve().parents[3]

BLOCKED = [
    "127.0.0.1",
    "127.8.9.10",
    "10.0.0.1",
    "172.16.5.4",
    "192.168.1.1",
    "100.64.0.1",  # carrier-grade NAT
    "169.254.169.254",  # cloud metadata
    "0.0.0.0",
    "224.0.0.1",
    "240.0.0.1",
    "255.255.255.255",
    "198.18.0.1",
    "::1",
    "::",
    "fe80::1",
    "fc00::1",
    "fd12:3456::1",
    "ff02::1",
    "::ffff:127.0.0.1",  # IPv4-mapped
    "::ffff:169.254.169.254",
    "64:ff9b::a00:1",  # NAT64 of 10.0.0.1
    "2002:7f00:1::1",  # 6to4 of 127.0.0.1
]
PUBLIC = ["93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c", "1.1.1.1"]


class FakeResolver:
    """Answers from a script, one answer list per call (the last one repeats); records
    every question."""

    def __init__(self, *answers: Sequence[str]) -> None:
        self.answers = list(answers)
        self.questions: list[tuple[str, int]] = []

    def __call__(self, host: str, port: int) -> Sequence[str]:
        self.questions.append((host, port))
        return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]


@pytest.fixture
def connections(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int]]:
    """Where the sender connects: recorded, then refused (no network in the tests)."""
    made: list[tuple[str, int]] = []

    def create_connection(address: tuple[str, int], *args: Any, **kwargs: Any) -> socket.socket:
        made.append(address)
        raise ConnectionRefusedError("synthetic: no network in tests")

    monkeypatch.setattr(outbound.socket, "create_connection", create_connection)
    return made


@pytest.mark.parametrize("address", BLOCKED)
def test_every_blocked_range_is_blocked(address: str) -> None:
    assert outbound.address_blocked(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_are_allowed(address: str) -> None:
    assert not outbound.address_blocked(ipaddress.ip_address(address))


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/hook",
        "https://localhost:8443/hook",
        "https://[::1]/hook",
        "https://[::ffff:10.0.0.1]/hook",
        "https://169.254.169.254/latest/meta-data/",
        "https://10.0.0.1/hook",
        "https://100.64.1.2/hook",
        "https://metadata.google.internal/computeMetadata/v1/",
        "https://metadata/computeMetadata/v1/",
        "https://instance-data/latest/",
        "https://db.internal/hook",
        "https://printer.local/hook",
        "https://intranet/hook",  # one label: completed by search domains
        "https://2130706433/hook",  # 127.0.0.1 as one number
        "https://0x7f.1/hook",  # 127.0.0.1 in a legacy form
        "http://cases.example.org/hook",  # plain http
    ],
)
def test_registration_refuses_inside_addresses(
    organisations: dict[str, Organisation], url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(outbound, "resolve", FakeResolver(["93.184.215.14"]))
    with pytest.raises(WebhookRequestError) as refused:
        webhook_register(organisation=organisations["a"], url=url)
    assert set(refused.value.errors) == {"url"}
    assert not Webhook.objects.exists()


@pytest.mark.parametrize("answer", [["10.1.2.3"], ["93.184.215.14", "127.0.0.1"], ["fd00::5"]])
def test_registration_refuses_a_name_that_resolves_inside(
    organisations: dict[str, Organisation], answer: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(outbound, "resolve", FakeResolver(answer))
    with translation.override("en"), pytest.raises(WebhookRequestError) as refused:
        webhook_register(organisation=organisations["a"], url="https://cases.example.org/hook")
    assert "private" in refused.value.errors["url"]
    assert not Webhook.objects.exists()


def test_registration_accepts_a_public_https_address(
    organisations: dict[str, Organisation], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(outbound, "resolve", FakeResolver(["93.184.215.14"]))
    webhook, _secret = webhook_register(
        organisation=organisations["a"], url="https://cases.example.org/hook"
    )
    assert webhook.active


@pytest.mark.django_db
@pytest.mark.parametrize("answer", [["10.0.0.7"], ["169.254.169.254"], ["::ffff:192.168.0.1"]])
def test_delivery_to_a_name_resolving_inside_is_blocked_without_connecting(
    consented: Network,
    connections: list[tuple[str, int]],
    monkeypatch: pytest.MonkeyPatch,
    answer: list[str],
) -> None:
    monkeypatch.setattr(outbound, "resolve", FakeResolver(answer))
    Webhook.objects.create(
        organisation=consented.organisations["b"],
        url="https://cases.example.org/hook",
        secret="s",
    )
    sent_referral(consented)
    assert webhooks.deliver_due().retried == 1
    delivery = WebhookDelivery.objects.get()
    assert (delivery.last_status, delivery.last_error) == (None, "blocked_address")
    assert connections == []


@pytest.mark.django_db
def test_rebinding_cannot_reach_inside(
    consented: Network,
    connections: list[tuple[str, int]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The name answers a public address first (registration), then a private one (delivery):
    # the delivery checks what it resolves and connects to nothing.
    resolver = FakeResolver(["93.184.215.14"], ["127.0.0.1"])
    monkeypatch.setattr(outbound, "resolve", resolver)
    webhook_register(
        organisation=consented.organisations["b"], url="https://rebind.example.org:8443/hook"
    )
    sent_referral(consented)
    webhooks.deliver_due()
    assert WebhookDelivery.objects.get().last_error == "blocked_address"
    assert connections == []
    # Public at delivery, private at any later look-up: the name is resolved once and the
    # connection goes to the address that was checked, not to a second answer.
    resolver = FakeResolver(["93.184.215.14"], ["127.0.0.1"])
    monkeypatch.setattr(outbound, "resolve", resolver)
    answer = outbound.post("https://rebind.example.org:8443/hook", b"{}", {}, 1.0)
    assert answer == outbound.Answer(None, "refused")
    assert resolver.questions == [("rebind.example.org", 8443)]
    assert connections == [("93.184.215.14", 8443)]


class Listener:
    """A real HTTP server on 127.0.0.1 that answers 422 with a body, counting requests."""

    def __init__(self) -> None:
        self.requests = 0
        listener = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                listener.requests += 1
                self.send_response(422)
                self.send_header("Content-Length", "13")
                self.end_headers()
                self.wfile.write(b"secret inside")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def listener() -> Iterator[Listener]:
    server = Listener()
    yield server
    server.server.shutdown()
    server.server.server_close()


@pytest.mark.django_db
def test_a_real_server_on_127_0_0_1_is_never_reached(
    consented: Network, listener: Listener
) -> None:
    # Stored as an attacker would have stored them before this fix (registration now refuses).
    for url in (
        f"http://127.0.0.1:{listener.port}/",
        f"https://127.0.0.1:{listener.port}/",
        f"http://localhost:{listener.port}/",
        f"https://[::ffff:127.0.0.1]:{listener.port}/",
    ):
        Webhook.objects.create(organisation=consented.organisations["b"], url=url, secret="s")
    sent_referral(consented)
    assert webhooks.deliver_due().retried == 4
    assert listener.requests == 0
    for delivery in WebhookDelivery.objects.all():
        assert (delivery.last_status, delivery.last_error) == (None, "blocked_address")


@pytest.mark.django_db
def test_the_log_keeps_the_status_class_never_the_body(
    consented: Network, listener: Listener, settings: Any
) -> None:
    settings.OUTBOUND_ALLOW_LOCAL = True  # development: the local server may be reached
    Webhook.objects.create(
        organisation=consented.organisations["b"],
        url=f"http://127.0.0.1:{listener.port}/",
        secret="s",
    )
    sent_referral(consented)
    webhooks.deliver_due()
    delivery = WebhookDelivery.objects.get()
    assert listener.requests == 1
    assert (delivery.last_status, delivery.last_error) == (422, "http_4xx")
    assert delivery.last_error in outbound.ERROR_CLASSES


def test_tls_failures_are_a_fixed_class(
    monkeypatch: pytest.MonkeyPatch, listener: Listener, settings: Any
) -> None:
    # A plain-HTTP server spoken to over TLS: the handshake fails, logged as "tls".
    settings.OUTBOUND_ALLOW_LOCAL = True
    answer = outbound.post(f"https://127.0.0.1:{listener.port}/", b"{}", {}, 2.0)
    assert answer == outbound.Answer(None, "tls")


def test_production_settings_refuse_the_development_setting() -> None:
    env = {
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": str(PROJECT / "src"),
        "DJANGO_SETTINGS_MODULE": "passerelle.web.config.settings.production",
        "DJANGO_SECRET_KEY": "x" * 20 + "synthetic-test-only-secret-key-not-used-anywhere",
        "DJANGO_ALLOWED_HOSTS": "passerelle.example.org",
        "PASSERELLE_OUTBOUND_ALLOW_LOCAL": "1",
    }
    code = "import django; django.setup()"
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode != 0
    assert "PASSERELLE_OUTBOUND_ALLOW_LOCAL" in done.stderr
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            code + "; from django.conf import settings; print(settings.OUTBOUND_ALLOW_LOCAL)",
        ],
        env={**env, "PASSERELLE_OUTBOUND_ALLOW_LOCAL": ""},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"
