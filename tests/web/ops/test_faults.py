"""Faults survived, on PostgreSQL, with real processes:

- a worker killed (SIGKILL) in the middle of a webhook delivery: after another worker
  starts, every delivery reaches the receiver, which, keeping the idempotency keys it has
  processed, acts on each exactly once; no e-mail is lost or sent twice (file backend);
- a worker killed in the middle of a linkage run: the next worker runs it to the end;
- every connection of the web process terminated (`pg_terminate_backend`, as a PostgreSQL
  restart does; the shared server itself is never restarted): gunicorn answers the next
  requests without a restart of its own (and, the control, fails the first one without
  connection health checks).

Synthetic people only. Each test starts its processes against the test database."""

from __future__ import annotations

import email
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from django.db import connection
from django_tasks_db.models import DBTaskResult
from tests.support.beneficiaries import parsed_for, synthetic_records
from tests.support.beneficiaries import programmes as programmes
from tests.support.referrals import Network, draft, move

from passerelle.web.apps.beneficiaries import services as beneficiaries
from passerelle.web.apps.beneficiaries import tasks as beneficiary_tasks
from passerelle.web.apps.beneficiaries.models import LinkageRun, RunStatus
from passerelle.web.apps.ops.models import ProcessKind
from passerelle.web.apps.ops.worker import beat
from passerelle.web.apps.referrals.models import DeliveryState, Webhook, WebhookDelivery

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the production database"),
]
ROOT = Path(__file__).resolve().parents[3]


def environment(tmp_path: Path, **extra: str) -> dict[str, str]:
    """The environment of a process on this test's database."""
    db = connection.settings_dict
    url = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    if db.get("PASSWORD"):
        url = f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    return {
        **os.environ,
        "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{ROOT}",
        "DJANGO_SETTINGS_MODULE": "passerelle.web.config.settings.test",
        "DATABASE_URL": url,
        "PASSERELLE_TASK_BACKEND": "database",
        "PASSERELLE_HEARTBEAT_SECONDS": "0.3",
        "PASSERELLE_WORKER_LOST_SECONDS": "1.5",
        "PASSERELLE_OUTBOUND_ALLOW_LOCAL": "1",
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(tmp_path / "mail"),
        **extra,
    }


@pytest.fixture
def workers(tmp_path: Path) -> Iterator[Callable[[], subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []

    def start() -> subprocess.Popen[bytes]:
        command = [sys.executable, str(ROOT / "manage.py"), "worker", "--backend", "database"]
        command += ["--queue-name", "*", "--interval", "0.1", "--no-reload", "--no-startup-delay"]
        process = subprocess.Popen(
            command,
            env=environment(tmp_path),
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=open(tmp_path / f"worker-{len(started)}.log", "wb"),  # noqa: SIM115
        )
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
        process.wait(10)


def wait_for(condition: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"not within {seconds} s: {what}")


class Receiver:
    """An organisation's system: records every POST with its idempotency key, acts once per
    key (what the docs ask a receiver to do) and holds the first request for `hold`
    seconds before answering, so that a worker can be killed in the middle of it."""

    def __init__(self, hold: float) -> None:
        self.received: list[str] = []
        self.acted: list[str] = []
        self.hold = hold
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                key = self.headers["Idempotency-Key"]
                with receiver.lock:
                    first_ever = not receiver.received
                    receiver.received.append(key)
                    if key not in receiver.acted:
                        receiver.acted.append(key)
                if first_ever:
                    time.sleep(receiver.hold)
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def message_ids(folder: Path) -> list[str]:
    """The Message-ID of every e-mail the file backend wrote (several per file)."""
    found = []
    for path in folder.glob("*.log") if folder.exists() else []:
        for chunk in path.read_text().split("-" * 79):
            if chunk.strip():
                found.append(email.message_from_string(chunk.strip())["Message-ID"])
    return found


def test_a_worker_killed_mid_delivery_loses_nothing_and_duplicates_nothing(
    consented: Network,
    workers: Callable[[], subprocess.Popen[bytes]],
    tmp_path: Path,
    settings: Any,
) -> None:
    settings.PASSERELLE_TASK_BACKEND = "database"
    receiver = Receiver(hold=4.0)
    for key in ("a", "b"):
        Webhook.objects.create(
            organisation=consented.organisations[key], url=receiver.url, secret=f"secret-{key}"
        )
    for _referral in range(2):
        move(consented, "cw_a", draft(consented), "send")
    deliveries = list(WebhookDelivery.objects.values_list("pk", flat=True))
    assert len(deliveries) == 4
    first = workers()
    wait_for(lambda: bool(receiver.received), 180, "the first delivery reaches the receiver")
    first.send_signal(signal.SIGKILL)  # in the middle of it: the receiver holds the answer
    first.wait(10)
    assert WebhookDelivery.objects.filter(state=DeliveryState.DELIVERED).count() < 4
    workers()
    wait_for(
        lambda: (
            WebhookDelivery.objects.filter(state=DeliveryState.DELIVERED).count() == 4
            and not DBTaskResult.objects.exclude(status__in=("SUCCESSFUL", "FAILED")).exists()
        ),
        180,
        "every delivery delivered and every task finished after the restart",
    )
    keys = [f"passerelle-delivery-{pk}" for pk in deliveries]
    assert sorted(receiver.acted) == sorted(keys)  # each acted on exactly once
    assert len(receiver.received) == 5  # the interrupted one was sent again, with its key
    assert not DBTaskResult.objects.filter(status="FAILED").exists()
    ids = message_ids(tmp_path / "mail")
    assert len(ids) == 4  # 2 transitions x 2 staff members of the receiver with an address
    assert len(set(ids)) == 4


@pytest.fixture
def shared_encodings(organisations: Any, programmes: Any) -> None:
    records = synthetic_records(120)
    for key in "abc":
        part = records.filter(pl.col("org") == key)
        beneficiaries.encodings_replace(
            organisation=organisations[key],
            parsed=parsed_for(part, programmes[key].slug),
            source="upload",
        )


def test_a_worker_killed_mid_linkage_run_leaves_it_to_the_next(
    shared_encodings: None,
    workers: Callable[[], subprocess.Popen[bytes]],
    settings: Any,
) -> None:
    settings.PASSERELLE_TASK_BACKEND = "database"
    settings.LINKAGE_RUN_INLINE = False
    run = beneficiaries.run_start(actor_label="test")
    beneficiary_tasks.run_in_background(run)
    first = workers()
    wait_for(lambda: LinkageRun.objects.get(pk=run.pk).step >= 2, 240, "the run gets under way")
    first.send_signal(signal.SIGKILL)
    first.wait(10)
    assert LinkageRun.objects.get(pk=run.pk).status == RunStatus.RUNNING
    workers()
    wait_for(
        lambda: LinkageRun.objects.get(pk=run.pk).status != RunStatus.RUNNING,
        240,  # about 10 s on an idle machine; minutes when seven test suites share 2 cores
        "the run finishes after the restart",
    )
    run.refresh_from_db()
    assert run.status == RunStatus.DONE
    assert run.clusters > 0
    (task,) = DBTaskResult.objects.filter(task_path__endswith=".linkage_run")
    assert task.status == "SUCCESSFUL"
    assert len(task.worker_ids) == 2  # taken by the killed worker, then by the next one


def serve(tmp_path: Path, health_checks: str) -> tuple[subprocess.Popen[bytes], str]:
    """gunicorn, one worker that keeps its database connection (CONN_MAX_AGE) as in
    production."""
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--bind",
            "127.0.0.1:0",
            "--workers",
            "1",
            "--no-control-socket",
            "--timeout",
            "120",
            "--graceful-timeout",
            "5",
            "--log-file",
            str(tmp_path / "gunicorn.log"),
            "passerelle.web.config.wsgi",
        ],
        env=environment(tmp_path, DATABASE_CONN_HEALTH_CHECKS=health_checks),
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    log = tmp_path / "gunicorn.log"
    wait_for(lambda: log.exists() and "Listening at" in log.read_text(), 120, "gunicorn starts")
    address = log.read_text().split("Listening at: ")[1].split()[0]
    wait_for(lambda: status_of(f"{address}/healthz") == 200, 180, "its worker boots")
    return process, address


def status_of(url: str) -> int:
    """The status of a GET; 0 when nothing answers (yet)."""
    try:
        with urllib.request.urlopen(url, timeout=30) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as error:
        return int(error.code)
    except (urllib.error.URLError, TimeoutError, ConnectionError):
        return 0


def terminate_other_backends() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return int(cursor.fetchone()[0])


@pytest.mark.parametrize(("health_checks", "after"), [("1", [200, 200, 200]), ("0", [503])])
def test_the_web_recovers_from_lost_database_connections(
    tmp_path: Path, health_checks: str, after: list[int]
) -> None:
    beat(process_id="w", kind=ProcessKind.WORKER)
    process, address = serve(tmp_path, health_checks)
    try:
        assert [status_of(f"{address}/readyz") for _ in range(3)] == [200, 200, 200]
        assert terminate_other_backends() >= 1  # gunicorn's kept connection
        # With health checks the dead connection is replaced before the request uses it;
        # without, the request fails on it (readyz: 503, "database: OperationalError").
        assert [status_of(f"{address}/readyz") for _ in after] == after
    finally:
        process.terminate()
        process.wait(60)
