"""axe-core on every page each role can reach, in every public language (issue 22, item 6).

The pages are not a hand list. For each role (a visitor, the demo's caseworker, coordinator,
organisation administrator, employer, analyst and a platform administrator, over the demo's
synthetic files, referrals, matching and linkage), the pages are:
- every parameterless route of the URL configuration that answers the role with an HTML page;
- every page reached by following the links of those pages (the role's navigation, and from
  there the files, referrals, rounds, organisations... one page per route).
Then each page is loaded in French, Dutch, English and Arabic and audited: axe-core's
serious, critical and moderate violations fail the test (every audited page is the platform's
own template; Django's admin is left out, see docs/accessibility.md), so do ids pointed to
that do not exist and a `<title>` holding markup. Last, every HTML route of the URL
configuration must have been audited for some role, or be listed below with the reason.
"""

from __future__ import annotations

import json
import os
import time
from typing import Any

import pytest
from django.conf import settings
from django.urls import get_resolver
from playwright.sync_api import BrowserContext, Page
from tests.support.browser import BROKEN_REFERENCES, choose_language

from passerelle.cli.site_pages import (
    NOT_PAGES,
    demo_accounts,
    is_page_route,
    log_in,
    reachable,
    routes,
)

pytestmark = pytest.mark.browser

LANGUAGES = [code for code, _name in settings.LANGUAGES]
FAILING_IMPACTS = frozenset({"moderate", "serious", "critical"})
ALL_ROLES = bool(os.environ.get("PASSERELLE_AXE_ALL_ROLES"))
"""Set: every role's every page in every language (minutes). Unset: every route in every
language once, as the first role that reaches it (visitor, caseworker, coordinator...),
each role's reach still found and every route still required (seconds)."""

NOT_AUDITED = NOT_PAGES
"""Routes that answer no HTML page to a GET (forms' targets, downloads): not audited."""


def _audit(page: Page, axe_source: str) -> list[dict[str, Any]]:
    page.evaluate(axe_source)
    results = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    problems = [
        {
            "id": violation["id"],
            "impact": violation["impact"],
            "help": violation["help"],
            "nodes": [node["target"] for node in violation["nodes"]][:5],
        }
        for violation in results["violations"]
        if violation["impact"] in FAILING_IMPACTS
    ]
    broken = page.evaluate(BROKEN_REFERENCES)
    if broken:
        problems.append({"id": "broken-id-reference", "nodes": broken})
    title = page.evaluate(
        "() => { const t = document.querySelector('head > title');"
        " return t ? [t.children.length, t.textContent] : [-1, ''] }"
    )
    if title[0] != 0 or "<" in title[1] or "lang-marker" in title[1] or not title[1].strip():
        problems.append({"id": "title-markup", "nodes": [title[1]]})
    return problems


def test_every_page_of_every_role_passes_axe_in_every_language(
    context: BrowserContext, site: str, axe_source: str
) -> None:
    started = time.monotonic()
    context.set_default_navigation_timeout(60_000)  # a busy machine's slowest page, not a limit
    users = demo_accounts(demo_records=300)  # one account per role, None: the visitor
    print(f"\ndemo data: {time.monotonic() - started:.0f} s")
    all_routes = routes(get_resolver())
    audited: dict[str, set[str]] = {}
    reached: dict[str, list[str]] = {}
    found: dict[str, list[dict[str, Any]]] = {}
    for role, user in users.items():
        context.clear_cookies()
        page = context.new_page()
        choose_language(context, site, "fr")
        if user is not None:
            log_in(page, user)
        pages = reachable(page, all_routes)
        print(f"{role}: {len(pages)} routes found, {time.monotonic() - started:.0f} s")
        assert pages, role
        reached[role] = sorted(pages)
        if not ALL_ROLES:  # each route once per language, as the first role reaching it
            pages = {name: path for name, path in pages.items() if name not in audited}
        for language in LANGUAGES:
            choose_language(context, site, language)
            for name, path in pages.items():
                if language not in settings.STAFF_LANGUAGES and path.startswith(
                    settings.STAFF_PATH_PREFIXES
                ):
                    continue  # staff pages exist in the staff languages only (docs/i18n.md)
                page.goto(path)
                assert page.locator("html").get_attribute("lang") in (language, None) or (
                    name == "people:export"  # in the person's language, not the reader's
                ), (role, path, language)
                problems = _audit(page, axe_source)
                if problems:
                    found[f"{role} {language} {path}"] = problems
                    print(f"{role} {language} {path}: {json.dumps(problems, ensure_ascii=False)}")
        for name in pages:
            audited.setdefault(name, set()).add(role)
        page.close()
    html_routes = {
        name for route, name, _has in all_routes if is_page_route(route) and name not in NOT_AUDITED
    }
    missing = sorted(html_routes - set(audited))
    elapsed = time.monotonic() - started
    print(
        f"\naxe: {sum(len(r) for r in audited.values())} pages, {len(audited)} routes, "
        f"{len(LANGUAGES)} languages, {elapsed:.0f} s; reached per role: "
        + json.dumps({role: len(names) for role, names in reached.items()})
    )
    assert not found, "axe-core: moderate, serious or critical violations\n" + json.dumps(
        found, indent=2, ensure_ascii=False
    )
    assert missing == [], f"routes no role reached (add data or a reason): {missing}"
