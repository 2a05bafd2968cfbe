"""Analysts give the second factor before any page that shows or decides linkage pairs
(issue 15, item 10); their aggregate pages do not ask for it."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import quote

import pytest
from django.contrib.auth.models import User
from tests.support.accounts import logged_in, two_factor_token
from tests.support.beneficiaries import PAGES, constructed_run  # noqa: F401 (fixture)

from passerelle.web.apps.accounts.models import PlatformRole
from passerelle.web.apps.beneficiaries.models import CandidatePair, LinkageRun, ReviewDecision


@pytest.mark.usefixtures("constructed_run")
def test_an_analyst_without_the_second_factor_sees_and_decides_no_pair(
    make_user: Callable[..., User],
) -> None:
    analyst = make_user("analyst-2", platform_role=PlatformRole.ANALYST)
    client = logged_in(analyst, second_factor=False)
    pair = CandidatePair.objects.get()
    pair_page = f"/analysis/beneficiaries/review/{pair.pk}/"
    for url in (PAGES["runs"], PAGES["review"], pair_page):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"] == f"/staff/two-factor/?next={quote(url, safe='')}"
    decided = client.post(pair_page, {"decision": "match"})
    assert decided.status_code == 302
    assert not ReviewDecision.objects.exists()
    started = client.post(PAGES["runs"])
    assert started["Location"].startswith("/staff/two-factor/")
    assert LinkageRun.objects.count() == 1
    # Aggregates (no pair) need no second factor.
    assert client.get(PAGES["overview"]).status_code == 200
    # The analyst registers an authenticator and is sent back to the page asked for.
    enrolment = client.get(f"/staff/two-factor/?next={quote(pair_page, safe='')}")
    assert enrolment.status_code == 200
    assert b"<svg" in enrolment.content  # the QR code of a new device
    done = client.post(
        f"/staff/two-factor/?next={quote(pair_page, safe='')}",
        {"token": two_factor_token(analyst)},
    )
    assert done.status_code == 302
    assert done["Location"] == pair_page
    assert client.get(pair_page).status_code == 200
    assert client.post(pair_page, {"decision": "match"}).status_code == 302
    assert ReviewDecision.objects.count() == 1


@pytest.mark.usefixtures("constructed_run")
def test_a_wrong_code_keeps_the_pairs_closed(make_user: Callable[..., User]) -> None:
    analyst = make_user("analyst-3", platform_role=PlatformRole.ANALYST)
    client = logged_in(analyst, second_factor=False)
    client.get("/staff/two-factor/")
    right = two_factor_token(analyst)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    assert client.post("/staff/two-factor/", {"token": wrong}).status_code == 200
    assert client.get(PAGES["review"]).status_code == 302


def test_someone_who_may_not_enter_is_refused_before_any_second_factor(
    make_user: Callable[..., User], organisations: object
) -> None:
    caseworker = logged_in(make_user("case-x", "caseworker", "a"))
    assert caseworker.get(PAGES["review"]).status_code == 403
    assert caseworker.get("/staff/two-factor/").status_code == 302  # nothing to give
