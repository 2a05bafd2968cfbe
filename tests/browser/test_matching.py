"""Matching in a real browser: Duo for a Job's coordinator (second factor) matches this
month's mentees in one click, reads the reasons and confirms; an employer sees the gap
analysis of a vacancy and of an internship offer (counts and charts, no names), in Arabic
(right to left). axe-core on every page. Synthetic people only."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Browser, Page, expect
from tests.support.accounts import PASSWORD, actor_of, two_factor_token
from tests.support.browser import accessibility_problems, choose_language, log_in, staff
from tests.support.matching import candidate, make_organisation

from passerelle.web.apps.accounts.models import Membership
from passerelle.web.apps.directory.models import Organisation
from passerelle.web.apps.matching.models import MatchingRound
from passerelle.web.apps.matching.services import mentor_save, offer_save, vacancy_save
from passerelle.web.apps.referrals.models import Referral

pytestmark = pytest.mark.browser
NAMES = ("Amanuel", "Selam", "Yonas", "Tesfaye", "Extra")


def test_one_click_round_and_the_employers_gaps(
    browser: Browser, page: Page, site: str, axe_source: str
) -> None:
    coordinator = staff("duo.co", "coordinator", "duo-for-a-job")
    bapa = actor_of(staff("bapa.cw", "caseworker", "bapa-bxl"))
    duo = Organisation.objects.get(slug="duo-for-a-job")
    givens = ("Amanuel", "Selam", "Yonas", "Extra1", "Extra2", "Extra3", "Extra4", "Extra5")
    for index, given in enumerate(givens):
        # eight candidates: perturbed counts (core.disclosure) stay above the threshold
        candidate(bapa, given, refer_to=duo if index % 2 == 0 and index < 6 else None)
    keeper = actor_of(staff("duo.cw", "caseworker", "duo-for-a-job"))
    for label, codes in (("Marc", "7112"), ("Anne", "7111")):
        mentor_save(
            actor=keeper,
            data={
                "label": label,
                "age": 66,
                "occupations": codes,
                "languages": "fr:C2",
                "municipality": "Forest",
                "max_mentees": 4,  # eight candidates, eight places
            },
        )
    employer = User.objects.create_user(username="acme", password=PASSWORD)
    acme = make_organisation("acme-construction")
    Membership.objects.create(user=employer, organisation=acme, role="employer")
    vacancy_save(
        actor=actor_of(employer),
        data={
            "title": "Bricklayer",
            "occupation": "7112",
            "languages": "fr:B1",
            "recognition_required": True,
            "start_date": "2027-01-04",
            "posts": 2,
        },
    )
    offer_save(  # acme hosts Tandem interns too
        actor=actor_of(employer),
        data={
            "title": "Two weeks on a building site",
            "programme": "tandem-internship",
            "occupation": "7112",
            "working_language": "fr",
            "language_level": "B1",
            "start_date": "2027-01-04",
        },
    )
    found: dict[str, Any] = {}

    def check(target: Page, name: str) -> None:
        violations = accessibility_problems(target, axe_source)
        if violations:
            found[name] = violations

    # The coordinator: one click, the proposals with their reasons, confirmation.
    log_in(page, "duo.co")
    page.goto("/staff/matching/")
    expect(page).to_have_url(f"{site}/staff/two-factor/")
    page.locator("#id_token").fill(two_factor_token(coordinator))
    page.locator("form.narrow button[type=submit]").click()
    page.goto("/staff/matching/")
    check(page, "matching home")
    page.locator("form:has(input[name=one_click]) button[type=submit]").first.click()
    expect(page.locator("table.files").first).to_contain_text("Marc")
    check(page, "round")
    text = page.content()
    assert not any(name in text for name in NAMES)
    page.locator("form[action$='/confirm/'] button").click()
    expect(page.locator(".messages")).to_contain_text("3")
    assert MatchingRound.objects.get().status == "confirmed"
    assert Referral.objects.count() == 3  # the three with a consent naming Duo for a Job

    # The employer, in Arabic: counts and a chart, never a name.
    context = browser.new_context(base_url=site)
    choose_language(context, site, "ar")
    employer_page = context.new_page()
    log_in(employer_page, "acme")
    expect(employer_page).to_have_url(f"{site}/staff/matching/")
    employer_page.goto("/staff/matching/gaps/")
    expect(employer_page.locator("html")).to_have_attribute("dir", "rtl")
    expect(employer_page.locator("figure svg")).to_have_count(2)  # the vacancy, the internship
    check(employer_page, "gaps (ar)")
    body = employer_page.content()
    assert not any(name in body for name in NAMES)
    # eight candidates, shown perturbed by at most two (core.disclosure)
    assert any(f">{count}<" in body for count in range(6, 11))
    context.close()
    assert not found, "axe-core: serious or critical violations\n" + json.dumps(
        found, indent=2, ensure_ascii=False
    )
