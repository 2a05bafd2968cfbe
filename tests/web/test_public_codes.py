"""No code or slug reaches a reader of the public pages (issue 18, item 2): the home page,
the directory, organisation and programme pages, the calendar and the finder's answers for
several situations are rendered in French, Dutch, English and Arabic, and their visible text
must hold no legal status, field, status code, organisation or programme id."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from django.test import Client
from tests.support.finder import ASYLUM_SEEKER, REFUGEE

from passerelle.core.rules.facts import FACTS
from passerelle.knowledge.criteria import FIELDS, LEGAL_STATUSES
from passerelle.knowledge.loader import load_knowledge
from passerelle.web.apps.directory.services import LoadReport
from passerelle.web.common.labels import PROFILE_FIELD_LABELS

pytestmark = pytest.mark.django_db

LANGUAGES = ("fr", "nl", "en", "ar")
SITUATIONS = [
    ASYLUM_SEEKER,
    {**REFUGEE, "municipality": "schaerbeek"},
    {  # subsidiary protection, 26, with a migration background, Molenbeek
        "legal_status": "subsidiary_protection",
        "asylum_application_date": "2019-02-04",
        "asylum_decision_date": "2019-12-15",
        "birth_date": "1994-01-10",
        "nationality": "AF",
        "arrival_in_belgium": "2019-01-28",
        "municipality": "molenbeek-saint-jean",
        "migration_background": "yes",
        "on": "2020-03-02",
    },
    {  # a 17-year-old with little said: many answers missing
        "legal_status": "temporary_protection",
        "birth_date": "2005-05-05",
        "on": "2022-09-01",
    },
]


class _VisibleText(HTMLParser):
    """The text a reader sees: text nodes outside <script>, <style> and <head> (attributes
    such as href or data-* are not read). `native` keeps only the text in the page's own
    language: a knowledge text shown in English with its marker (lang="en") is left out."""

    HIDDEN = frozenset({"script", "style", "head"})
    VOID = frozenset({"br", "img", "input", "meta", "link", "hr", "source", "wbr"})

    def __init__(self, language: str) -> None:
        super().__init__()
        self.language = language
        self.parts: list[str] = []
        self.native: list[str] = []
        self._stack: list[tuple[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in self.VOID:
            self._stack.append((tag, dict(attrs).get("lang")))

    def handle_endtag(self, tag: str) -> None:
        while self._stack:
            if self._stack.pop()[0] == tag:
                break

    def handle_data(self, data: str) -> None:
        if any(tag in self.HIDDEN for tag, _lang in self._stack):
            return
        self.parts.append(data)
        languages = [lang for _tag, lang in self._stack if lang]
        if not languages or languages[-1] == self.language:
            self.native.append(data)


def _visible(html: str, language: str) -> tuple[str, str]:
    parser = _VisibleText(language)
    parser.feed(html)
    return (" ".join(" ".join(parser.parts).split()), " ".join(" ".join(parser.native).split()))


def _codes() -> set[str]:
    """Codes written with an underscore or a hyphen never read as words in any language."""
    knowledge = load_knowledge()
    codes = {c for c in (*LEGAL_STATUSES, *FIELDS, *FACTS, *PROFILE_FIELD_LABELS) if "_" in c}
    codes |= {"not_eligible", "eligible_from", "with_permit", "in_progress"}
    codes |= {slug for slug in knowledge.organisations if "-" in slug}
    codes |= {slug for slug in knowledge.programmes if "-" in slug}
    return codes


ENGLISH_CODES = ("refugee", "asylum_seeker", "eligible", "unknown", "unlimited")
"""Codes that read as English words: in the text of a page of another language, codes."""


def _problems(text: str, native: str, language: str, codes: set[str]) -> list[str]:
    found = [code for code in codes if re.search(rf"(?<![\w/.-]){re.escape(code)}(?![\w-])", text)]
    if language != "en":
        found += [word for word in ENGLISH_CODES if re.search(rf"\b{word}\b", native)]
    return found


ORGANISATIONS = ("actiris", "be-face", "bon", "convivial", "cpas-anderlecht", "duo-for-a-job")
ORGANISATIONS += ("sampa", "tandem")
"""Organisation pages of every kind of content: a parent in the history (BON, Tandem),
partnerships and events (Be.Face, Convivial), a local service (SAMPA, a CPAS)."""


def _pages(client: Client) -> list[tuple[str, str]]:
    """The pages where codes were seen: home, directory, calendar, the programme pages (but
    one CPAS: the others are the same template and text), organisation pages of every kind
    of content, and the finder's answers. Kept to about 30 pages a language: seconds."""
    knowledge = load_knowledge()
    paths = ["/", "/directory/", "/directory/?organisations_page=2", "/calendar/"]
    paths += [
        f"/programmes/{slug}/"
        for slug in sorted(knowledge.programmes)
        if not slug.startswith("cpas-") or slug.startswith("cpas-anderlecht")
    ]
    paths += [f"/organisations/{slug}/" for slug in ORGANISATIONS]
    pages = []
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, path
        pages.append((path, response.content.decode()))
    for number, situation in enumerate(SITUATIONS):
        response = client.post("/what-can-i-do/", situation)
        assert response.status_code == 200
        pages.append((f"finder #{number}", response.content.decode()))
    return pages


def test_no_code_in_the_visible_text_of_public_pages(loaded_directory: LoadReport) -> None:
    codes = _codes()
    problems = []
    for language in LANGUAGES:
        client = Client()
        client.cookies["passerelle_language"] = language
        for where, html in _pages(client):
            text, native = _visible(html, language)
            for code in _problems(text, native, language, codes):
                at = max(text.find(code), 0)
                problems.append(
                    f"{language} {where}: {code!r} in …{text[max(0, at - 60) : at + 60]}…"
                )
    assert not problems, "\n".join(problems[:60])
