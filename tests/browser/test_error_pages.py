"""The error pages in a real browser (issue 22, item 3): a visitor's 404 and 400, and the
403 of a caseworker who opens the sector's linkage runs, in French and Arabic; axe-core
finds no serious violation, and the way back leads somewhere the reader may go."""

from __future__ import annotations

import pytest
from playwright.sync_api import BrowserContext, expect
from tests.support.browser import accessibility_problems, choose_language, log_in, staff

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("language", ["fr", "ar"])
def test_error_pages_pass_axe_and_lead_back(
    context: BrowserContext, site: str, axe_source: str, language: str
) -> None:
    choose_language(context, site, language)
    page = context.new_page()
    direction = "rtl" if language == "ar" else "ltr"
    for path, status in (("/no-such-page/", 404), ("/directory/?q=%00", 400)):
        response = page.goto(path)
        assert response is not None
        assert response.status == status
        expect(page.locator("html")).to_have_attribute("dir", direction)
        expect(page.locator("main h1")).to_be_visible()
        assert accessibility_problems(page, axe_source) == []
    staff("cw", "caseworker", "cpas-anderlecht")
    log_in(page, "cw")
    response = page.goto("/analysis/beneficiaries/runs/")
    assert response is not None
    assert response.status == 403
    expect(page.locator("html")).to_have_attribute("lang", language)
    assert accessibility_problems(page, axe_source) == []
    page.locator("main a[href='/staff/persons/']").click()
    expect(page).to_have_url(f"{site}/staff/persons/")
