"""Unique beneficiaries in a real browser: an analyst decides a pair of the review queue,
and reads the figures and the overlaps chart; axe-core on the pages, in French and Arabic.
Encodings and clusters are made up (no person, no name: there is none in this app)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from playwright.sync_api import BrowserContext, expect
from tests.support.accounts import PASSWORD, two_factor_token
from tests.support.browser import accessibility_problems, choose_language, log_in

from passerelle.web.apps.accounts.models import PlatformRole, StaffProfile
from passerelle.web.apps.beneficiaries.models import (
    CandidatePair,
    ClusterMember,
    EncodedRecord,
    EncodingBatch,
    LinkageRun,
    Participation,
    ReviewDecision,
)
from passerelle.web.apps.directory.models import Programme

pytestmark = pytest.mark.browser


def a_finished_run() -> CandidatePair:
    """30 people at Actiris, 12 of them also at Convivial at the same time, in 2025."""
    run = LinkageRun.objects.create(
        threshold=0.6, review_low=0.3, review_high=0.9, status="done", finished_at=timezone.now()
    )
    records = []
    for slug in ("actiris-job-support", "convivial-socio-professional-guidance"):
        programme = Programme.objects.get(slug=slug)
        batch = EncodingBatch.objects.create(organisation=programme.organisation, source="upload")
        people = range(1, 31) if slug.startswith("actiris") else range(19, 31)
        for number in people:
            record = EncodedRecord.objects.create(
                batch=batch,
                organisation=programme.organisation,
                record_id=f"{slug[:4]}-{number}",
                encoding={},
            )
            Participation.objects.create(
                record=record,
                programme=programme,
                measure_type="job_search_support",
                start_date=dt.date(2025, 2, 1),
                end_date=dt.date(2025, 9, 30),
            )
            ClusterMember.objects.create(run=run, record=record, cluster=number)
            records.append(record)
    return CandidatePair.objects.create(
        run=run,
        record_a=records[0],
        record_b=records[-1],
        match_probability=0.52,
        match_weight=0.1,
        comparisons=[
            {"comparison": "name", "level": "swapped ≥ 0.9", "weight": 6.2},
            {"comparison": "birth_date", "level": "All other comparisons", "weight": -3.4},
            {"comparison": "postcode", "level": "Exact match on postcode", "weight": 4.1},
            {"comparison": "phone", "level": "missing on one side", "weight": 0.0},
        ],
    )


@pytest.mark.parametrize("language", ["fr", "ar"])
def test_an_analyst_decides_a_pair_and_reads_the_overlaps(
    context: BrowserContext, site: str, axe_source: str, language: str
) -> None:
    analyst = User.objects.create_user(username="ana", password=PASSWORD)
    StaffProfile.objects.create(user=analyst, platform_role=PlatformRole.ANALYST)
    pair = a_finished_run()
    choose_language(context, site, language)
    page = context.new_page()
    log_in(page, "ana")
    page.goto("/analysis/beneficiaries/review/")
    # Pairs of person records: the second factor first (an authenticator registered now),
    # then back to the queue.
    expect(page).to_have_url(re.compile(r"/staff/two-factor/\?next="))
    page.locator("#id_token").fill(two_factor_token(analyst))
    page.locator("form.narrow button[type=submit]").click()
    expect(page).to_have_url(f"{site}/analysis/beneficiaries/review/")
    assert accessibility_problems(page, axe_source) == []
    page.locator(f"a[href$='/review/{pair.pk}/']").click()
    expect(page.locator("table.audit tbody tr")).to_have_count(4)
    assert accessibility_problems(page, axe_source) == []
    page.locator("input[name=decision][value=non_match]").check()
    page.locator("form.decision-form button[type=submit]").click()
    expect(page.locator(".messages")).to_be_visible()
    decision = ReviewDecision.objects.get()
    assert decision.decision == "non_match"
    page.goto("/analysis/beneficiaries/?period=2025&measure=job_search_support")
    expect(page.locator("svg.chart")).to_be_visible()
    # Actiris only (18), both at once (12): two columns, both shown
    expect(page.locator("svg.chart rect")).to_have_count(2)
    assert any(f">{30 + noise}<" in page.content() for noise in range(-2, 3))  # perturbed
    assert accessibility_problems(page, axe_source) == []
    expect(page.locator("html")).to_have_attribute("dir", "rtl" if language == "ar" else "ltr")
