"""Fixtures for the analysts' pages: users in every relevant role, logged in through the
real login page and second factor; a small synthetic cohort (synthetic data only)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from django.contrib.auth.models import User
from django.test import Client, override_settings
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from passerelle.web.apps.accounts.models import PlatformRole

PASSWORD = "correct horse battery staple"
SMALL = {
    "MONITORING_SYNTHETIC_PERSONS": 3000,
    "MONITORING_SYNTHETIC_SEED": 7,
    "MONITORING_BOOTSTRAP": 10,
}


@pytest.fixture(autouse=True)
def small_cohort() -> Iterator[None]:
    with override_settings(**SMALL):
        yield


def logged_in(user: User) -> Client:
    """Log in through the login page; register and pass the second factor if asked."""
    client = Client()
    response = client.post("/staff/login/", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    if client.get("/analysis/report/").get("Location", "").startswith("/staff/two-factor/"):
        client.get("/staff/two-factor/")
        device = TOTPDevice.objects.get(user=user)
        token = totp(device.bin_key, device.step, device.t0, device.digits, device.drift)
        response = client.post("/staff/two-factor/", {"token": f"{token:06d}"})
        assert response.status_code == 302
    return client


@pytest.fixture
def login() -> Callable[[User], Client]:
    return logged_in


@pytest.fixture
def analyst(make_user: Callable[..., User]) -> Client:
    return logged_in(make_user("analyst", platform_role=PlatformRole.ANALYST))
