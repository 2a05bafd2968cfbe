"""Logging in: Argon2, throttling and locking, the second factor, secure settings."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.hashers import check_password, identify_hasher, make_password
from django.contrib.auth.models import User
from django.test import Client, override_settings
from django.utils import timezone
from tests.support.accounts import PASSWORD, logged_in, two_factor_token

from passerelle.web.apps.accounts.models import ApiToken
from passerelle.web.apps.audit.models import AuditEntry
from passerelle.web.config.settings import base

PROJECT = Path(__file__).resolve().parents[3]


def test_passwords_are_hashed_with_argon2() -> None:
    assert base.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")
    with override_settings(PASSWORD_HASHERS=base.PASSWORD_HASHERS):
        encoded = make_password("a long synthetic password")
        assert identify_hasher(encoded).algorithm == "argon2"
        assert encoded.startswith("argon2$argon2id$")
        assert check_password("a long synthetic password", encoded)


def test_login_locks_after_repeated_failures(make_user: Callable[..., User]) -> None:
    make_user("cw", "caseworker")
    client = Client()
    for _ in range(5):
        response = client.post("/staff/login/", {"username": "cw", "password": "wrong"})
        assert response.status_code == 200
    # Locked: even the right password is refused, with a message saying until when.
    response = client.post(
        "/staff/login/", {"username": "cw", "password": PASSWORD}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 200
    assert "this account is locked until" in response.content.decode()
    assert "_auth_user_id" not in client.session
    actions = list(AuditEntry.objects.values_list("action", flat=True))
    assert actions.count("login_failed") == 5
    assert "login_locked" in actions
    assert AuditEntry.objects.filter(action="login_failed", flagged=True).count() == 1


def test_a_caseworker_logs_in_with_a_password_only(make_user: Callable[..., User]) -> None:
    client = logged_in(make_user("cw", "caseworker"), second_factor=False)
    assert client.get("/staff/persons/").status_code == 200


@override_settings(OTP_TOTP_THROTTLE_FACTOR=0)  # no wait after the wrong code, for the test
@pytest.mark.parametrize("role", ["coordinator", "org_admin"])
def test_coordinators_and_admins_need_a_second_factor(
    make_user: Callable[..., User], role: str
) -> None:
    user = make_user("co", role)
    client = logged_in(user, second_factor=False)
    response = client.get("/staff/persons/")
    assert response.status_code == 302
    assert response["Location"] == "/staff/two-factor/"
    enrol = client.get("/staff/two-factor/")
    assert b"<svg" in enrol.content  # the QR code, drawn here (no external service)
    assert client.post("/staff/two-factor/", {"token": "000000"}).status_code == 200
    assert client.get("/staff/persons/").status_code == 302
    response = client.post("/staff/two-factor/", {"token": two_factor_token(user)})
    assert response.status_code == 302
    assert client.get("/staff/persons/").status_code == 200
    # The next login asks for the code of the registered device, not a new enrolment.
    again = logged_in(user, second_factor=False)
    assert b"<svg" not in again.get("/staff/two-factor/").content


def test_staff_pages_need_a_login(db: None) -> None:
    response = Client().get("/staff/persons/")
    assert response.status_code == 302
    assert response["Location"].startswith("/staff/login/?next=")


def test_the_production_settings_pass_the_deployment_checks() -> None:
    # The browser tests set DJANGO_ALLOW_ASYNC_UNSAFE for themselves; a deployment never does.
    inherited = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env = {
        **inherited,
        "DJANGO_SETTINGS_MODULE": "passerelle.web.config.settings.production",
        "DJANGO_SECRET_KEY": "x" * 20 + "synthetic-test-only-secret-key-not-used-anywhere",
        "DJANGO_ALLOWED_HOSTS": "passerelle.example.org",
    }
    done = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=PROJECT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no issues" in done.stdout


def _persons(key: str) -> int:
    return Client().get("/api/v1/persons", HTTP_AUTHORIZATION=f"Bearer {key}").status_code


def test_a_token_revoked_in_this_process_is_refused_at_once(
    token_for: Callable[..., str],
) -> None:
    key = token_for("a", ("persons:read",))
    assert _persons(key) == 200
    token = ApiToken.objects.get(key_hash=hashlib.sha256(key.encode()).hexdigest())
    token.revoked_at = timezone.now()
    token.save()
    assert _persons(key) == 401


def test_a_token_found_is_kept_for_a_few_seconds_only(
    token_for: Callable[..., str],
    monkeypatch: pytest.MonkeyPatch,
    django_assert_num_queries: Callable[..., Any],
) -> None:
    from passerelle.web.apps.accounts import models

    key = token_for("a", ("persons:read",))
    clock = [1000.0]
    monkeypatch.setattr(models.time, "monotonic", lambda: clock[0])
    found = ApiToken.for_key(key)
    assert found is not None
    with django_assert_num_queries(0):
        assert ApiToken.for_key(key) is found
    # Revoked by another process (no save() here): still served until the time is up ...
    ApiToken.objects.filter(pk=found.pk).update(revoked_at=timezone.now())
    clock[0] += models.TOKEN_CACHE_SECONDS - 0.1
    assert ApiToken.for_key(key) is found
    # ... then refused, and an unknown or revoked key is never kept.
    clock[0] += 0.2
    assert ApiToken.for_key(key) is None
    with django_assert_num_queries(1):
        assert ApiToken.for_key(key) is None
