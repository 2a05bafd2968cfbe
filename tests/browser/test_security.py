"""The browser tests run under the Content-Security-Policy (issue 15, item 8): the header
reaches Chromium, and a violation fails the test that caused it (conftest's contexts)."""

from __future__ import annotations

import contextlib

import pytest
from playwright.sync_api import Browser, Error
from tests.browser.conftest import CSP_VIOLATIONS, _new_context

pytestmark = pytest.mark.browser


def test_chromium_enforces_the_policy_and_the_fixture_sees_violations(
    browser: Browser, site: str
) -> None:
    context = _new_context(browser, site)
    try:
        page = context.new_page()
        response = page.goto("/")
        assert response is not None
        assert "script-src 'self'" in response.headers["content-security-policy"]
        assert CSP_VIOLATIONS[id(context)] == []
        # What an injected inline script would do: refused, and reported.
        with contextlib.suppress(Error):  # Playwright may report the refused tag itself
            page.add_script_tag(content="document.documentElement.dataset.injected = 'yes'")
        assert page.evaluate("document.documentElement.dataset.injected") is None
        page.wait_for_timeout(200)
        assert any("Content Security Policy" in v for v in CSP_VIOLATIONS[id(context)])
    finally:
        CSP_VIOLATIONS.pop(id(context), None)
        context.close()


@pytest.mark.parametrize("path", ["/api/docs", "/staff/login/", "/analysis/"])
def test_pages_with_their_own_scripts_run_under_the_policy(
    browser: Browser, site: str, path: str
) -> None:
    context = _new_context(browser, site)
    try:
        page = context.new_page()
        response = page.goto(path)
        assert response is not None
        assert "content-security-policy" in response.headers
        if path == "/api/docs":
            # The platform's own template, made from the OpenAPI document on the server.
            page.locator(".api-operation").first.wait_for()
        page.wait_for_timeout(300)
        assert CSP_VIOLATIONS[id(context)] == []
    finally:
        CSP_VIOLATIONS.pop(id(context), None)
        context.close()
