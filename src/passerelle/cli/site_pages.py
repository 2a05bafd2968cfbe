"""Every page each role can reach, found in a browser: the demo's accounts (one per role),
the parameterless routes of the URL configuration, and the pages their links lead to.

Shared by the accessibility audit of every page (tests/browser/test_every_page.py) and the
screenshot review (`make screenshots`, passerelle.cli.screenshots), so that both visit the
same pages. Needs Django set up, the demo's data (`demo_accounts`) and Playwright.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Collection
from urllib.parse import urlsplit

from django.contrib.auth.models import User
from django.test import override_settings
from django.urls import URLPattern, URLResolver, resolve
from django.urls.exceptions import Resolver404
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page

NOT_PAGES = {
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
"""Routes that answer no HTML page to a GET (forms' targets, downloads), with the reason."""

NOT_FOLLOWED = ("/api/", "/admin/", "/static/", "/i18n/")
"""The API answers JSON (its docs page is a route of its own: /api/docs); Django's admin is
Django's template, reached by platform administrators only."""
DOWNLOADS = (".csv", ".xlsx", ".pdf", ".ics", ".json", ".svg", ".png")
MENTORING_ORGANISATION = "duo-for-a-job"
PLATFORM_ADMIN = "pat.platform"


def routes(
    resolver: URLResolver, prefix: str = "", namespace: str = ""
) -> list[tuple[str, str, bool]]:
    """(route, name, has parameters) of every named route of the URL configuration."""
    found = []
    for entry in resolver.url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            found += routes(entry, route, inner)
        elif isinstance(entry, URLPattern) and entry.name:
            name = f"{namespace}{entry.name}"
            found.append((route, name, "<" in route or "(" in route))
    return found


def route_name(path: str) -> str | None:
    try:
        match = resolve(path)
    except Resolver404:
        return None
    return match.view_name


def is_page_route(route: str) -> bool:
    """A page of the platform's own: not the admin, the JSON API or a download."""
    return (
        not route.startswith(("admin/", "i18n/"))
        and (not route.startswith("api/") or route == "api/docs")
        and not route.rstrip("$").endswith(DOWNLOADS)
    )


def demo_accounts(demo_records: int = 300) -> dict[str, User | None]:
    """The demo's data (two synthetic files per organisation, `demo_records` encodings for a
    linkage run with pairs to review, a matching round of Duo for a Job's) and one account
    per role: None for the visitor."""
    import passerelle.cli.main  # noqa: F401  (cli.people is imported through the CLI's main)
    from passerelle.cli.people import (
        DEMO_ANALYST,
        DEMO_PASSWORD,
        DEMO_STAFF,
        DEMO_TOTP_KEY,
        demo_data,
    )
    from passerelle.web.apps.accounts.models import PlatformRole, Role, StaffProfile
    from passerelle.web.apps.beneficiaries import demo as beneficiaries_demo
    from passerelle.web.apps.directory.models import Organisation
    from passerelle.web.apps.matching import demo as matching_demo
    from passerelle.web.apps.matching import services as matching_services
    from passerelle.web.common.actors import Actor

    records = beneficiaries_demo.DEMO_RECORDS
    beneficiaries_demo.DEMO_RECORDS = demo_records
    try:
        with override_settings(DEBUG=True):  # demo-data refuses to run on production settings
            demo_data(persons=2, seed=2026)
    finally:
        beneficiaries_demo.DEMO_RECORDS = records
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
    coordinator = Actor(organisation=duo, role=Role.COORDINATOR, label="every page")
    matching_services.round_start(
        actor=coordinator, programme=duo.programmes.get(slug="duo-for-a-job-mentoring")
    )
    by_role["analyst"] = User.objects.get(username=DEMO_ANALYST)
    _refused_imports(by_role)
    admin = User.objects.create_user(username=PLATFORM_ADMIN, password=DEMO_PASSWORD)
    StaffProfile.objects.create(user=admin, platform_role=PlatformRole.ADMIN)
    TOTPDevice.objects.create(user=admin, name="demo", key=DEMO_TOTP_KEY, confirmed=True)
    by_role["platform admin"] = admin
    return by_role


def _refused_imports(by_role: dict[str, User | None]) -> None:
    """An outcome file and an encodings upload, each refused for the problems it names, so
    that the pages of an import's job are reached too."""
    from passerelle.cli.people import DEMO_STAFF
    from passerelle.web.apps.beneficiaries import services as beneficiaries_services
    from passerelle.web.apps.directory.models import Organisation

    # The analyst's outcome file lacks the encodings' columns.
    job = beneficiaries_services.outcomes_job_create(
        content=b"outcome_date,situation\n2026-06-30,employed\n", user=by_role["analyst"]
    )
    beneficiaries_services.outcomes_job_run(job_id=job.pk, last_attempt=True)
    # The CPAS coordinator's upload has no encoded columns either.
    upload = beneficiaries_services.encodings_job_create(
        organisation=Organisation.objects.get(slug=DEMO_STAFF[1][0]),
        encodings=b"record_id\n1\n",
        participations=b"record_id\n",
        user=by_role["coordinator"],
    )
    beneficiaries_services.encodings_job_run(job_id=upload.pk, last_attempt=True)


def second_factor_token(user: User) -> str:
    """The current code of the user's authenticator device (the demo's known key)."""
    device = TOTPDevice.objects.filter(user=user).first()
    if device is None:
        raise ValueError(f"{user.username} has no authenticator device")
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


def log_in(page: Page, user: User) -> None:
    """Through the login page with the demo's password, and the second factor if asked."""
    from passerelle.cli.people import DEMO_PASSWORD

    page.goto("/staff/login/")
    page.locator("#id_username").fill(user.username)
    page.locator("#id_password").fill(DEMO_PASSWORD)
    page.locator("form.narrow button[type=submit]").click()
    page.wait_for_load_state()
    if TOTPDevice.objects.filter(user=user).exists():
        page.goto("/staff/two-factor/")
        if page.locator("#id_token").count():
            page.locator("#id_token").fill(second_factor_token(user))
            page.locator("form.narrow button[type=submit]").click()
            page.wait_for_load_state()


def html_page(page: Page, path: str) -> bool:
    """Open `path` if it answers an HTML page to this browser's cookies."""
    # Asked first outside the page, with the page's cookies: a route that answers no page (a
    # form's target answering 405, a redirect to the login page, JSON) is never loaded, since
    # Chromium's error page after an empty answer makes the next navigations race.
    # A busy machine's slowest page (a scenario run) may take longer than a click's timeout.
    answer = page.request.get(path, max_redirects=0, timeout=60_000)
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


def reachable(
    page: Page,
    all_routes: list[tuple[str, str, bool]],
    *,
    skip: Collection[str] = (),
    limit: int | None = None,
) -> dict[str, str]:
    """route name -> one path of it, for every HTML page the logged-in role reaches, in the
    order they were found; routes in `skip` are followed but not returned, and the search
    stops at `limit` pages."""
    pages: dict[str, str] = {}
    queue: deque[str] = deque()
    for route, name, has_parameters in all_routes:
        path = "/" + route.lstrip("^").rstrip("$")
        wanted = is_page_route(route) and name not in NOT_PAGES
        if wanted and not has_parameters and not path.endswith(DOWNLOADS):
            queue.append(path)
    tried: dict[str, int] = {}
    while queue:
        path = queue.popleft()
        found = route_name(urlsplit(path).path)
        if found is None or found in pages or found in NOT_PAGES or tried.get(found, 0) >= 2:
            continue
        name = found
        # Two tries per route: a file of another organisation is refused, the next may not be.
        tried[name] = tried.get(name, 0) + 1
        if not html_page(page, path):
            continue
        pages[name] = path
        if limit is not None and len([n for n in pages if n not in skip]) >= limit:
            break
        for link in page.evaluate(LINKS):
            target = urlsplit(link).path
            if target.startswith(NOT_FOLLOWED) or target.endswith(DOWNLOADS):
                continue
            if route_name(target) not in pages:
                queue.append(link)
    return {name: path for name, path in pages.items() if name not in skip}
