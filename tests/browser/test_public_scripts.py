"""The public languages in their scripts, in a real browser: Ukrainian (Cyrillic), Tigrinya
(Ge'ez), Dari and Pashto (Arabic script, right to left). The finder and a programme page
come with the right `lang` and `dir`, their content in that language, and the glyphs drawn
from the font the site serves (a web font Chromium reports as used for the text), not from
whatever the machine has, nor as tofu.

As in test_public_pages, interface words are not written here: they are read from the
site's own catalogues and knowledge base.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import translation
from playwright.sync_api import BrowserContext, Page

from passerelle.knowledge.loader import load_knowledge

pytestmark = pytest.mark.browser

LANGUAGE_COOKIE = "passerelle_language"
PROGRAMME = "tandem-internship"
FIRST_LOAD_MS = 60_000

SCRIPTS = {
    # language: (direction, @font-face family, font file, family name inside the font)
    "uk": ("ltr", "passerelle Cyrillic", "noto-sans-cyrillic.woff2", "Noto Sans"),
    "ti": ("ltr", "passerelle Ethiopic", "noto-sans-ethiopic.woff2", "Noto Sans Ethiopic"),
    "fa-af": ("rtl", "passerelle Naskh", "noto-naskh-arabic.woff2", "Noto Naskh Arabic"),
    "ps": ("rtl", "passerelle Naskh", "noto-naskh-arabic.woff2", "Noto Naskh Arabic"),
}


def _open(page: Page, context: BrowserContext, site: str, language: str, path: str) -> list[str]:
    """Open `path` in `language`; the font files the page loaded."""
    context.add_cookies([{"name": LANGUAGE_COOKIE, "value": language, "url": site}])
    fonts: list[str] = []
    page.on(
        "response",
        lambda response: (
            fonts.append(response.url.rsplit("/", 1)[-1])
            if response.url.endswith(".woff2") and response.ok
            else None
        ),
    )
    # The live server's first request imports every app: slow on a loaded machine.
    page.goto(path, timeout=FIRST_LOAD_MS)
    page.evaluate("document.fonts.ready.then(() => true)")
    return fonts


def _fonts_drawing(page: Page, selector: str) -> list[dict[str, Any]]:
    """The fonts Chromium used to draw the text of `selector` (DevTools protocol)."""
    session = page.context.new_cdp_session(page)
    session.send("DOM.enable")
    session.send("CSS.enable")
    root = session.send("DOM.getDocument")["root"]["nodeId"]
    node = session.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
    fonts: list[dict[str, Any]] = session.send("CSS.getPlatformFontsForNode", {"nodeId": node})[
        "fonts"
    ]
    session.detach()
    return fonts


def _assert_served_font(page: Page, loaded: list[str], language: str, selector: str) -> None:
    _direction, family, file, internal_name = SCRIPTS[language]
    assert file in loaded, f"{file} was not loaded: {loaded}"
    status = page.evaluate(
        "family => [...document.fonts].filter(f => f.family.replaceAll('\"', '') === family)"
        ".map(f => f.status)",
        family,
    )
    assert "loaded" in status, status
    drawn = _fonts_drawing(page, selector)
    served = [f for f in drawn if f["isCustomFont"] and f["familyName"] == internal_name]
    assert served, drawn
    assert served[0]["glyphCount"] > 0, drawn


@pytest.mark.parametrize("language", list(SCRIPTS))
def test_the_finder_renders_in_its_script(
    page: Page, context: BrowserContext, site: str, language: str
) -> None:
    loaded = _open(page, context, site, language, "/what-can-i-do/")
    direction = SCRIPTS[language][0]
    html = page.locator("html")
    assert (html.get_attribute("lang"), html.get_attribute("dir")) == (language, direction)
    with translation.override(language):
        title = translation.gettext("What can I do?")
    assert title != "What can I do?", "no catalogue for this language"
    assert page.locator("h1").inner_text().strip() == title
    _assert_served_font(page, loaded, language, "h1")


@pytest.mark.parametrize("language", list(SCRIPTS))
def test_a_programme_page_renders_in_its_script(
    page: Page, context: BrowserContext, site: str, language: str
) -> None:
    entry = load_knowledge().reader_text("programmes", PROGRAMME, language)
    assert entry is not None
    assert entry.text.name
    loaded = _open(page, context, site, language, f"/programmes/{PROGRAMME}/")
    html = page.locator("html")
    assert (html.get_attribute("lang"), html.get_attribute("dir")) == (
        language,
        SCRIPTS[language][0],
    )
    assert page.locator("h1").inner_text().strip() == entry.text.name
    assert page.locator("p.lead").inner_text().strip() == entry.text.summary
    # The unreviewed machine translation says so and offers the French original.
    assert (
        page.locator("form.unreviewed-translation input[name=language]").get_attribute("value")
        == "fr"
    )
    _assert_served_font(page, loaded, language, "p.lead")


def test_other_pages_fetch_only_the_letters_of_the_language_names(
    page: Page, context: BrowserContext, site: str
) -> None:
    """A French page names every language in its own script in the switcher, from the tiny
    "passerelle Names" subsets, without fetching the whole Ethiopic, Cyrillic or Arabic font."""
    loaded = _open(page, context, site, "fr", "/")
    assert not {file for _dir, _family, file, _name in SCRIPTS.values()} & set(loaded), loaded
    assert {"names-ethiopic.woff2", "names-cyrillic.woff2"} <= set(loaded), loaded
    status = page.evaluate(
        "[...document.fonts].filter(f => f.family.replaceAll('\"', '') === 'passerelle Names')"
        ".map(f => f.status)"
    )
    assert status.count("loaded") >= 2, status
