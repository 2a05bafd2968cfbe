"""The analysts' pages in tests: the small synthetic cohort's settings, and a client logged
in through the login page with the second factor when the pages ask for it."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from tests.support.accounts import PASSWORD

SMALL = {
    "PASSERELLE_DEMONSTRATION": True,
    "MONITORING_SYNTHETIC_PERSONS": 3000,
    "MONITORING_SYNTHETIC_SEED": 7,
    "MONITORING_BOOTSTRAP": 10,
}


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
