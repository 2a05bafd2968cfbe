"""The public pages through HTTP: directory filters, organisation and programme pages,
languages and the calendar feed."""

from __future__ import annotations

import pytest
from django.test import Client
from icalendar import Calendar

from passerelle.web.apps.directory.services import LoadReport

pytestmark = pytest.mark.django_db


def _html(path: str, client: Client | None = None) -> str:
    response = (client or Client()).get(path)
    assert response.status_code == 200, path
    return response.content.decode()


def test_home_page_has_a_search(loaded_directory: LoadReport) -> None:
    html = _html("/")
    assert 'role="search"' in html
    assert 'action="/directory/"' in html


@pytest.mark.parametrize(
    ("query", "present", "absent"),
    [
        ("?q=tandem", "tandem-internship", "duo-for-a-job-mentoring"),
        ("?q=TANDEM", "tandem-internship", "duo-for-a-job-mentoring"),
        ("?what=mentoring", "duo-for-a-job-mentoring", "tandem-internship"),
        ("?what=internship&language=en", "tandem-internship", "bapa-bxl-integration-pathway"),
        ("?municipality=uccle", "cpas-uccle-socio", "cpas-ixelles-socio"),
        ("?who=asylum_seekers", "tandem-internship", "cpas-uccle-socio"),
        ("?what=employer_support&on=2016-06-01", "feb-vbo-employer-guide", "tandem-internship"),
    ],
)
def test_directory_filters(
    loaded_directory: LoadReport, query: str, present: str, absent: str
) -> None:
    html = _html(f"/directory/{query}")
    assert f"/programmes/{present}" in html
    assert f"/programmes/{absent}" not in html


def test_a_dormant_organisations_programmes_leave_the_directory_on_later_dates(
    loaded_directory: LoadReport,
) -> None:
    assert "feb-vbo-employer-guide" not in _html("/directory/?on=2019-01-01")


def test_organisation_page_shows_dated_status_and_sources(loaded_directory: LoadReport) -> None:
    client = Client()
    client.cookies["passerelle_language"] = "en"
    html = _html("/organisations/feb-vbo-refugee-taskforce/", client)
    assert "Dormant since March 2018" in html
    assert "Sources" in html
    assert "paragraph" in html


def test_programme_page_renders_the_criteria_readably(loaded_directory: LoadReport) -> None:
    client = Client()
    client.cookies["passerelle_language"] = "en"
    html = _html("/programmes/duo-for-a-job-mentoring/", client)
    assert "aged 18 to 30" in html
    assert "migration background" in html


def test_unknown_pages_are_404(loaded_directory: LoadReport) -> None:
    assert Client().get("/programmes/no-such-programme/").status_code == 404
    assert Client().get("/organisations/no-such-organisation/").status_code == 404


@pytest.mark.parametrize(
    ("language", "direction"), [("fr", "ltr"), ("nl", "ltr"), ("en", "ltr"), ("ar", "rtl")]
)
def test_the_language_sets_lang_and_direction(
    loaded_directory: LoadReport, language: str, direction: str
) -> None:
    client = Client()
    client.cookies["passerelle_language"] = language
    assert f'<html lang="{language}" dir="{direction}">' in _html("/", client)


def test_the_language_switcher_remembers_the_choice(loaded_directory: LoadReport) -> None:
    client = Client()
    response = client.post("/i18n/setlang/", {"language": "ar", "next": "/directory/"})
    assert response.status_code == 302
    assert client.cookies["passerelle_language"].value == "ar"
    assert '<html lang="ar" dir="rtl">' in _html("/directory/", client)


def test_content_in_another_language_is_marked(loaded_directory: LoadReport) -> None:
    client = Client()
    client.cookies["passerelle_language"] = "ar"
    html = _html("/programmes/tandem-internship/", client)
    assert 'class="lang-marker"' in html
    assert 'lang="en" dir="ltr"' in html or 'lang="fr" dir="ltr"' in html


def test_the_calendar_feed_is_valid_icalendar(loaded_directory: LoadReport) -> None:
    response = Client().get("/calendar.ics")
    assert response["Content-Type"].startswith("text/calendar")
    calendar = Calendar.from_ical(response.content)
    events = list(calendar.walk("VEVENT"))
    assert events, "the monthly Be.Face seminar at BON is in the feed"
    monthly = [event for event in events if event.get("rrule", {}).get("FREQ") == ["MONTHLY"]]
    assert monthly
    assert any("BON" in str(event.get("location", "")) for event in monthly)


def test_long_results_are_paginated_and_the_count_capped(loaded_directory: LoadReport) -> None:
    from passerelle.web.apps.directory.models import Organisation, Origin, Programme, stable_uuid

    owner = Organisation.objects.get(slug="actiris")
    Programme.objects.bulk_create(
        Programme(
            slug=f"synthetic-course-{n:03d}",
            uuid=stable_uuid("programme", f"s{n}"),
            origin=Origin.USER,
            organisation=owner,
            names={"en": f"Synthetic course {n}"},
            search_text=f"synthetic course {n}",
            categories=["training"],
            categories_index=" training ",
        )
        for n in range(320)
    )
    client = Client()
    client.cookies["passerelle_language"] = "en"
    first = _html("/directory/?q=synthetic", client)
    assert "More than 300 programmes" in first
    assert first.count("/programmes/synthetic-course-") == 30
    assert 'rel="next"' in first
    last = _html("/directory/?q=synthetic&page=11", client)
    assert last.count("/programmes/synthetic-course-") == 20
    assert 'rel="next"' not in last
    assert 'rel="prev"' in last


def test_directory_pages_are_cached_per_query_and_language(loaded_directory: LoadReport) -> None:
    from django.core.cache import cache
    from django.test import override_settings

    from passerelle.web.apps.directory.models import Programme

    locmem = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "directory-cache-test",
        }
    }
    with override_settings(CACHES=locmem, DIRECTORY_CACHE_SECONDS=60):
        cache.clear()
        client = Client()
        client.cookies["passerelle_language"] = "en"
        before = _html("/directory/?q=tandem", client)
        Programme.objects.filter(slug="tandem-internship").update(names={"en": "Renamed"})
        again = _html("/directory/?q=tandem", client)
        # The main content is served from the cache (the header's CSRF token changes).
        assert again[again.index("<main") :] == before[before.index("<main") :]
        assert "Renamed" not in again
        assert "Renamed" in _html("/directory/?q=tandem&what=internship", client)  # other query
        client.cookies["passerelle_language"] = "fr"
        assert 'lang="fr"' in _html("/directory/?q=tandem", client)  # other language
        cache.clear()
        client.cookies["passerelle_language"] = "en"
        assert "Renamed" in _html("/directory/?q=tandem", client)
