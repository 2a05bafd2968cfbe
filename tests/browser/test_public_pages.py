"""The public site in a real browser: search, language switcher and right-to-left layout,
the "What can I do?" finder, phones and no JavaScript, accessibility (axe-core), and
light pages served from one host only.

Interface strings are not asserted as words: the tests read structure, attributes, ids,
data-* attributes and values (dates and labels are computed with the site's own gettext
and locale formats, so the tests hold whatever the catalogues say).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.utils import translation
from django.utils.formats import date_format
from playwright.sync_api import Browser, BrowserContext, Page, Request, Response, expect
from tests.support.browser import (
    BROKEN_REFERENCES,
    LANGUAGE_COOKIE,
    accessibility_problems,
    axe_violations,
    choose_language,
)

from passerelle.knowledge.loader import load_knowledge
from passerelle.web.apps.directory.situation import PATH_ORDER
from passerelle.web.common.labels import OPTION_GROUP_LABELS, RIGHT_TO_WORK_LABELS

pytestmark = pytest.mark.browser

PHONE_WIDTH = 360
MAX_PAGE_BYTES = 200_000
PROGRAMME = "tandem-internship"
ORGANISATION = "tandem"

ASYLUM_SEEKER = {
    "legal_status": "asylum_seeker",
    "asylum_application_date": "2018-01-12",
    "on": "2018-06-01",
}
REFUGEE = {
    "legal_status": "refugee",
    "asylum_decision_date": "2018-10-15",
    "on": "2019-06-01",
}


# -- helpers -------------------------------------------------------------------------------


SELECTS = {"legal_status", "municipality", "education_isced", "migration_background"}


def submit_finder(page: Page, answers: dict[str, str]) -> None:
    """Answer the finder's questions (fields by their Django ids) on the open finder page and
    send the form. Works with and without JavaScript."""
    form = page.locator("form.finder")
    for name, value in answers.items():
        if name in SELECTS or name.startswith("language_"):
            form.locator(f"#id_{name}").select_option(value)
        else:
            form.locator(f"#id_{name}").fill(value)
    form.locator("button[type=submit]").click()
    expect(page.locator("#result")).to_be_visible()


def fill_finder(page: Page, answers: dict[str, str]) -> None:
    page.goto("/what-can-i-do/")
    submit_finder(page, answers)


def visit(path: str) -> Callable[[Page], None]:
    def open_page(page: Page) -> None:
        page.goto(path)

    return open_page


PUBLIC_PAGES: dict[str, Callable[[Page], None]] = {
    "home": visit("/"),
    "directory": visit("/directory/"),
    "directory-search": visit("/directory/?q=tandem"),
    "organisation": visit(f"/organisations/{ORGANISATION}/"),
    "programme": visit(f"/programmes/{PROGRAMME}/"),
    "finder": visit("/what-can-i-do/"),
    "finder-result": lambda page: fill_finder(page, ASYLUM_SEEKER),
    "calendar": visit("/calendar/"),
}
"""Every public page, and how to open it."""


def localised_date(day: str, language: str) -> str:
    """A date as the site shows it in a language: Django's locale formats, with the first of
    a month written as French writes it ("1er juin", not Django's "1 juin")."""
    with translation.override(language):
        text = str(date_format(dt.date.fromisoformat(day), "DATE_FORMAT"))
    return "1er" + text[1:] if language == "fr" and text.startswith("1 ") else text


def label(labels: dict[str, Any], key: str, language: str) -> str:
    with translation.override(language):
        return str(labels[key])


def programmes_in(page: Page, status: str) -> list[str]:
    """The programme ids listed in one group of the finder's result, in page order."""
    cards = page.locator(f"section.group-{status} [data-programme]")
    return [str(cards.nth(i).get_attribute("data-programme")) for i in range(cards.count())]


STYLED = """() => [...document.styleSheets].some(sheet => {
  try { return sheet.cssRules.length > 0; } catch (error) { return false; }
})"""


def assert_styled(page: Page) -> None:
    """The site's stylesheet is loaded: layout, width and contrast checks mean nothing
    without it."""
    assert page.evaluate(STYLED), f"{page.url}: the stylesheet did not load"


def box(page: Page, selector: str) -> dict[str, float]:
    found = page.locator(selector).bounding_box()
    assert found is not None, f"{selector} is not displayed"
    return dict(found)


TRANSFERRED = """() => performance.getEntriesByType("navigation")
  .concat(performance.getEntriesByType("resource"))
  .map(entry => [entry.name, entry.transferSize || entry.encodedBodySize])"""
"""What the browser itself counts as fetched for the open page: every URL and the bytes
transferred for it (headers and body as sent on the wire; the body's size when it came
from the cache)."""


@dataclass
class Traffic:
    """Every request a page makes and every response status it gets."""

    origin: str
    requests: list[str] = field(default_factory=list)
    statuses: dict[str, int] = field(default_factory=dict)

    def watch(self, page: Page) -> None:
        page.on("request", self.on_request)
        page.on("response", self.on_response)

    def on_request(self, request: Request) -> None:
        self.requests.append(request.url)

    def on_response(self, response: Response) -> None:
        self.statuses[response.url] = response.status

    def failed(self) -> list[str]:
        return [f"{status} {url}" for url, status in self.statuses.items() if status >= 400]

    def foreign(self, urls: list[str] | None = None) -> list[str]:
        ours = urlsplit(self.origin)
        return [
            url
            for url in (urls if urls is not None else self.requests)
            if (urlsplit(url).scheme, urlsplit(url).netloc) != (ours.scheme, ours.netloc)
        ]


# -- (a) search a programme and open it ----------------------------------------------------


def test_search_from_home_and_open_programme(page: Page, site: str) -> None:
    page.goto("/")
    search = page.locator("form.search")
    search.locator("#home-search").fill("Tandem")
    search.locator("button[type=submit]").click()

    expect(page).to_have_url(f"{site}/directory/?q=Tandem")
    result = page.locator(f'.cards a[href="/programmes/{PROGRAMME}/"]')
    expect(result).to_have_count(1)
    result.click()

    expect(page).to_have_url(f"{site}/programmes/{PROGRAMME}/")
    expect(page.locator("h1")).to_contain_text("Tandem")
    expect(page.locator(f'main a[href="/organisations/{ORGANISATION}/"]')).to_be_visible()
    expect(page.locator("main #who-title")).to_be_visible()


# -- (b) Arabic, right to left, mirrored; (c) the choice is remembered ---------------------


def test_switch_to_arabic_mirrors_the_layout(page: Page, site: str) -> None:
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto("/")
    html = page.locator("html")
    expect(html).to_have_attribute("lang", "fr")
    expect(html).to_have_attribute("dir", "ltr")
    assert_styled(page)
    header_fr = box(page, ".site-header .header-row")
    brand_fr = box(page, ".site-header .brand")
    switcher_fr = box(page, ".language-switcher")

    switcher = page.locator("form.language-switcher")
    assert switcher.get_attribute("method") == "post"
    assert switcher.get_attribute("action") == "/i18n/setlang/"
    switcher.locator("#language-select").select_option("ar")
    switcher.locator("button[type=submit]").click()

    expect(html).to_have_attribute("lang", "ar")
    expect(html).to_have_attribute("dir", "rtl")
    expect(page).to_have_url(f"{site}/")
    header_ar = box(page, ".site-header .header-row")
    brand_ar = box(page, ".site-header .brand")
    switcher_ar = box(page, ".language-switcher")

    def start_gap(brand: dict[str, float], header: dict[str, float], rtl: bool) -> float:
        if rtl:
            return header["x"] + header["width"] - (brand["x"] + brand["width"])
        return brand["x"] - header["x"]

    middle = 1280 / 2
    # French: the brand on the left, the language switcher on the right.
    assert brand_fr["x"] + brand_fr["width"] < middle < switcher_fr["x"]
    # Arabic: the other way round, at the same distance from the (now right) edge.
    assert switcher_ar["x"] + switcher_ar["width"] < middle < brand_ar["x"]
    assert abs(start_gap(brand_fr, header_fr, False) - start_gap(brand_ar, header_ar, True)) < 2
    # The main navigation reads right to left too.
    first, second = box(page, ".nav li:nth-child(1)"), box(page, ".nav li:nth-child(2)")
    assert first["x"] > second["x"]
    # Text starts on the right.
    heading = box(page, "main h1")
    main = box(page, "main")
    assert heading["x"] + heading["width"] > main["x"] + main["width"] - 40


def test_language_choice_is_remembered(page: Page, context: BrowserContext, site: str) -> None:
    page.goto("/directory/?q=tandem")
    switcher = page.locator("form.language-switcher")
    switcher.locator("#language-select").select_option("ar")
    switcher.locator("button[type=submit]").click()
    expect(page.locator("html")).to_have_attribute("lang", "ar")
    expect(page).to_have_url(f"{site}/directory/?q=tandem")  # back where it was

    cookies = {cookie["name"]: cookie["value"] for cookie in context.cookies()}
    assert cookies.get(LANGUAGE_COOKIE) == "ar"

    # The next page, and a page opened afresh in another tab, are in Arabic.
    page.locator(f'.cards a[href="/programmes/{PROGRAMME}/"]').click()
    expect(page).to_have_url(f"{site}/programmes/{PROGRAMME}/")
    expect(page.locator("html")).to_have_attribute("lang", "ar")
    expect(page.locator("#language-select")).to_have_value("ar")
    other = context.new_page()
    other.goto("/calendar/")
    expect(other.locator("html")).to_have_attribute("lang", "ar")
    expect(other.locator("html")).to_have_attribute("dir", "rtl")

    # And back to French.
    switcher = other.locator("form.language-switcher")
    switcher.locator("#language-select").select_option("fr")
    switcher.locator("button[type=submit]").click()
    expect(other.locator("html")).to_have_attribute("lang", "fr")
    expect(other.locator("html")).to_have_attribute("dir", "ltr")


# -- (d) the finder, for an asylum seeker and for a refugee ---------------------------------


def assert_path_order(page: Page, status: str) -> None:
    """Within a group the programmes follow a sensible path: language, recognition,
    mentoring or internship, job search."""
    knowledge = load_knowledge()
    ranks = []
    for programme_id in programmes_in(page, status):
        categories = knowledge.programme_latest(programme_id).categories
        ranks.append(min((PATH_ORDER.index(c) for c in categories if c in PATH_ORDER), default=99))
    assert ranks == sorted(ranks), f"{status}: {programmes_in(page, status)}"


@pytest.mark.parametrize("language", ["fr", "ar"])
def test_finder_asylum_seeker(
    page: Page, context: BrowserContext, site: str, language: str
) -> None:
    choose_language(context, site, language)
    fill_finder(page, ASYLUM_SEEKER)

    result = page.locator("#result")
    expect(result.locator("#result-title")).to_contain_text(
        localised_date(ASYLUM_SEEKER["on"], language)
    )
    work = result.locator(".right-to-work")
    expect(work).to_have_class("panel right-to-work right-with_permit")
    expect(work.locator(".answer")).to_have_text(
        label(RIGHT_TO_WORK_LABELS, "with_permit", language)
    )
    # The next change: from 1 January 2019 without a permit.
    expect(work.locator(".next")).to_contain_text(localised_date("2019-01-01", language))
    expect(work.locator(".next")).to_contain_text(label(RIGHT_TO_WORK_LABELS, "yes", language))
    expect(result.locator(".pathway-not_eligible")).to_have_count(1)

    # Groups in order, each under its own heading.
    groups = result.locator("section.group")
    ids = [groups.nth(i).get_attribute("aria-labelledby") for i in range(groups.count())]
    assert ids == ["group-eligible", "group-later", "group-ask", "group-not_eligible"]
    for status in ("eligible", "later", "ask", "not_eligible"):
        expect(result.locator(f"h3#group-{status}")).to_have_text(
            label(OPTION_GROUP_LABELS, status, language)
        )

    eligible = programmes_in(page, "eligible")
    not_eligible = programmes_in(page, "not_eligible")
    assert PROGRAMME in eligible
    assert {"bapa-bxl-integration-pathway", "bapa-via-integration-pathway"} <= set(not_eligible)
    assert not {p for p in eligible if p.startswith("bapa-")}
    # Programmes not for this person say why.
    bapa = result.locator('[data-programme="bapa-bxl-integration-pathway"]')
    expect(bapa.locator("details li").first).to_be_attached()
    expect(bapa.locator('a[href="/programmes/bapa-bxl-integration-pathway/"]')).to_be_visible()
    assert_path_order(page, "eligible")

    # The programme card links to its page.
    result.locator(f'[data-programme="{PROGRAMME}"] a').click()
    expect(page).to_have_url(f"{site}/programmes/{PROGRAMME}/")


def test_finder_refugee(page: Page, site: str) -> None:
    fill_finder(page, REFUGEE)

    result = page.locator("#result")
    expect(result.locator("#result-title")).to_contain_text(localised_date(REFUGEE["on"], "fr"))
    work = result.locator(".right-to-work")
    expect(work).to_have_class("panel right-to-work right-yes")
    expect(work.locator(".answer")).to_have_text(label(RIGHT_TO_WORK_LABELS, "yes", "fr"))
    expect(work.locator(".next")).to_have_count(0)  # nothing changes: may work, for good

    eligible = programmes_in(page, "eligible")
    assert PROGRAMME in eligible
    # No condition recorded for Be.Face's mentoring: to ask about, never "open now".
    assert "be-face-mentoring" in programmes_in(page, "ask")
    assert "be-face-mentoring" not in eligible
    assert PROGRAMME not in programmes_in(page, "not_eligible")
    assert_path_order(page, "eligible")
    # The form keeps the answers on the page (and only there) for a correction.
    expect(page.locator("#id_legal_status")).to_have_value("refugee")
    expect(page.locator("#id_asylum_decision_date")).to_have_value("2018-10-15")


# -- (e) the finder stores nothing: no answers in the URL, nor in a cookie ------------------


def test_finder_answers_stay_out_of_url_and_cookies(
    page: Page, context: BrowserContext, site: str
) -> None:
    sent: list[Request] = []
    page.on(
        "request",
        lambda request: sent.append(request) if request.is_navigation_request() else None,
    )
    fill_finder(page, ASYLUM_SEEKER)

    assert page.url == f"{site}/what-can-i-do/"
    submissions = [r for r in sent if r.method == "POST"]
    assert len(submissions) == 1
    assert submissions[0].url == f"{site}/what-can-i-do/"
    assert "asylum_application_date=2018-01-12" in (submissions[0].post_data or "")
    answers = set(ASYLUM_SEEKER.values())
    for request in sent:
        assert not any(answer in request.url for answer in answers), request.url

    cookies = context.cookies()
    assert {cookie["name"] for cookie in cookies} <= {"csrftoken", LANGUAGE_COOKIE}
    for cookie in cookies:
        assert not any(answer in cookie["value"] for answer in answers), cookie
    storage = page.evaluate("() => [localStorage.length, sessionStorage.length]")
    assert storage == [0, 0]

    # Reloading the finder shows an empty form: nothing was kept on the server's side.
    page.goto("/what-can-i-do/")
    expect(page.locator("#result")).to_have_count(0)
    expect(page.locator("#id_asylum_application_date")).to_have_value("")


# -- (f) phones and no JavaScript -----------------------------------------------------------


@pytest.mark.parametrize("language", ["fr", "ar"])
def test_every_public_page_fits_a_phone(
    phone_context: BrowserContext, site: str, language: str
) -> None:
    choose_language(phone_context, site, language)
    page = phone_context.new_page()
    too_wide = {}
    for name, open_page in PUBLIC_PAGES.items():
        open_page(page)
        expect(page.locator("html")).to_have_attribute("lang", language)
        assert_styled(page)
        width = page.evaluate("() => document.documentElement.scrollWidth")
        if width > PHONE_WIDTH:
            too_wide[name] = width
    assert not too_wide, f"pages wider than {PHONE_WIDTH} px (scrollWidth): {too_wide}"


def test_search_and_finder_work_without_javascript(
    no_js_context: BrowserContext, site: str
) -> None:
    page = no_js_context.new_page()
    page.goto("/")
    # Scripts really are off in this browser.
    page.add_script_tag(content="document.documentElement.dataset.scripted = 'yes'")
    expect(page.locator("html")).not_to_have_attribute("data-scripted", "yes")
    page.locator("#home-search").fill("Tandem")
    page.locator("form.search button[type=submit]").click()
    expect(page).to_have_url(f"{site}/directory/?q=Tandem")
    page.locator(f'.cards a[href="/programmes/{PROGRAMME}/"]').click()
    expect(page).to_have_url(f"{site}/programmes/{PROGRAMME}/")

    # The directory filters are a plain GET form.
    page.goto("/directory/")
    page.locator("#id_what").select_option("internship")
    page.locator("form.filters button[type=submit]").click()
    expect(page).to_have_url(
        f"{site}/directory/?q=&what=internship&language=&municipality=&who=&on="
    )
    expect(page.locator(f'.cards a[href="/programmes/{PROGRAMME}/"]')).to_have_count(1)

    fill_finder(page, REFUGEE)
    expect(page.locator(".right-to-work")).to_have_class("panel right-to-work right-yes")
    expect(page.locator(f'section.group-eligible [data-programme="{PROGRAMME}"]')).to_have_count(1)

    # The language switcher is a plain POST form.
    page.locator("#language-select").select_option("ar")
    page.locator("form.language-switcher button[type=submit]").click()
    expect(page.locator("html")).to_have_attribute("dir", "rtl")


# -- (g) axe-core on every public page, in French and in Arabic -----------------------------


@pytest.mark.parametrize("language", ["fr", "ar"])
def test_axe_finds_no_serious_violation(
    context: BrowserContext, site: str, axe_source: str, language: str
) -> None:
    choose_language(context, site, language)
    page = context.new_page()
    found = {}
    for name, open_page in PUBLIC_PAGES.items():
        open_page(page)
        expect(page.locator("html")).to_have_attribute("lang", language)
        assert_styled(page)
        violations = accessibility_problems(page, axe_source)
        if violations:
            found[name] = violations
    assert not found, f"axe-core, {language}: serious or critical violations\n" + json.dumps(
        found, indent=2, ensure_ascii=False
    )


def test_finder_errors_are_tied_to_their_question(page: Page, site: str, axe_source: str) -> None:
    page.goto("/what-can-i-do/")
    page.locator("#id_municipality").select_option("outside")
    page.locator("#id_postcode").fill("12")
    page.locator("form.finder button[type=submit]").click()

    postcode = page.locator("#id_postcode")
    expect(postcode).to_have_attribute("aria-invalid", "true")
    described_by = str(postcode.get_attribute("aria-describedby")).split()
    assert described_by
    for element_id in described_by:
        expect(page.locator(f"#{element_id}")).to_be_visible()
    expect(page.locator("#result")).to_have_count(0)
    expect(postcode).to_have_value("12")
    assert page.evaluate(BROKEN_REFERENCES) == []
    assert axe_violations(page, axe_source) == []


# -- (h) one host only, and light pages ----------------------------------------------------


@pytest.mark.parametrize("language", ["fr", "ar"])
def test_pages_load_nothing_from_elsewhere_and_stay_light(
    browser: Browser, site: str, language: str
) -> None:
    heavy = {}
    foreign = {}
    failed = {}
    for name, open_page in PUBLIC_PAGES.items():
        # A fresh context per page: nothing cached, every byte counted.
        context = browser.new_context(base_url=site)
        choose_language(context, site, language)
        page = context.new_page()
        traffic = Traffic(origin=site)
        if name == "finder-result":
            # Count the result page only, not the form before it.
            page.goto("/what-can-i-do/")
            traffic.watch(page)
            submit_finder(page, ASYLUM_SEEKER)
        else:
            traffic.watch(page)
            open_page(page)
        page.wait_for_load_state("networkidle")
        fetched = dict(page.evaluate(TRANSFERRED))
        assert traffic.requests, name
        assert set(traffic.requests) <= set(fetched), name
        if traffic.failed():
            failed[name] = traffic.failed()
        outside = traffic.foreign() + traffic.foreign(list(fetched))
        if outside:
            foreign[name] = outside
        if sum(fetched.values()) >= MAX_PAGE_BYTES:
            heavy[name] = fetched
        context.close()
    assert not foreign, f"requests to other hosts: {foreign}"
    assert not failed, f"failed requests (a missing stylesheet?): {failed}"
    assert not heavy, f"pages of {MAX_PAGE_BYTES} bytes or more: {heavy}"


def test_api_docs_load_nothing_from_elsewhere(context: BrowserContext, site: str) -> None:
    """The API docs, linked from every page's footer, are no exception (a page of the
    platform's own template, made from the OpenAPI document)."""
    page = context.new_page()
    traffic = Traffic(origin=site)
    traffic.watch(page)
    page.goto("/api/docs", wait_until="networkidle")
    assert traffic.requests
    assert not traffic.foreign(), traffic.foreign()
    assert not traffic.failed(), traffic.failed()
