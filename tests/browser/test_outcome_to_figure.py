"""From a recorded outcome to the figure that includes it, in a real browser: seven people
finished Duo for a Job's mentoring some 400 days ago without a job; their CPAS caseworker
records, through the follow-up pages, that each was employed six months after the end; the
analyst's funder report then counts them in the cell "employed 6 months after the start",
which read 0 before (issue 17). Synthetic people only."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from playwright.sync_api import Browser, BrowserContext, Page, expect
from tests.support.accounts import PASSWORD, actor_of, two_factor_token
from tests.support.browser import log_in, staff
from tests.support.followups import move_back, participations

from passerelle.core.indicators.report import OUTCOME_LABELS
from passerelle.web.apps.accounts.models import PlatformRole, StaffProfile
from passerelle.web.apps.directory.models import Programme
from passerelle.web.apps.followups.models import FollowUp
from passerelle.web.apps.followups.services import months_after

pytestmark = pytest.mark.browser
PARTICIPANTS = 7
"""Above the small-cell threshold (5) even after a perturbation of at most 2."""
AGO = 400
"""Days since the participations ended, so that their six months have passed."""
ROW = OUTCOME_LABELS[6]
"""The row's label in the report's language, English (`language=en`): its message id."""
COUNT, DENOMINATOR = 2, 3
"""The report table's columns: section, indicator, count, of, value."""


def _cell(page: Page) -> tuple[str, str]:
    """The count and its denominator in the report's row `ROW`, read from their cells."""
    row = page.locator("#report tbody tr").filter(
        has=page.locator("td", has_text=re.compile(f"^{re.escape(ROW)}$"))
    )
    expect(row).to_have_count(1)
    cells = row.locator("td")
    return cells.nth(COUNT).inner_text().strip(), cells.nth(DENOMINATOR).inner_text().strip()


def test_a_follow_up_recorded_in_the_pages_shows_in_the_funder_report(
    browser: Browser, context: BrowserContext, site: str
) -> None:
    cpas = staff("cpas.cw", "caseworker", "cpas-anderlecht")
    duo = staff("duo.cw", "caseworker", "duo-for-a-job")
    analyst = User.objects.create_user(username="ana", password=PASSWORD)
    StaffProfile.objects.create(user=analyst, platform_role=PlatformRole.ANALYST)
    mentoring = Programme.objects.get(slug="duo-for-a-job-mentoring")
    sender, receiver = actor_of(cpas), actor_of(duo)
    participations(sender, receiver, mentoring, PARTICIPANTS)
    move_back(AGO)
    # Someone starting today: the report's data run to today.
    participations(sender, receiver, mentoring, 1, complete=False)
    six_months = months_after(timezone.localdate() - dt.timedelta(days=AGO), 6)
    report = (
        f"/analysis/report/?programme=duo-for-a-job-mentoring&period={six_months.year}&language=en"
    )

    # The analyst (second factor) reads the cell: nobody known to be employed.
    analysis = browser.new_context(base_url=site, locale="fr-BE")
    figures = analysis.new_page()
    log_in(figures, "ana")
    figures.goto(report)
    if "/staff/two-factor/" in figures.url:
        figures.locator("#id_token").fill(two_factor_token(analyst))
        figures.locator("form.narrow button[type=submit]").click()
        figures.goto(report)
    employed, participants = _cell(figures)
    assert employed in ("", "0")
    assert abs(int(participants) - PARTICIPANTS) <= 2

    # The CPAS caseworker records each six-month follow-up through the pages.
    page = context.new_page()
    log_in(page, "cpas.cw")
    for follow_up in FollowUp.objects.filter(months=6).order_by("due_on", "pk"):
        page.goto("/staff/follow-ups/")
        page.locator(f"a[href='/staff/follow-ups/{follow_up.pk}/']").click()
        page.locator("input[name=situation][value=employed]").check()
        page.locator("#id_contract_type").select_option("fixed_term")
        page.locator("#id_hours_per_week").fill("30")
        page.locator("#id_situation_on").fill(follow_up.due_on.isoformat())
        page.locator("form:has(#id_situation_on) button[type=submit]").click()
        expect(page).to_have_url(f"{site}/staff/follow-ups/")
    assert FollowUp.objects.filter(months=6, state="recorded").count() == PARTICIPANTS

    # The next view of the report counts them (perturbed by at most 2, never stale).
    figures.reload()
    employed, participants = _cell(figures)
    assert abs(int(employed) - PARTICIPANTS) <= 2
    assert abs(int(participants) - PARTICIPANTS) <= 2
    analysis.close()
