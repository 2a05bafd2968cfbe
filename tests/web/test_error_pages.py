"""The error pages (issue 22, item 3): 400, 403, 404, 429 and 500 in the site's layout and
the reader's language, with the landmarks of every page and a way back; the 500 page
renders without a request, as Django renders it."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.cache import caches
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.test import Client
from django.urls import path
from django.utils import translation
from tests.support.accounts import PASSWORD, logged_in

from passerelle.web.apps.accounts.models import PlatformRole
from passerelle.web.config import urls as site_urls

pytestmark = pytest.mark.django_db


def _boom(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("a bug in a view")


# This module doubles as a URL configuration: the site's, plus a view that fails.
handler400 = site_urls.handler400
urlpatterns = [path("boom/", _boom), *site_urls.urlpatterns]

HEADINGS = {
    ("fr", 400): "La requête a été refusée",
    ("ar", 400): "رُفض الطلب",
    ("fr", 403): "Accès refusé",
    ("ar", 403): "تم رفض الوصول",
    ("fr", 404): "Page introuvable",
    ("ar", 404): "الصفحة غير موجودة",
    ("fr", 429): "Trop de demandes",
    ("ar", 429): "طلبات كثيرة جدًا",
    ("fr", 500): "Erreur du serveur",
    ("fr", "csrf"): "Le formulaire n'a pas pu être envoyé",
    ("ar", "csrf"): "تعذّر إرسال النموذج",
    ("ar", 500): "خطأ في الخادم",
}


@pytest.fixture
def limits(settings: Any) -> Iterator[None]:
    settings.RATELIMIT_ENABLE = True
    settings.RATE_LIMITS = {"login": "1/m", "options": "4/m", "token_api": "5/m"}
    caches["ratelimit"].clear()
    yield
    caches["ratelimit"].clear()


def _answer(status: int, language: str, settings: Any) -> HttpResponse:
    client = Client(raise_request_exception=False, HTTP_ACCEPT_LANGUAGE=language)
    if status == 400:
        return client.get("/directory/?q=%00")
    if status == 404:
        return client.get("/no-such-page/")
    if status == 429:
        client.post("/staff/login/", {"username": "u1", "password": "x"})
        return client.post("/staff/login/", {"username": "u2", "password": "x"})
    settings.ROOT_URLCONF = __name__
    return client.get("/boom/")


def _check_page(
    response: HttpResponse, status: int, language: str, heading: int | str | None = None
) -> str:
    assert response.status_code == status
    page = response.content.decode()
    direction = "rtl" if language == "ar" else "ltr"
    assert f'<html lang="{language}" dir="{direction}">' in page
    title = re.search(r"<title>(.*?)</title>", page, re.S)
    assert title is not None
    assert "<" not in title.group(1)
    assert ">" not in title.group(1)
    expected = HEADINGS[(language, heading or status)]
    assert expected in title.group(1)
    for landmark in ("<header", "<nav", '<main id="main"', "<footer"):
        assert landmark in page
    main = page[page.index("<main") : page.index("</main>")]
    assert f"<h1>{expected}</h1>" in main
    assert 'href="/"' in main  # the way back to the start page
    for inline in ("style=", "<script", "<style"):  # the Content-Security-Policy forbids them
        assert inline not in page
    return main


@pytest.mark.parametrize("language", ["fr", "ar"])
@pytest.mark.parametrize("status", [400, 404, 429, 500])
@pytest.mark.usefixtures("limits")
def test_each_error_page_is_styled_in_the_readers_language(
    status: int, language: str, settings: Any
) -> None:
    _check_page(_answer(status, language, settings), status, language)


@pytest.mark.parametrize("language", ["fr", "ar"])
@pytest.mark.parametrize(
    "page", ["/analysis/beneficiaries/runs/", "/analysis/beneficiaries/review/"]
)
def test_a_coordinator_refused_the_linkage_pages_gets_the_styled_403_and_a_way_back(
    make_user: Callable[..., User], language: str, page: str
) -> None:
    client = logged_in(make_user("co", "coordinator", "a"))
    response = client.get(page, HTTP_ACCEPT_LANGUAGE=language)
    main = _check_page(response, 403, language)
    assert 'href="/staff/persons/"' in main  # the coordinator's own start page


def test_the_500_page_renders_without_a_request() -> None:
    """Django renders 500.html with an empty context and no request (the request may be
    what broke); the page must still come in the site's layout."""
    with translation.override("ar"):
        page = render_to_string("500.html")
    assert '<html lang="ar" dir="rtl">' in page
    assert "<main" in page
    assert 'href="/"' in page
    assert "/static/passerelle/site.css" in page


@pytest.mark.parametrize(
    ("role", "platform_role", "linkage", "encodings"),
    [
        ("coordinator", "", False, True),
        ("org_admin", "", False, True),
        (None, PlatformRole.ANALYST, True, False),
    ],
)
def test_the_beneficiaries_menu_shows_only_links_the_role_may_follow(
    make_user: Callable[..., User],
    role: str | None,
    platform_role: str,
    linkage: bool,
    encodings: bool,
) -> None:
    client = logged_in(make_user("someone", role, "a", platform_role=platform_role))
    page = client.get("/analysis/beneficiaries/").content.decode()
    nav = page[page.index('class="nav beneficiaries-nav"') :]
    nav = nav[: nav.index("</ul>")]
    for href, shown in (
        ("/analysis/beneficiaries/runs/", linkage),
        ("/analysis/beneficiaries/review/", linkage),
        ("/analysis/beneficiaries/share/", encodings),
    ):
        assert (f'href="{href}"' in nav) is shown
        if shown:
            assert client.get(href).status_code == 200


@pytest.mark.parametrize("language", ["fr", "ar"])
def test_a_form_refused_by_the_csrf_check_gets_the_styled_403(language: str) -> None:
    client = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE=language)
    response = client.post("/staff/login/", {"username": "u1", "password": "x"})
    _check_page(response, 403, language, heading="csrf")


def test_an_analyst_without_a_membership_starts_on_the_analysis(
    make_user: Callable[..., User],
) -> None:
    """Their start page was the person files, which refuse a user of no organisation; it is
    now their own page (/staff/), which links to every analysis page (issue 18)."""
    client = logged_in(make_user("an", None, platform_role=PlatformRole.ANALYST))
    response = client.post(
        "/staff/login/", {"username": "an", "password": PASSWORD}, HTTP_ACCEPT_LANGUAGE="fr"
    )
    assert response.status_code == 302
    assert response["Location"] == "/staff/"
    main = _check_page(client.get("/no-such-page/", HTTP_ACCEPT_LANGUAGE="fr"), 404, "fr")
    assert 'href="/staff/"' in main
