"""Accounts for tests: the one password of the synthetic accounts, a client logged in
through the real login page (with the second factor), the actor of a user."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from passerelle.web.common.actors import Actor

PASSWORD = "correct horse battery staple"
"""Every test account's password (synthetic accounts only)."""


def two_factor_token(user: User) -> str:
    device = TOTPDevice.objects.filter(user=user).first()
    assert device is not None
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


def logged_in(user: User, *, second_factor: bool = True) -> Client:
    """A client logged in through the real login page (and the second factor when the role
    asks for one or may give one, analysts included; an authenticator device is registered
    first)."""
    client = Client()
    response = client.post(
        "/staff/login/", {"username": user.username, "password": PASSWORD}, follow=False
    )
    assert response.status_code == 302, response.content.decode()[:500]
    if second_factor and (
        client.get("/staff/persons/").status_code == 302  # the role needs it everywhere
        or client.get("/staff/two-factor/").status_code == 200  # analysts: the pair pages
    ):
        client.get("/staff/two-factor/")  # starts the enrolment: an unconfirmed device
        response = client.post("/staff/two-factor/", {"token": two_factor_token(user)})
        assert response.status_code == 302, response.content.decode()[:500]
    return client


def actor_of(user: User) -> Actor:
    membership = user.memberships.select_related("organisation").get()
    return Actor(
        organisation=membership.organisation, role=membership.role, user=user, label=user.username
    )
