"""/healthz and /readyz, the request id and the JSON logs."""

from __future__ import annotations

import datetime as dt
import json
import logging
from typing import Any

import pytest
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from django.utils import timezone

from passerelle.web.apps.ops import health
from passerelle.web.apps.ops.logs import JsonFormatter, RequestIdFilter, request_id
from passerelle.web.apps.ops.models import ProcessKind
from passerelle.web.apps.ops.worker import beat


def test_healthz_answers_without_the_database(client: Client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"alive": True}


@pytest.mark.django_db
def test_readyz_wants_a_recent_worker_heartbeat(client: Client) -> None:
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {"ready": False, "reasons": ["worker: no heartbeat within 60 s"]}
    beat(process_id="w", kind=ProcessKind.WORKER, now=timezone.now() - dt.timedelta(seconds=90))
    assert client.get("/readyz").status_code == 503  # too old
    beat(process_id="w", kind=ProcessKind.WORKER)
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"ready": True}


@pytest.mark.django_db
def test_readyz_reports_unapplied_migrations(client: Client, monkeypatch: Any) -> None:
    beat(process_id="w", kind=ProcessKind.WORKER)
    monkeypatch.setattr(health, "_migrated", False)
    monkeypatch.setattr(MigrationExecutor, "migration_plan", lambda self, targets: [("x", False)])
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["reasons"] == ["migrations: 1 not applied"]
    monkeypatch.setattr(MigrationExecutor, "migration_plan", lambda self, targets: [])
    assert client.get("/readyz").status_code == 200
    assert health._migrated is True  # not looked at again by this process


def test_each_response_carries_a_request_id(client: Client) -> None:
    first = client.get("/healthz")["X-Request-ID"]
    second = client.get("/healthz")["X-Request-ID"]
    assert len(first) == 32
    assert first != second
    given = client.get("/healthz", headers={"X-Request-ID": "proxy-42.a_b"})
    assert given["X-Request-ID"] == "proxy-42.a_b"
    junk = client.get("/healthz", headers={"X-Request-ID": "<script>" + "x" * 70})
    assert junk["X-Request-ID"] != "<script>" + "x" * 70
    assert len(junk["X-Request-ID"]) == 32


def test_a_log_line_is_one_json_object_with_the_request_id() -> None:
    record = logging.LogRecord("passerelle.test", logging.WARNING, "f.py", 1, "a %s", ("b",), None)
    token = request_id.set("req-1")
    try:
        RequestIdFilter().filter(record)
    finally:
        request_id.reset(token)
    record.delivery = 7
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "a b"
    assert line["level"] == "WARNING"
    assert line["request_id"] == "req-1"
    assert line["logger"] == "passerelle.test"
    assert line["delivery"] == 7
    try:
        raise ValueError("boom")
    except ValueError:
        import sys

        failed = logging.LogRecord("x", logging.ERROR, "f.py", 1, "failed", (), sys.exc_info())
    assert "ValueError: boom" in json.loads(JsonFormatter().format(failed))["exception"]
