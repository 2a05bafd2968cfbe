"""The caseworker side in a real browser: log in, record a person with a needs assessment,
see their rights and options, record consent; a coordinator's second factor; Arabic
right-to-left; axe-core on every staff page; another organisation's guess finds nothing.
All people are synthetic."""

from __future__ import annotations

import json
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Page, expect
from tests.support.accounts import two_factor_token
from tests.support.browser import accessibility_problems, choose_language, log_in, staff

from passerelle.web.apps.people.models import Person

pytestmark = pytest.mark.browser


def record_a_file(page: Page) -> Person:
    page.goto("/staff/persons/new/")
    form = page.locator("form.person-form")
    for name, value in {
        "given_names": "ليلى",
        "given_names_latin": "Layla",
        "family_name_latin": "Khalil",
        "birth_date": "1999-04-02",
        "asylum_application_date": "2018-11-20",
        "nationality": "SY",
        "diploma_1_title": "Baccalauréat",
        "experience_1_isco": "5120",
        "experience_1_years": "2",
    }.items():
        form.locator(f"#id_{name}").fill(value)
    form.locator("#id_legal_status").select_option("asylum_seeker")
    form.locator("#id_municipality").select_option("anderlecht")
    form.locator("#id_language_fr").select_option("A2")
    form.locator("#id_literacy").select_option("functional")
    form.locator("#id_social_needs_0").check()
    form.locator("button[type=submit]").click()
    expect(page.locator(".messages")).to_be_visible()
    return Person.objects.get(given_names_latin="Layla")


def test_a_caseworker_records_a_person_and_sees_their_options(page: Page, site: str) -> None:
    staff("cw", "caseworker", "cpas-anderlecht")
    log_in(page, "cw")
    expect(page).to_have_url(f"{site}/staff/persons/")
    person = record_a_file(page)
    expect(page).to_have_url(f"{site}/staff/persons/{person.pk}/")
    expect(page.locator("h1")).to_contain_text("Layla Khalil")
    expect(page.locator(".right-to-work")).to_be_visible()
    expect(page.locator(".group").first).to_be_visible()
    assert person.assessment["literacy"] == "functional"
    # Consent for matching, recorded from the file page.
    page.locator("#consents-title ~ details summary").click()
    consent_form = page.locator("form[action$='/consents/']")
    consent_form.locator("#id_purpose").select_option("matching")
    consent_form.locator("input[name=shared_fields][value=profile]").check()
    consent_form.locator("button[type=submit]").click()
    expect(page.locator(".consents li")).to_have_count(1)


def test_another_organisation_cannot_find_the_file(
    page: Page, context: BrowserContext, site: str
) -> None:
    staff("cw", "caseworker", "cpas-anderlecht")
    staff("other", "caseworker", "duo-for-a-job")
    log_in(page, "cw")
    person = record_a_file(page)
    other = context.browser.new_context(base_url=site) if context.browser else None
    assert other is not None
    intruder = other.new_page()
    log_in(intruder, "other")
    expect(intruder).to_have_url(f"{site}/staff/persons/")
    expect(intruder.locator("body")).not_to_contain_text("Layla")
    response = intruder.goto(f"/staff/persons/{person.pk}/")
    assert response is not None
    assert response.status == 404
    other.close()


def test_a_coordinator_logs_in_with_a_second_factor(page: Page, site: str) -> None:
    user = staff("co", "coordinator", "cpas-anderlecht")
    log_in(page, "co")
    page.goto("/staff/persons/")
    expect(page).to_have_url(f"{site}/staff/two-factor/")
    expect(page.locator("figure.qr svg")).to_be_visible()
    page.locator("#id_token").fill(two_factor_token(user))
    page.locator("form.narrow button[type=submit]").click()
    expect(page).to_have_url(f"{site}/staff/persons/")


@pytest.mark.parametrize("language", ["fr", "ar"])
def test_staff_pages_are_accessible(
    context: BrowserContext, site: str, axe_source: str, language: str
) -> None:
    staff("cw", "caseworker", "cpas-anderlecht")
    choose_language(context, site, language)
    page = context.new_page()
    found: dict[str, Any] = {}

    def check(name: str, shown_in: str = language) -> None:
        expect(page.locator("html")).to_have_attribute("lang", shown_in)
        expect(page.locator("html")).to_have_attribute("dir", "rtl" if shown_in == "ar" else "ltr")
        violations = accessibility_problems(page, axe_source)
        if violations:
            found[name] = violations

    page.goto("/staff/login/")
    check("login")
    log_in(page, "cw")
    check("list")
    person = record_a_file(page)
    check("file")
    page.goto(f"/staff/persons/{person.pk}/edit/")
    check("edit")
    page.goto(f"/staff/referrals/new/{person.pk}/")
    check("new referral")
    for name in ("inbox", "outbox", "settings"):
        page.goto(f"/staff/referrals/{name}/")
        check(name)
    page.goto(f"/staff/persons/{person.pk}/export/")
    check("export", shown_in=person.language)  # the person's language, not the caseworker's
    assert not found, f"axe-core, {language}: serious or critical violations\n" + json.dumps(
        found, indent=2, ensure_ascii=False
    )


def test_an_administrator_plugs_a_system_in_on_the_integrations_page(
    page: Page, site: str, axe_source: str
) -> None:
    user = staff("admin", "org_admin", "cpas-anderlecht")
    choose_language(page.context, site, "en")
    log_in(page, "admin")
    page.goto("/staff/persons/")
    page.locator("#id_token").fill(two_factor_token(user))
    page.locator("form.narrow button[type=submit]").click()
    page.get_by_role("link", name="Integrations").click()
    expect(page).to_have_url(f"{site}/staff/integrations/")
    page.locator("#id_webhook-url").fill("https://cases.example.org/passerelle")
    page.get_by_role("button", name="Register", exact=True).click()
    expect(page.locator("code.secret")).to_be_visible()
    expect(page.locator("table").nth(1)).to_contain_text("https://cases.example.org/passerelle")
    page.locator("#id_token-name").fill("case system")
    page.locator("#id_token-scopes_0").check()
    page.get_by_role("button", name="Make the token").click()
    expect(page.locator("code.secret")).to_contain_text("psl_")
    violations = accessibility_problems(page, axe_source)
    assert not violations, json.dumps(violations, indent=2)
