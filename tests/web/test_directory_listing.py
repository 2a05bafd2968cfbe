"""The directory lists what its counts say, page after page, and nothing synthetic: demo
organisations stay out of the public directory, the HSDS API and the recipients a consent
may name (issue 18, item 5)."""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from django.test import Client
from tests.support.accounts import logged_in

from passerelle.web.apps.directory.models import Organisation
from passerelle.web.apps.directory.services import LoadReport
from passerelle.web.apps.matching.demo import demo_matching

pytestmark = pytest.mark.django_db

DEMO = ("demo-brussels-builders", "demo-international-agency")


def _crawl(client: Client, title: str, link: str, page_name: str) -> tuple[int, list[str]]:
    """The count in the section's heading and every record its pages list, following the
    section's "next" links from the first page."""
    url = "/directory/"
    count, seen = -1, []
    for _page in range(20):
        text = client.get(url).content.decode()
        count = int(re.search(rf'id="{title}">(\d+)', text)[1])  # type: ignore[index]
        section = text[text.index(f'id="{title}"') :]
        section = section[: section.index("</section>")]
        seen += re.findall(rf'href="/{link}/([\w-]+)/"', section)
        following = re.search(rf'rel="next" href="([^"]*{page_name}=\d+)', section)
        if following is None:
            return count, seen
        url = "/directory/" + html.unescape(following[1])
    raise AssertionError("no last page")


def test_the_counts_say_what_the_pages_list(loaded_directory: LoadReport) -> None:
    client = Client()
    count, organisations = _crawl(
        client, "organisations-title", "organisations", "organisations_page"
    )
    assert count > 30  # more than one page
    assert len(organisations) == len(set(organisations)) == count
    assert {"duo-for-a-job", "lire-et-ecrire", "tandem", "sampa"} <= set(organisations)
    count, programmes = _crawl(client, "programmes-title", "programmes", "page")
    assert len(programmes) == len(set(programmes)) == count
    first = client.get("/directory/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Listed here: 1 to 30." in first


def test_demo_organisations_are_never_public(loaded_directory: LoadReport) -> None:
    demo_matching(today=dt.date(2026, 12, 7), password="synthetic-demo-password")
    assert set(Organisation.objects.filter(is_demo=True).values_list("slug", flat=True)) == set(
        DEMO
    )
    client = Client()
    _count, organisations = _crawl(
        client, "organisations-title", "organisations", "organisations_page"
    )
    assert not set(DEMO) & set(organisations)
    assert client.get(f"/organisations/{DEMO[0]}/").status_code == 404
    search = client.get("/directory/?q=demo").content.decode()
    assert "Brussels Builders" not in search
    assert "Bâtisseurs bruxellois" not in search
    listed = []
    for page in range(1, 10):
        body = client.get(f"/api/hsds/organizations?page={page}&per_page=50").json()
        listed += [item["name"] for item in body["contents"]]
        if body["last_page"]:
            break
    assert listed
    assert not [name for name in listed if "demo" in name.lower() or "démo" in name.lower()]


def test_demo_organisations_are_not_consent_recipients(make_user: Callable[..., User]) -> None:
    demo_matching(today=dt.date(2026, 12, 7), password="synthetic-demo-password")
    client = logged_in(make_user("caseworker-demo", "caseworker", "a"))
    response = client.post(
        "/staff/persons/new/",
        {
            "given_names": "Selam",
            "family_name": "Haile",
            "given_names_latin": "Selam",
            "family_name_latin": "Haile",
            "birth_date": "1994-08-09",
            "language": "fr",
            "legal_status": "refugee",
            "nationality": "ER",
            "municipality": "anderlecht",
        },
    )
    assert response.status_code == 302, re.findall(
        r'class="error"[^>]*>([^<]*)', response.content.decode()
    )
    text = client.get(response["Location"]).content.decode()
    recipients = re.findall(r'<option value="(\d+)"', text)
    assert recipients, "the consent form lists no recipient"
    demo_pks = {
        str(pk) for pk in Organisation.objects.filter(is_demo=True).values_list("pk", flat=True)
    }
    assert len(demo_pks) == 2
    assert not demo_pks & set(recipients)
    assert str(Organisation.objects.get(slug="duo-for-a-job").pk) in recipients
