"""The site header shows a logged-in user only the staff links they may follow."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from tests.support.accounts import logged_in

from passerelle.web.apps.accounts.models import PlatformRole

pytestmark = pytest.mark.django_db


def _header(client: object, path: str = "/") -> str:
    html = client.get(path).content.decode()  # type: ignore[attr-defined]
    return html[html.index("<header") : html.index("</header>")]


@pytest.mark.parametrize(
    ("role", "platform_role", "shown", "hidden"),
    [
        ("caseworker", "", {"/staff/persons/"}, {"/analysis/", "/staff/matching/"}),
        ("coordinator", "", {"/staff/persons/", "/analysis/"}, {"/staff/matching/"}),
        ("employer", "", {"/staff/matching/"}, {"/staff/persons/", "/analysis/"}),
        (None, PlatformRole.ANALYST, {"/analysis/"}, {"/staff/persons/", "/staff/matching/"}),
    ],
)
def test_each_role_sees_the_links_it_may_follow(
    make_user: Callable[..., User],
    role: str | None,
    platform_role: str,
    shown: set[str],
    hidden: set[str],
) -> None:
    client = logged_in(make_user("someone", role, "a", platform_role=platform_role))
    header = _header(client)
    for path in shown:
        assert f'href="{path}"' in header
        assert client.get(path).status_code == 200  # type: ignore[attr-defined]
    for path in hidden:
        assert f'href="{path}"' not in header


def test_a_visitor_sees_no_staff_link(client: object) -> None:
    header = _header(client)
    assert "/staff/persons/" not in header
    assert "/analysis/" not in header
