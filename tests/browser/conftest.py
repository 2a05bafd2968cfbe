"""Fixtures for the browser tests: one headless Chromium (Debian's) for the session, a live
Django server with the directory loaded for each test, a fresh browser context per test.

The sync Playwright API runs an asyncio event loop in the test thread, so Django's guard
against synchronous database access from async code must be lifted for the test thread.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytest_django.live_server_helper import LiveServer

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

from playwright.sync_api import (
    Browser,
    BrowserContext,
    Page,
    Playwright,
    sync_playwright,
)

from passerelle.web.screenshots import CHROMIUM, launch_chromium

AXE_JS = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
TIMEOUT_MS = 15_000


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "browser: drives the site in headless Chromium (Playwright); slow"
    )


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: `make system` installs it")
    with sync_playwright() as instance:
        yield instance


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    instance = launch_chromium(playwright)
    yield instance
    instance.close()


@pytest.fixture(scope="session")
def axe_source() -> str:
    if not AXE_JS.exists():
        pytest.fail(f"axe-core not found at {AXE_JS}: `npm install` (make pytest) puts it there")
    return AXE_JS.read_text(encoding="utf-8")


@pytest.fixture
def site(live_server: LiveServer, transactional_db: None) -> str:
    """The live server's base URL, with the knowledge base loaded into its database.
    Each test gets a freshly loaded directory (transactional_db empties it afterwards)."""
    from passerelle.knowledge.loader import load_knowledge
    from passerelle.web.apps.directory.services import knowledge_load

    knowledge_load(knowledge=load_knowledge())
    return str(live_server.url)


CSP_VIOLATIONS: dict[int, list[str]] = {}
"""Per browser context: the Content-Security-Policy violations Chromium reported."""


def _is_csp_violation(text: str) -> bool:
    return "Content Security Policy" in text or "Content-Security-Policy" in text


def _new_context(browser: Browser, site: str, **options: object) -> BrowserContext:
    context = browser.new_context(base_url=site, locale="fr-BE", **options)  # type: ignore[arg-type]
    context.set_default_timeout(TIMEOUT_MS)
    violations = CSP_VIOLATIONS.setdefault(id(context), [])
    # Chromium reports what the policy blocked (an inline script or style, a style
    # attribute, a resource from elsewhere) as a console error: collect them per context.
    context.on(
        "console",
        lambda message: (
            violations.append(f"{message.page.url if message.page else ''}: {message.text}")
            if message.type == "error" and _is_csp_violation(message.text)
            else None
        ),
    )
    return context


def _close_checked(context: BrowserContext) -> None:
    """Close `context`; fail the test if a page broke the Content-Security-Policy."""
    violations = CSP_VIOLATIONS.pop(id(context), [])
    context.close()
    assert violations == [], "Content-Security-Policy violations:\n" + "\n".join(violations)


@pytest.fixture
def context(browser: Browser, site: str) -> Iterator[BrowserContext]:
    context = _new_context(browser, site)
    yield context
    _close_checked(context)


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()


@pytest.fixture
def phone_context(browser: Browser, site: str) -> Iterator[BrowserContext]:
    """A 360 px wide phone screen."""
    context = _new_context(
        browser, site, viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True
    )
    yield context
    _close_checked(context)


@pytest.fixture
def no_js_context(browser: Browser, site: str) -> Iterator[BrowserContext]:
    """A browser with JavaScript turned off: every public page must still work."""
    context = _new_context(browser, site, java_script_enabled=False)
    yield context
    _close_checked(context)
