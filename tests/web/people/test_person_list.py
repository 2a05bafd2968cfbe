"""The list of person files in pages: a search stays in the pager's links, so the next page
lists the next files found, not the next files of all."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from tests.support.accounts import actor_of, logged_in
from tests.support.html import tables
from tests.support.pages import pager_links
from tests.support.people import synthetic_file

from passerelle.web.apps.people import views
from passerelle.web.apps.people.services import person_create


@pytest.mark.django_db
def test_the_next_page_of_a_search_lists_the_next_files_found(
    make_user: Callable[..., User], monkeypatch: pytest.MonkeyPatch
) -> None:
    caseworker = make_user("caseworker-a", "caseworker", "a")
    actor = actor_of(caseworker)
    for family in ("Tesfaye", "Tesfay", "Tesfamariam", "Haile", "Bekele"):
        person_create(actor=actor, data=synthetic_file(family=family))
    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    client = logged_in(caseworker)
    url = reverse("people:list")

    first = client.get(url, {"q": "Tesf"}).content.decode()
    assert tables(first)[0].column(0) == ["Tesfamariam Amanuel", "Tesfay Amanuel"]
    assert pager_links(first) == ["?q=Tesf&page=2"]

    second = client.get(url + pager_links(first)[0]).content.decode()
    assert tables(second)[0].column(0) == ["Tesfaye Amanuel"]
    assert pager_links(second) == ["?q=Tesf&page=1"]

    everyone = client.get(url).content.decode()
    assert pager_links(everyone) == ["?page=2"]
