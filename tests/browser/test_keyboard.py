"""The finder and the staff forms with the keyboard alone (issue 22, items 4 and 6): the Tab
order follows the page, every stop shows a focus ring of 3:1 or more against what is around
it (WCAG 2.4.7, 1.4.11), the finder's submit button is a reasonable number of stops away,
and after a refused answer the error summary has the focus and leads to the field."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Page, expect
from tests.support.browser import choose_language, log_in, staff

pytestmark = pytest.mark.browser

FINDER_MAX_STOPS = 35
"""From the top of the page to "Show what I can do": the header (skip link, brand, 3 links,
language and its button: 7), then one stop per question (a date is one field). The issue's
audit counted 44 when each date took 3 or 4 stops."""

NAVIGATION_MS = 60_000
"""A page is quick; the first one of a live server on a busy machine may not be."""

FINDER_DATES = (
    "id_asylum_application_date",
    "id_asylum_decision_date",
    "id_birth_date",
    "id_arrival_in_belgium",
    "id_first_registration_brussels",
    "id_on",
)

FOCUS = """() => {
  const element = document.activeElement;
  if (!element || element === document.body) return null;
  const style = getComputedStyle(element);
  const rgb = (text) => (text.match(/[\\d.]+/g) || []).map(Number);
  const luminance = ([r, g, b]) => {
    const channel = (v) => {
      v /= 255;
      return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
    };
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
  };
  // What the ring is drawn on: the first ancestor with an opaque background (white if none).
  let behind = [255, 255, 255];
  for (let node = element.parentElement; node; node = node.parentElement) {
    const colour = rgb(getComputedStyle(node).backgroundColor);
    if (colour.length === 3 || (colour.length === 4 && colour[3] === 1)) {
      behind = colour.slice(0, 3);
      break;
    }
  }
  const ring = rgb(style.outlineColor).slice(0, 3);
  const [light, dark] = [luminance(ring), luminance(behind)].sort((a, b) => b - a);
  return {
    tag: element.tagName.toLowerCase(),
    id: element.id,
    text: (element.textContent || '').trim().slice(0, 40),
    classes: element.className,
    outline: style.outlineStyle,
    width: parseFloat(style.outlineWidth),
    contrast: (light + 0.05) / (dark + 0.05),
  };
}"""

FOLLOWS = """([previous, current]) => {
  const all = Array.from(document.querySelectorAll('*'));
  return all.indexOf(current) > all.indexOf(previous);
}"""


def _tab_until(page: Page, selector: str, limit: int = 80) -> list[dict[str, Any]]:
    """Press Tab from the top of the page until `selector` has the focus; every stop on the way."""
    target = page.locator(selector)
    stops: list[dict[str, Any]] = []
    previous = None
    for _press in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate_handle("() => document.activeElement")
        if previous is not None:
            assert page.evaluate(FOLLOWS, [previous, focused]), f"Tab went back: {stops[-1:]}"
        previous = focused
        stops.append(page.evaluate(FOCUS))
        if target.evaluate("element => element === document.activeElement"):
            return stops
    raise AssertionError(f"{selector} not reached in {limit} Tab presses: {stops}")


def _assert_focus_visible(stops: list[dict[str, Any]]) -> None:
    for stop in stops:
        assert stop is not None
        assert stop["outline"] != "none", stop
        assert stop["width"] >= 2, stop
        assert stop["contrast"] >= 3, stop


@pytest.mark.parametrize("language", ["fr", "ar"])
def test_the_finder_by_keyboard(page: Page, site: str, language: str) -> None:
    page.set_default_navigation_timeout(NAVIGATION_MS)
    choose_language(page.context, site, language)
    page.goto("/what-can-i-do/")
    stops = _tab_until(page, "form.finder button[type=submit]")
    print(f"\nfinder, {language}: {len(stops)} Tab stops to the submit button")
    assert len(stops) <= FINDER_MAX_STOPS, [stop["id"] or stop["text"] for stop in stops]
    _assert_focus_visible(stops)
    ids = [stop["id"] for stop in stops]
    for date_field in FINDER_DATES:  # one stop per date field
        assert ids.count(date_field) == 1, (date_field, ids)
    # A refused answer: the summary has the focus, names the field and leads to it.
    page.locator("#id_birth_date").fill("31/13/1990")
    page.locator("form.finder button[type=submit]").focus()
    page.keyboard.press("Enter")
    page.wait_for_load_state()
    summary = page.locator(".error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_have_attribute("role", "alert")
    page.keyboard.press("Tab")
    link = summary.locator("a[href='#id_birth_date_field']")
    expect(link).to_be_focused()
    _assert_focus_visible([page.evaluate(FOCUS)])
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    expect(page.locator("#id_birth_date")).to_be_focused()


def test_a_staff_form_by_keyboard(page: Page, site: str) -> None:
    user: User = staff("cw", "caseworker", "cpas-anderlecht")
    assert user.pk
    page.set_default_navigation_timeout(NAVIGATION_MS)
    choose_language(page.context, site, "en")
    log_in(page, "cw")
    page.goto("/staff/persons/new/")
    stops = _tab_until(page, "form.person-form button[type=submit]", limit=150)
    _assert_focus_visible(stops)
    page.locator("#id_birth_date").fill("1999-02-30")
    page.locator("form.person-form button[type=submit]").focus()
    page.keyboard.press("Enter")
    page.wait_for_load_state()
    summary = page.locator(".error-summary")
    expect(summary).to_be_focused()
    links = summary.locator("a")
    assert links.count() >= 1
    for index in range(links.count()):
        target = str(links.nth(index).get_attribute("href"))
        expect(page.locator(target)).to_have_count(1)
    page.keyboard.press("Tab")
    expect(links.first).to_be_focused()
    _assert_focus_visible([page.evaluate(FOCUS)])
