"""Accessibility of what a screen reader announces: page titles are plain text, language
markers stay out of link and heading names.
Every public page is rendered in every language and parsed, not searched for strings."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html import unescape
from html.parser import HTMLParser

import pytest
from django.conf import settings
from django.test import Client

from passerelle.web.apps.directory.models import Organisation, Programme
from passerelle.web.apps.directory.services import LoadReport

pytestmark = pytest.mark.django_db

LANGUAGES = [code for code, _name in settings.LANGUAGES]
NAMED_ELEMENTS = frozenset({"a", "h1", "h2", "h3", "h4", "h5", "h6", "button"})
VOID_ELEMENTS = frozenset({"br", "img", "input", "meta", "link", "hr", "source", "wbr"})
TITLE = re.compile(r"<title>(.*?)</title>", re.DOTALL)


@dataclass
class Named:
    """A link or heading: its accessible name (text minus aria-hidden subtrees) and the
    language markers it contains."""

    tag: str
    name: str = ""
    markers: list[str] = field(default_factory=list)


class NameCollector(HTMLParser):
    """Accessible names of links and headings, following aria-hidden as a browser does
    for names computed from content."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, bool]] = []  # (tag, hidden from the name)
        self.open: list[Named] = []
        self.named: list[Named] = []
        self.marker_depth: list[int] = []
        self.unhidden_markers = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in VOID_ELEMENTS:
            return
        attributes = dict(attrs)
        hidden = (bool(self.stack) and self.stack[-1][1]) or attributes.get("aria-hidden") == "true"
        if "lang-marker" in (attributes.get("class") or "").split():
            self.marker_depth.append(len(self.stack))
            if not hidden:
                self.unhidden_markers += 1
        self.stack.append((tag, hidden))
        if tag in NAMED_ELEMENTS:
            self.open.append(Named(tag))

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID_ELEMENTS or not self.stack:
            return
        self.stack.pop()
        if self.marker_depth and self.marker_depth[-1] == len(self.stack):
            self.marker_depth.pop()
        if tag in NAMED_ELEMENTS and self.open and self.open[-1].tag == tag:
            done = self.open.pop()
            done.name = " ".join(done.name.split())
            self.named.append(done)

    def handle_data(self, data: str) -> None:
        hidden = bool(self.stack) and self.stack[-1][1]
        for named in self.open:
            if self.marker_depth:
                named.markers.append(data.strip())
            if not hidden:
                named.name += data


def _page(path: str, language: str) -> str:
    client = Client()
    client.cookies["passerelle_language"] = language
    response = client.get(path)
    assert response.status_code == 200, (path, language)
    html = response.content.decode()
    assert f'<html lang="{language}"' in html
    return html


def _public_paths() -> list[str]:
    paths = ["/", "/directory/", "/what-can-i-do/", "/calendar/"]
    paths += [
        f"/organisations/{slug}/" for slug in Organisation.objects.values_list("slug", flat=True)
    ]
    paths += [f"/programmes/{slug}/" for slug in Programme.objects.values_list("slug", flat=True)]
    return paths


def _title(html: str) -> str:
    found = TITLE.search(html)
    assert found, "no <title>"
    return found.group(1)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_public_page_has_a_plain_title_and_marker_free_names(
    loaded_directory: LoadReport, language: str
) -> None:
    paths = _public_paths()
    assert len(paths) > 40  # the knowledge base's organisations and programmes are all here
    marked_names = 0
    for path in paths:
        html = _page(path, language)
        title = _title(html)
        for forbidden in ("<", "&lt;", "lang-marker"):
            assert forbidden not in title, (path, title)
        collector = NameCollector()
        collector.feed(html)
        assert collector.unhidden_markers == 0, path
        for named in collector.named:
            if not named.markers:
                continue
            marked_names += 1
            for marker in named.markers:
                assert not named.name.endswith(marker), (path, named)
    if language == "ar":
        # Few names exist in Arabic: their markers were met and kept out of the names.
        assert marked_names > 0


def test_a_name_in_another_direction_is_isolated_in_the_arabic_title(
    loaded_directory: LoadReport,
) -> None:
    organisation = next(
        o for o in Organisation.objects.all() if not o.names.get("ar") and o.names.get("en")
    )
    html = _page(f"/organisations/{organisation.slug}/", "ar")
    title = unescape(_title(html))
    assert title.startswith(f"\u2068{organisation.names['en']}\u2069 · "), title
    collector = NameCollector()
    collector.feed(html)
    heading = next(named for named in collector.named if named.tag == "h1")
    assert heading.name == organisation.names["en"]
    # Its own name, the same in French, Dutch and English, is not marked as English.
    assert organisation.names["fr"] == organisation.names["nl"] == organisation.names["en"]
    assert heading.markers == []


def test_a_title_in_the_readers_language_is_left_as_it_is(loaded_directory: LoadReport) -> None:
    programme = Programme.objects.filter(names__has_key="fr").first()
    assert programme is not None
    title = unescape(_title(_page(f"/programmes/{programme.slug}/", "fr")))
    assert title.startswith(f"{programme.names['fr']} · ")
    assert "\u2068" not in title
