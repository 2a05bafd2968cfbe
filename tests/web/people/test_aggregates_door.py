"""Who may open the analysts' pages: analysts, platform administrators, coordinators and
organisation administrators; never a caseworker; always after the second factor."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory

from passerelle.web.apps.accounts.decorators import aggregates_view, may_see_aggregates


@aggregates_view
def dashboard(request: HttpRequest) -> HttpResponse:
    return HttpResponse("aggregates")


@pytest.mark.parametrize(
    ("role", "platform_role", "allowed"),
    [
        ("caseworker", "", False),
        ("coordinator", "", True),
        ("org_admin", "", True),
        (None, "analyst", True),
        (None, "admin", True),
        (None, "", False),
    ],
)
def test_who_sees_aggregates(
    make_user: Callable[..., User], role: str | None, platform_role: str, allowed: bool
) -> None:
    user = make_user("someone", role, platform_role=platform_role)
    assert may_see_aggregates(user) is allowed


def test_the_door_asks_for_login_and_second_factor(make_user: Callable[..., User]) -> None:
    from django.contrib.auth.models import AnonymousUser

    factory = RequestFactory()
    request = factory.get("/analysis/")
    request.user = AnonymousUser()
    assert dashboard(request).status_code == 302
    request = factory.get("/analysis/")
    coordinator = make_user("co", "coordinator")
    coordinator.is_verified = lambda: False  # as django-otp's middleware says before the code
    request.user = coordinator
    response = dashboard(request)
    assert response.status_code == 302
    assert response["Location"] == "/staff/two-factor/"
