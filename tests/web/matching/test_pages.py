"""The coordinator's one-click round and review, the employer's pages and gap analysis,
through HTTP: no name crosses organisations, small counts are withheld."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from tests.support.accounts import actor_of, logged_in
from tests.support.matching import NAMES, Setting, bricklayer, candidate

from passerelle.web.apps.matching.gaps import gap_frame
from passerelle.web.apps.matching.models import MatchingRound, ProposalStatus, Vacancy
from passerelle.web.apps.referrals.models import Referral

pytestmark = pytest.mark.django_db


def more_candidates(setting: Setting, count: int) -> None:
    for index in range(count):
        candidate(actor_of(setting.users["cw_c"]), f"Extra{index}")


def test_one_click_round_then_confirm(setting: Setting) -> None:
    client = logged_in(setting.users["co_b"])
    page = client.get("/staff/matching/")
    assert page.status_code == 200
    assert "mentees" in page.content.decode()
    response = client.post(
        "/staff/matching/rounds/start/",
        {"programme": "duo-for-a-job-mentoring", "one_click": "1"},
    )
    assert response.status_code == 302
    matching_round = MatchingRound.objects.get()
    assert matching_round.on == dt.date.today()
    assert matching_round.options["waiting_priority"]
    page = client.get(response["Location"]).content.decode()
    assert "candidate 1" in page
    assert "Marc" in page
    assert "language +" in page or "langue +" in page  # English, or French once compiled
    assert not any(name in page for name in NAMES)  # pseudonyms only
    response = client.post(f"/staff/matching/rounds/{matching_round.pk}/confirm/", follow=True)
    text = response.content.decode()
    assert "2 referral(s) sent; 1 without consent" in text
    assert Referral.objects.count() == 2


def test_another_organisation_gets_404_for_a_round(setting: Setting) -> None:
    client = logged_in(setting.users["co_b"])
    client.post(
        "/staff/matching/rounds/start/", {"programme": "duo-for-a-job-mentoring", "one_click": "1"}
    )
    matching_round = MatchingRound.objects.get()
    other = logged_in(setting.users["co_a"])
    assert other.get(f"/staff/matching/rounds/{matching_round.pk}/").status_code == 404
    assert other.post(f"/staff/matching/rounds/{matching_round.pk}/confirm/").status_code == 404
    refused = other.post(
        "/staff/matching/rounds/start/", {"programme": "duo-for-a-job-mentoring", "one_click": "1"}
    )
    assert refused.status_code == 403
    assert MatchingRound.objects.count() == 1


def test_employer_sees_counts_not_names(setting: Setting) -> None:
    bricklayer(setting)
    more_candidates(setting, 5)  # eight candidates in all: never withheld when perturbed
    client = logged_in(setting.users["employer"], second_factor=False)
    assert client.get("/staff/persons/").status_code == 403
    page = client.get("/staff/matching/gaps/")
    assert page.status_code == 200
    text = page.content.decode()
    assert not any(name in text for name in (*NAMES, "Extra"))
    # the counts are perturbed by cell key (core.disclosure): eight, give or take two
    for pattern in (
        r"(\d+) candidates have this occupation or wish it; 0 could start now",
        r"language for (\d+)",
        r"diploma recognition for (\d+)",
    ):
        found = re.search(pattern, text)
        assert found is not None, pattern
        assert abs(int(found.group(1)) - 8) <= 2
    assert "<svg" in text


def test_gap_counts_follow_courses_and_recognition(setting: Setting) -> None:
    vacancy = bricklayer(setting)
    more_candidates(setting, 3)
    frame = gap_frame([vacancy], dt.date(2026, 12, 1), perturbed=False).sort("months")
    assert frame["candidates"].to_list() == [6, 6, 6, 6]
    # French A2 where B1 is required, foreign diplomas: one level and a recognition in 6 months
    assert frame["qualifying"].to_list() == [0, 0, 6, 6]
    assert frame["language"].to_list()[:2] == [6, 6]
    assert not frame["suppressed"].any()
    # published: perturbed by cell key, the same people giving the same value
    published = gap_frame([vacancy], dt.date(2026, 12, 1)).sort("months")
    shown = published["candidates"].to_list()
    assert len(set(shown)) == 1  # the same six candidates at every horizon
    assert shown[0] is None or abs(shown[0] - 6) <= 2
    assert published["qualifying"].to_list()[:2] == [0, 0] or shown[0] is None  # zeros stay


def test_small_cells_are_withheld(setting: Setting) -> None:
    vacancy = bricklayer(setting)  # three candidates only
    frame = gap_frame([vacancy], dt.date(2026, 12, 1))
    assert frame["suppressed"].all()
    assert frame["candidates"].is_null().all()
    assert frame["qualifying"].is_null().all()
    client = logged_in(setting.users["employer"], second_factor=False)
    text = client.get("/staff/matching/gaps/").content.decode()
    assert "withheld" in text
    assert "3 candidates" not in text


def test_vacancy_form_names_the_bad_fields(setting: Setting) -> None:
    client = logged_in(setting.users["employer"], second_factor=False)
    response = client.post(
        "/staff/matching/vacancies/new/",
        {
            "title": "Electrician",
            "occupation": "74111",
            "languages": "fr:Q1",
            "start_date": "2027-01-04",
            "posts": "1",
        },
    )
    assert response.status_code == 422
    text = response.content.decode()
    assert 'id="id_occupation_error"' in text
    assert 'id="id_languages_error"' in text
    assert not Vacancy.objects.exists()
    response = client.post(
        "/staff/matching/vacancies/new/",
        {
            "title": "Electrician",
            "occupation": "7411",
            "languages": "fr:B1",
            "start_date": "2027-01-04",
            "posts": "1",
            "active": "on",
        },
    )
    assert response.status_code == 302
    assert Vacancy.objects.get().languages == {"fr": "B1"}


def test_coordinator_removes_a_proposal_from_the_page(setting: Setting) -> None:
    client = logged_in(setting.users["co_b"])
    client.post(
        "/staff/matching/rounds/start/", {"programme": "duo-for-a-job-mentoring", "one_click": "1"}
    )
    matching_round = MatchingRound.objects.get()
    response = client.post(f"/staff/matching/rounds/{matching_round.pk}/1/remove/")
    assert response.status_code == 302
    assert matching_round.proposals.get(number=1).status == ProposalStatus.REMOVED


def test_suppression_keeps_no_small_count_nor_its_difference() -> None:
    import polars as pl

    from passerelle.web.apps.matching.gaps import suppress_gaps

    zero = {"right_to_work": 0, "diploma": 0, "licence": 0}
    frame = pl.DataFrame(
        [
            # 2 do not qualify: who qualifies and every obstacle are withheld
            {"months": 0, "candidates": 8, "qualifying": 6, "language": 2, "recognition": 0},
            # a small obstacle hides the obstacles only
            {"months": 3, "candidates": 8, "qualifying": 0, "language": 8, "recognition": 3},
            {"months": 6, "candidates": 10, "qualifying": 5, "language": 5, "recognition": 0},
        ]
    ).with_columns(slot_id=pl.lit("v"), **{k: pl.lit(v) for k, v in zero.items()})
    rows = {row["months"]: row for row in suppress_gaps(frame, 5).to_dicts()}
    assert rows[0]["suppressed"]
    assert rows[0]["qualifying"] is None
    assert rows[0]["blockers_suppressed"]
    assert rows[0]["language"] is None
    assert not rows[3]["suppressed"]
    assert rows[3]["qualifying"] == 0
    assert rows[3]["blockers_suppressed"]
    assert rows[3]["language"] is None
    assert rows[6]["qualifying"] == 5
    assert rows[6]["language"] == 5
    assert not rows[6]["blockers_suppressed"]


def test_host_sees_the_gap_analysis_of_internship_offers(setting: Setting) -> None:
    from tests.support.matching import make_organisation
    from tests.support.referrals import make_programme

    from passerelle.web.apps.matching.services import offer_save

    make_programme(make_organisation("tandem", kind="ngo"), "tandem-internship")
    offer = offer_save(
        actor=setting.actor("employer"),
        data={
            "title": "Two weeks on a building site",
            "programme": "tandem-internship",
            "occupation": "7112",
            "working_language": "fr",
            "language_level": "B1",
            "start_date": "2027-01-04",
            "places": 2,
        },
    )
    more_candidates(setting, 5)  # eight refugees with French A2: Tandem's public
    frame = gap_frame([offer], dt.date(2026, 12, 1), perturbed=False).sort("months")
    assert frame["candidates"].to_list() == [8, 8, 8, 8]
    # One French level in six months; eligible on the offer's dates.
    assert frame["qualifying"].to_list() == [0, 0, 8, 8]
    assert frame["language"].to_list() == [8, 8, 0, 0]
    assert frame["right_to_work"].to_list() == [0, 0, 0, 0]
    client = logged_in(setting.users["employer"], second_factor=False)
    text = client.get("/staff/matching/gaps/").content.decode()
    assert "Two weeks on a building site" in text
    assert "Internship offers" in text
    assert "Programme eligibility on the dates" in text  # the table's column
    # perturbed by cell key (core.disclosure): eight give or take two, never under five
    found = re.search(r"(\d+) candidates have this occupation or wish it; 0 could start now", text)
    assert found is not None
    assert abs(int(found.group(1)) - 8) <= 2
    assert text.count("<svg") == 1
    assert not any(name in text for name in (*NAMES, "Extra"))
