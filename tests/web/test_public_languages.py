"""The public languages (uk, ti, fa-af, ps) next to the staff ones: the public pages in
the reader's language with its `lang`/`dir`, the knowledge base's plain texts, the line that
says a translation is unreviewed, and staff pages that fall back to French."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.test import Client
from django.utils.html import escape
from tests.support.accounts import logged_in

from passerelle.knowledge.loader import load_knowledge
from passerelle.web.apps.directory.services import LoadReport

pytestmark = pytest.mark.django_db

PUBLIC_ONLY = ("uk", "ti", "fa-af", "ps")
# A word of each catalogue and a letter of each script, to tell the page is really in it.
FINDER_TITLE = {
    "uk": "Що я можу робити?",
    "ti": "እንታይ ክገብር እኽእል?",
    "fa-af": "من چه کاری می‌توانم بکنم؟",
    "ps": "زه څه کولی شم؟",
}
DIRECTION = {"uk": "ltr", "ti": "ltr", "fa-af": "rtl", "ps": "rtl"}


def _client(language: str) -> Client:
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


@pytest.fixture
def caseworker_client(make_user: Callable[..., User]) -> Client:
    return logged_in(make_user("cw", "caseworker"), second_factor=False)


def _html(client: Client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, path
    return response.content.decode()


def test_the_public_languages_are_declared_apart_from_the_staff_ones() -> None:
    assert set(settings.STAFF_LANGUAGES) == {"fr", "nl", "en", "ar"}
    assert set(settings.PUBLIC_LANGUAGES) == {*settings.STAFF_LANGUAGES, *PUBLIC_ONLY}
    assert {code for code, _name in settings.LANGUAGES} == set(settings.PUBLIC_LANGUAGES)


@pytest.mark.parametrize("language", PUBLIC_ONLY)
def test_the_finder_speaks_the_public_language(loaded_directory: LoadReport, language: str) -> None:
    html = _html(_client(language), "/what-can-i-do/")
    assert f'<html lang="{language}" dir="{DIRECTION[language]}">' in html
    assert FINDER_TITLE[language] in html
    # The interface is a machine translation: the page says so and offers the French.
    assert 'class="unreviewed-translation"' in html
    assert '<input name="language" type="hidden" value="fr">' in html
    assert "Lire l’original français" in html


@pytest.mark.parametrize("language", PUBLIC_ONLY)
def test_a_programme_page_shows_the_plain_text_in_the_readers_language(
    loaded_directory: LoadReport, language: str
) -> None:
    entry = load_knowledge().reader_text("programmes", "tandem-internship", language)
    assert entry is not None
    html = _html(_client(language), "/programmes/tandem-internship/")
    assert f'<html lang="{language}" dir="{DIRECTION[language]}">' in html
    assert escape(entry.text.summary) in html
    assert escape(entry.text.for_whom) in html
    assert escape(entry.text.how_to_apply) in html
    assert entry.text.name is not None
    assert f"<h1>{escape(entry.text.name)}</h1>" in html
    # Tandem's website, recorded in the knowledge base, is where to apply.
    assert 'href="https://tandemvolunteering.org"' in html


def test_a_proper_name_shows_without_a_language_marker(loaded_directory: LoadReport) -> None:
    """Actiris is Actiris in every language: not "English" on an Arabic or Pashto page."""
    for language in ("ar", "ps"):
        html = _html(_client(language), "/organisations/actiris/")
        heading = re.search(r"<h1>(.*?)</h1>", html, re.S)
        assert heading is not None
        assert heading.group(1) == "<bdi>Actiris</bdi>"


def test_a_french_page_with_machine_translated_content_offers_the_english_original(
    loaded_directory: LoadReport,
) -> None:
    html = _html(_client("fr"), "/programmes/tandem-internship/")
    assert 'class="unreviewed-translation"' in html
    assert '<input name="language" type="hidden" value="en">' in html
    assert "Read the English original" in html


def test_the_english_original_has_no_unreviewed_translation_line(
    loaded_directory: LoadReport,
) -> None:
    html = _html(_client("en"), "/programmes/tandem-internship/")
    assert "unreviewed-translation" not in html


def test_the_switcher_offers_the_public_languages_on_public_pages_only(
    caseworker_client: Client,
) -> None:
    public = _html(Client(), "/directory/")
    for code, local_name in (
        ("uk", "Українська"),
        ("ti", "ትግርኛ"),
        ("fa-af", "دری"),
        ("ps", "پښتو"),
    ):
        assert f'<option value="{code}" lang="{code}">{local_name}</option>' in public
    staff = caseworker_client.get("/staff/persons/")
    assert staff.status_code == 200
    assert 'value="ti"' not in staff.content.decode()


@pytest.mark.parametrize("language", PUBLIC_ONLY)
def test_a_staff_page_in_a_public_only_language_falls_back_to_french(
    caseworker_client: Client, language: str
) -> None:
    caseworker_client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = caseworker_client.get("/staff/persons/")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="fr" dir="ltr">' in html
    assert "unreviewed-translation" not in html


def test_the_setlang_view_accepts_the_public_languages() -> None:
    client = Client()
    for language in PUBLIC_ONLY:
        response = client.post("/i18n/setlang/", {"language": language, "next": "/"})
        assert response.status_code == 302
        assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == language


@pytest.mark.parametrize("language", PUBLIC_ONLY)
def test_the_rights_sentences_come_in_the_public_language(
    loaded_directory: LoadReport, language: str
) -> None:
    response = _client(language).post(
        "/what-can-i-do/", {"legal_status": "refugee", "on": "2026-01-15"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    may_work = {
        "uk": "Ви можете працювати.",
        "ti": "ክትሰርሑ ትኽእሉ ኢኹም።",
        "fa-af": "شما می‌توانید کار کنید.",
        "ps": "تاسو کار کولی شئ.",
    }
    assert may_work[language] in html


def test_the_directory_and_the_finder_name_programmes_in_the_readers_language(
    loaded_directory: LoadReport,
) -> None:
    client = _client("ti")
    directory = _html(client, "/directory/?q=tandem")
    assert ">ልምምድ ስራሕ Tandem</a>" in directory
    cpas = _html(client, "/directory/?q=anderlecht")
    assert "ህዝባዊ ማእከል ማሕበራዊ ሓገዝ (CPAS / OCMW) Anderlecht" in cpas
    answer = client.post("/what-can-i-do/", {"legal_status": "refugee", "on": "2026-01-15"})
    assert "ልምምድ ስራሕ Tandem" in answer.content.decode()
