"""The closed loop in a real browser: a CPAS caseworker records consent and refers a
24-year-old refugee to Duo for a Job; Duo's coordinator (second factor) finds it in the
inbox and accepts, later records "job found"; the CPAS caseworker sees the loop closed; a
third organisation sees nothing. Synthetic people only."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect
from tests.support.accounts import actor_of, two_factor_token
from tests.support.browser import log_in, staff
from tests.support.people import synthetic_file

from passerelle.web.apps.directory.models import Programme
from passerelle.web.apps.people.services import person_create
from passerelle.web.apps.referrals.models import Referral

pytestmark = pytest.mark.browser


def test_a_referral_goes_round_the_loop(browser: Browser, page: Page, site: str) -> None:
    cpas = staff("cpas.cw", "caseworker", "cpas-anderlecht")
    duo = staff("duo.co", "coordinator", "duo-for-a-job")
    staff("bapa.cw", "caseworker", "bapa-bxl")
    data = synthetic_file(given="Selam", family="Haile", birth_date="2002-05-20")
    data["profile"]["migration_background"] = True
    person = person_create(actor=actor_of(cpas), data=data)

    # The CPAS caseworker records the consent, then refers.
    log_in(page, "cpas.cw")
    page.goto(f"/staff/persons/{person.pk}/")
    page.locator("#consents-title ~ details summary").click()
    consent = page.locator("form[action$='/consents/']")
    consent.locator("#id_purpose").select_option("referral")
    consent.locator("#id_recipient").select_option(label="Duo for a Job")
    for group in ("identity", "contact", "profile"):
        consent.locator(f"input[name=shared_fields][value={group}]").check()
    consent.locator("button[type=submit]").click()
    expect(page.locator(".consents li")).to_have_count(1)
    page.locator("a[href^='/staff/referrals/new/']").click()
    form = page.locator("form:has(#id_programme)")
    mentoring = Programme.objects.get(slug="duo-for-a-job-mentoring")
    form.locator("#id_programme").select_option(value=str(mentoring.pk))
    form.locator("button[type=submit]").click()
    expect(page.locator(".action-send button")).to_be_visible()
    page.locator(".action-send button").click()
    expect(page.locator(".answer.state-sent")).to_be_visible()
    referral = Referral.objects.get()

    # Duo's coordinator logs in with the second factor, finds it, accepts.
    other = browser.new_context(base_url=site)
    duo_page = other.new_page()
    log_in(duo_page, "duo.co")
    duo_page.goto("/staff/referrals/inbox/")
    expect(duo_page).to_have_url(f"{site}/staff/two-factor/")
    duo_page.locator("#id_token").fill(two_factor_token(duo))
    duo_page.locator("form.narrow button[type=submit]").click()
    duo_page.goto("/staff/referrals/inbox/")
    duo_page.locator(f"a[href='/staff/referrals/{referral.pk}/']").click()
    expect(duo_page.locator("#person-title + p")).to_contain_text("Selam Haile")
    duo_page.locator(".action-accept button").click()
    expect(duo_page.locator(".answer.state-accepted")).to_be_visible()
    duo_page.locator(".action-start button").click()
    duo_page.locator(".action-complete select").select_option("job_found")
    duo_page.locator(".action-complete button").click()
    expect(duo_page.locator(".answer.state-completed")).to_be_visible()
    other.close()

    # The CPAS caseworker sees the loop closed.
    page.goto("/staff/referrals/outbox/")
    expect(page.locator("table.files tr[data-state=completed]")).to_have_count(1)
    page.goto(f"/staff/referrals/{referral.pk}/")
    expect(page.locator(".outcome[data-outcome=job_found]")).to_be_visible()

    # A third organisation sees nothing.
    third = browser.new_context(base_url=site)
    bapa = third.new_page()
    log_in(bapa, "bapa.cw")
    bapa.goto("/staff/referrals/inbox/")
    expect(bapa.locator("table.files tr[data-state]")).to_have_count(0)
    response = bapa.goto(f"/staff/referrals/{referral.pk}/")
    assert response is not None
    assert response.status == 404
    third.close()
