"""Helpers and fixtures for person files (the organisations, accounts and tokens are in
tests/web/conftest.py), with synthetic person files only (no real personal data)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from tests.web.conftest import PASSWORD

from passerelle.web.apps.directory.models import Organisation
from passerelle.web.apps.people.services import consent_record, person_create, person_disclose
from passerelle.web.common.actors import Actor


def synthetic_file(given: str = "Amanuel", family: str = "Tesfaye", **extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "given_names": given,
        "family_name": family,
        "given_names_latin": given,
        "family_name_latin": family,
        "birth_date": "2001-03-14",
        "phone": "+32 470 00 00 00",
        "language": "fr",
        "profile": {
            "nationality": "ER",
            "legal_status": "refugee",
            "asylum_application_date": "2017-02-01",
            "asylum_decision_date": "2018-01-15",
            "residence_permit_months": 60,
            "arrival_in_belgium": "2017-01-20",
            "municipality": "Anderlecht",
            "languages": {"ti": "C2", "fr": "A2"},
        },
        "assessment": {
            "literacy": "functional",
            "diplomas": [{"title": "Secondary school", "country": "ER", "isced": 3}],
            "experience": [{"isco": "7112", "years": 4, "description": "bricklayer"}],
            "social_needs": ["housing"],
        },
    }
    data.update(extra)
    return data


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


@pytest.fixture
def files(organisations: dict[str, Organisation], make_user: Callable[..., User]) -> dict[str, Any]:
    """A file held by A, one held by B and disclosed to A (profile only, under consent), one
    held by C and not shared."""
    writers = {key: make_user(f"writer-{key}", "coordinator", key) for key in "abc"}
    held = {
        key: person_create(actor=actor_of(writers[key]), data=synthetic_file(given=f"Person{key}"))
        for key in "abc"
    }
    consent_record(
        actor=actor_of(writers["b"]),
        person_id=held["b"].pk,
        purpose="referral",
        recipient=organisations["a"],
        fields=["identity", "profile"],
        given_on=dt.date(2026, 1, 5),
    )
    person_disclose(
        actor=actor_of(writers["b"]),
        person_id=held["b"].pk,
        recipient=organisations["a"],
        fields=["identity", "profile"],
    )
    return {"own": held["a"], "disclosed": held["b"], "other": held["c"], "writers": writers}
