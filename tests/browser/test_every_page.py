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
from collections import deque
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.test import override_settings
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.exceptions import Resolver404
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import BrowserContext, Page
from playwright.sync_api import Error as PlaywrightError
from tests.support.accounts import two_factor_token
from tests.support.browser import BROKEN_REFERENCES, choose_language

import passerelle.cli.main  # noqa: F401  (cli.people is imported through the CLI's main)
from passerelle.cli.people import DEMO_ANALYST, DEMO_PASSWORD, DEMO_STAFF, DEMO_TOTP_KEY, demo_data
from passerelle.web.apps.accounts.models import PlatformRole, Role, StaffProfile
from passerelle.web.apps.beneficiaries import demo as beneficiaries_demo
from passerelle.web.apps.directory.models import Organisation
from passerelle.web.apps.matching import demo as matching_demo
from passerelle.web.apps.matching import services as matching_services
from passerelle.web.common.actors import Actor

pytestmark = pytest.mark.browser

LANGUAGES = [code for code, _name in settings.LANGUAGES]
FAILING_IMPACTS = frozenset({"moderate", "serious", "critical"})
PLATFORM_ADMIN = "pat.platform"
MENTORING_ORGANISATION = "duo-for-a-job"
ALL_ROLES = bool(os.environ.get("PASSERELLE_AXE_ALL_ROLES"))
"""Set: every role's every page in every language (minutes). Unset: every route in every
language once, as the first role that reaches it (visitor, caseworker, coordinator...),
each role's reach still found and every route still required (seconds)."""

NOT_AUDITED = {
    "set_language": "POST only: the language switcher's form",
    "accounts:logout": "POST only",
    "accounts:organisation": "POST only: the organisation switcher's form",
    "directory:calendar-feed": "an iCalendar file, not a page",
    "healthz": "JSON for the load balancer, not a page",
    "readyz": "JSON for the load balancer, not a page",
    "people:consent-new": "POST only: the consent form's target",
    "people:consent-withdraw": "POST only: the withdraw button's target",
    "people:close": "POST only: the close button's target",
    "people:disclose": "POST only: the disclosure form's target",
    "referrals:act": "POST only: the referral's action buttons' target",
    "matching:round-start": "POST only: the start form's target",
    "matching:round-confirm": "POST only: the confirm button's target",
    "matching:proposal-act": "POST only: the proposal's buttons' target",
    "followups:participation-new": "POST only: the participation form's target",
}
"""Routes that answer no HTML page to a GET (forms' targets, downloads): not audited."""

NOT_FOLLOWED = ("/api/", "/admin/", "/static/", "/i18n/")
"""The API answers JSON (its docs page is audited: /api/docs is a route of its own below);
Django's admin is Django's template, reached by platform administrators only."""
DOWNLOADS = (".csv", ".xlsx", ".pdf", ".ics", ".json", ".svg", ".png")


def _routes(
    resolver: URLResolver, prefix: str = "", namespace: str = ""
) -> list[tuple[str, str, bool]]:
    """(route, name, has parameters) of every named route of the URL configuration."""
    found = []
    for entry in resolver.url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            found += _routes(entry, route, inner)
        elif isinstance(entry, URLPattern) and entry.name:
            name = f"{namespace}{entry.name}"
            found.append((route, name, "<" in route or "(" in route))
    return found


def _route_name(path: str) -> str | None:
    try:
        match = resolve(path)
    except Resolver404:
        return None
    return match.view_name


def _audited_route(route: str) -> bool:
    """A page of the platform's own: not the admin, the JSON API or a download."""
    return (
        not route.startswith(("admin/", "i18n/"))
        and (not route.startswith("api/") or route == "api/docs")
        and not route.rstrip("$").endswith(DOWNLOADS)
    )


def _demo_users(monkeypatch: pytest.MonkeyPatch) -> dict[str, User | None]:
    """One account per role: None for the visitor."""
    # Enough synthetic encodings for a linkage run with pairs to review, in seconds.
    monkeypatch.setattr(beneficiaries_demo, "DEMO_RECORDS", 300)
    with override_settings(DEBUG=True):  # demo-data refuses to run on production settings
        demo_data(persons=2, seed=2026)
    by_role: dict[str, User | None] = {"visitor": None}
    for slug, role, username in DEMO_STAFF:
        # Each role once, and Duo for a Job's coordinator too: the demo's mentors and
        # rounds are Duo for a Job's, out of a CPAS coordinator's reach.
        mentoring_coordinator = slug == MENTORING_ORGANISATION and role == "coordinator"
        key = f"{role} ({slug})" if mentoring_coordinator else role
        by_role.setdefault(key, User.objects.get(username=username))
    by_role["employer"] = User.objects.get(username=matching_demo.EMPLOYER[1])
    by_role["host"] = User.objects.get(username=matching_demo.HOST[1])  # the internship offers
    # A matching round of Duo for a Job's, so that a round's page is reached too.
    duo = Organisation.objects.get(slug=MENTORING_ORGANISATION)
    coordinator = Actor(organisation=duo, role=Role.COORDINATOR, label="every page test")
    matching_services.round_start(
        actor=coordinator, programme=duo.programmes.get(slug="duo-for-a-job-mentoring")
    )
    by_role["analyst"] = User.objects.get(username=DEMO_ANALYST)
    admin = User.objects.create_user(username=PLATFORM_ADMIN, password=DEMO_PASSWORD)
    StaffProfile.objects.create(user=admin, platform_role=PlatformRole.ADMIN)
    TOTPDevice.objects.create(user=admin, name="demo", key=DEMO_TOTP_KEY, confirmed=True)
    by_role["platform admin"] = admin
    return by_role


def _log_in(page: Page, user: User) -> None:
    page.goto("/staff/login/")
    page.locator("#id_username").fill(user.username)
    page.locator("#id_password").fill(DEMO_PASSWORD)
    page.locator("form.narrow button[type=submit]").click()
    page.wait_for_load_state()
    if TOTPDevice.objects.filter(user=user).exists():
        page.goto("/staff/two-factor/")
        if page.locator("#id_token").count():
            page.locator("#id_token").fill(two_factor_token(user))
            page.locator("form.narrow button[type=submit]").click()
            page.wait_for_load_state()


def _html_page(page: Page, path: str) -> bool:
    # Asked first outside the page, with the page's cookies: a route that answers no page (a
    # form's target answering 405, a redirect to the login page, JSON) is never loaded, since
    # Chromium's error page after an empty answer makes the next navigations race.
    answer = page.request.get(path, max_redirects=0)
    if answer.status != 200 or "text/html" not in (answer.headers.get("content-type") or ""):
        return False
    try:
        page.goto(path)
    except PlaywrightError:
        return False
    return urlsplit(page.url).path == urlsplit(path).path


LINKS = """() => Array.from(document.querySelectorAll('a[href]'))
  .filter(a => !a.hasAttribute('download') && a.origin === location.origin)
  .map(a => a.pathname + a.search)"""


def _reachable(page: Page, routes: list[tuple[str, str, bool]]) -> dict[str, str]:
    """route name -> one path of it, for every HTML page the logged-in role reaches."""
    pages: dict[str, str] = {}
    queue: deque[str] = deque()
    for route, name, has_parameters in routes:
        path = "/" + route.lstrip("^").rstrip("$")
        wanted = _audited_route(route) and name not in NOT_AUDITED
        if wanted and not has_parameters and not path.endswith(DOWNLOADS):
            queue.append(path)
    tried: dict[str, int] = {}
    while queue:
        path = queue.popleft()
        name = _route_name(urlsplit(path).path)
        if name is None or name in pages or name in NOT_AUDITED or tried.get(name, 0) >= 2:
            continue
        # Two tries per route: a file of another organisation is refused, the next may not be.
        tried[name] = tried.get(name, 0) + 1
        if not _html_page(page, path):
            continue
        pages[name] = path
        for link in page.evaluate(LINKS):
            target = urlsplit(link).path
            if target.startswith(NOT_FOLLOWED) or target.endswith(DOWNLOADS):
                continue
            if _route_name(target) not in pages:
                queue.append(link)
    return pages


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
    context: BrowserContext, site: str, axe_source: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    started = time.monotonic()
    context.set_default_navigation_timeout(60_000)  # a busy machine's slowest page, not a limit
    users = _demo_users(monkeypatch)
    print(f"\ndemo data: {time.monotonic() - started:.0f} s")
    routes = _routes(get_resolver())
    audited: dict[str, set[str]] = {}
    reached: dict[str, list[str]] = {}
    found: dict[str, list[dict[str, Any]]] = {}
    for role, user in users.items():
        context.clear_cookies()
        page = context.new_page()
        choose_language(context, site, "fr")
        if user is not None:
            _log_in(page, user)
        pages = _reachable(page, routes)
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
        name for route, name, _has in routes if _audited_route(route) and name not in NOT_AUDITED
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
