"""Accessibility of forms and of text in another language (issue 22, items 2, 4 and 5):
dates as one text field read day first, an error summary that takes focus and links to each
field, `lang`/`dir` on every run of text in a language other than the page's, dates and
numbers through the locale."""

from __future__ import annotations

import datetime as dt
import re
from html.parser import HTMLParser

import pytest
from django.template import Context, Template
from django.test import Client
from django.utils import formats, translation

from passerelle.web.apps.directory.services import LoadReport

pytestmark = pytest.mark.django_db


def _render(source: str, language: str, **context: object) -> str:
    with translation.override(language):
        return Template("{% load passerelle %}" + source).render(Context(context))


@pytest.mark.parametrize(
    ("page", "text_language", "expected"),
    [
        ("fr", "nl", '<span lang="nl">Werk</span>'),
        ("fr", "ar", '<span lang="ar" dir="rtl">Werk</span>'),
        ("ar", "fr", '<span lang="fr" dir="ltr">Werk</span>'),
        ("nl", "nl", "Werk"),
        ("nl", None, "Werk"),
        ("nl", "", "Werk"),
    ],
)
def test_foreign_marks_only_text_in_another_language(
    page: str, text_language: str | None, expected: str
) -> None:
    assert _render("{% foreign text lang %}", page, text="Werk", lang=text_language) == expected


def test_foreign_escapes_the_text() -> None:
    html = _render("{% foreign text 'nl' %}", "fr", text="<b>x</b>")
    assert html == '<span lang="nl">&lt;b&gt;x&lt;/b&gt;</span>'


def test_a_dutch_source_title_carries_its_language_on_every_page(
    loaded_directory: LoadReport,
) -> None:
    for language, marked in (("fr", True), ("ar", True), ("nl", False)):
        client = Client()
        client.cookies["passerelle_language"] = language
        html = client.get("/organisations/agentschap-integratie-inburgering/").content.decode()
        sources = html[html.index('id="sources-title"') :]
        title = re.search(r"<bdi([^>]*)>Agentschap Integratie en Inburgering</bdi>", sources)
        assert title, sources[:1500]
        if marked:
            assert 'lang="nl"' in title.group(1), (language, title.group(0))
            assert ('dir="ltr"' in title.group(1)) == (language == "ar")
        else:
            assert "lang=" not in title.group(1)


class Fields(HTMLParser):
    """Inputs by name, the error summary's links and whether it asks for focus."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.inputs: dict[str, dict[str, str | None]] = {}
        self.labels: dict[str, str] = {}
        self.summary: dict[str, str | None] | None = None
        self.summary_links: list[str] = []
        self._label_for: str | None = None
        self._in_summary = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "input" and attributes.get("name"):
            self.inputs[str(attributes["name"])] = attributes
        if tag == "label":
            self._label_for = attributes.get("for")
            self.labels[str(self._label_for)] = ""
        if tag == "div" and "error-summary" in (attributes.get("class") or ""):
            self.summary = attributes
            self._in_summary = 1
        elif self._in_summary and tag == "div":
            self._in_summary += 1
        if self._in_summary and tag == "a":
            self.summary_links.append(str(attributes.get("href")))

    def handle_endtag(self, tag: str) -> None:
        if tag == "label":
            self._label_for = None
        if tag == "div" and self._in_summary:
            self._in_summary -= 1

    def handle_data(self, data: str) -> None:
        if self._label_for:
            self.labels[self._label_for] += data


def _finder(answers: dict[str, str], language: str = "en") -> Fields:
    client = Client()
    client.cookies["passerelle_language"] = language
    response = client.post("/what-can-i-do/", answers)
    assert response.status_code == 200
    parsed = Fields()
    parsed.feed(response.content.decode())
    return parsed


def test_a_date_is_one_text_field_whose_label_says_day_month_year(
    loaded_directory: LoadReport,
) -> None:
    client = Client()
    client.cookies["passerelle_language"] = "en"
    parsed = Fields()
    parsed.feed(client.get("/what-can-i-do/").content.decode())
    birth = parsed.inputs["birth_date"]
    assert birth["type"] == "text"
    assert "(day/month/year)" in parsed.labels["id_birth_date"]


@pytest.mark.parametrize(
    "typed", ["12/01/2022", "12-01-2022", "12.01.2022", "2022-01-12", "١٢/٠١/٢٠٢٢"]
)
def test_a_date_is_read_day_first_in_latin_or_arabic_digits(
    loaded_directory: LoadReport, typed: str
) -> None:
    client = Client()
    client.cookies["passerelle_language"] = "en"
    html = client.post("/what-can-i-do/", {"on": typed}).content.decode()
    assert "error-summary" not in html
    assert "Your situation on 12 January 2022" in html


def test_a_month_first_date_is_refused_with_a_summary_that_takes_focus(
    loaded_directory: LoadReport,
) -> None:
    parsed = _finder({"birth_date": "01/31/1990", "postcode": "12", "municipality": "outside"})
    assert parsed.summary is not None
    assert parsed.summary["role"] == "alert"
    assert parsed.summary["tabindex"] == "-1"
    assert "autofocus" in parsed.summary
    assert parsed.summary_links == ["#id_birth_date_field", "#id_postcode_field"]
    birth = parsed.inputs["birth_date"]
    assert birth["aria-invalid"] == "true"
    assert "id_birth_date_error" in str(birth["aria-describedby"]).split()


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("fr", "15 mars 2021"),
        ("nl", "15 maart 2021"),
        ("en", "15 March 2021"),
        ("ar", "15 مارس 2021"),
    ],
)
def test_dates_are_written_in_words_day_first_with_latin_digits(
    language: str, expected: str
) -> None:
    with translation.override(language):
        assert formats.date_format(dt.date(2021, 3, 15)) == expected


@pytest.mark.parametrize(("language", "expected"), [("fr", "3,19"), ("ar", "3.19")])
def test_numbers_use_one_decimal_separator_per_language(language: str, expected: str) -> None:
    with translation.override(language):
        assert formats.localize(3.19) == expected
