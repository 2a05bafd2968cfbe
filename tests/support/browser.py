"""Helpers of the browser tests (tests/browser): choose a language, log in, run axe-core.
Shared here so that no test module imports another (tests/test_test_imports.py)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from playwright.sync_api import BrowserContext, Page
from tests.support.accounts import PASSWORD

from passerelle.web.apps.accounts.models import Membership
from passerelle.web.apps.directory.models import Organisation

LANGUAGE_COOKIE = "passerelle_language"


def choose_language(context: BrowserContext, site: str, language: str) -> None:
    """Set the language as the switcher does: by its cookie."""
    context.add_cookies([{"name": LANGUAGE_COOKIE, "value": language, "url": site}])


def axe_violations(page: Page, axe_source: str) -> list[dict[str, Any]]:
    # Evaluated by the browser's debugging protocol, which the page's Content-Security-Policy
    # does not govern (an inline <script> tag would be refused, as it should be).
    page.evaluate(axe_source)
    results = page.evaluate("async () => await axe.run(document)")
    return [
        {
            "id": violation["id"],
            "impact": violation["impact"],
            "help": violation["help"],
            "nodes": [node["target"] for node in violation["nodes"]][:5],
        }
        for violation in results["violations"]
        if violation["impact"] in ("serious", "critical")
    ]


BROKEN_REFERENCES = """() => {
  const broken = [];
  for (const element of document.querySelectorAll(
      "[aria-describedby], [aria-labelledby], [aria-controls], label[for]")) {
    for (const name of ["aria-describedby", "aria-labelledby", "aria-controls", "for"]) {
      for (const id of (element.getAttribute(name) || "").split(/\\s+/).filter(Boolean)) {
        if (!document.getElementById(id)) broken.push(`${element.tagName} ${name}=${id}`);
      }
    }
  }
  return broken;
}"""
"""Every id that a label or an ARIA attribute points to exists (axe only lists a missing
aria-describedby target as "needs review")."""


def accessibility_problems(page: Page, axe_source: str) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations, and ids pointed to that do not exist."""
    problems = axe_violations(page, axe_source)
    broken = page.evaluate(BROKEN_REFERENCES)
    if broken:
        problems.append({"id": "broken-id-reference", "nodes": broken})
    return problems


def staff(username: str, role: str, organisation: str) -> User:
    user = User.objects.create_user(username=username, password=PASSWORD)
    Membership.objects.create(
        user=user, organisation=Organisation.objects.get(slug=organisation), role=role
    )
    return user


def log_in(page: Page, username: str) -> None:
    page.goto("/staff/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("form.narrow button[type=submit]").click()
