"""The "What can I do?" finder shows what `passerelle options` says, and stores nothing:
no database write, no log line, no cookie with the answers, no answers in the URL."""

from __future__ import annotations

import logging
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from tests.support.finder import ASYLUM_SEEKER, REFUGEE

from passerelle.web.apps.directory.services import LoadReport

pytestmark = pytest.mark.django_db

WRITES = re.compile(r"^\s*(INSERT|UPDATE|DELETE|CREATE|DROP|ALTER)\b", re.IGNORECASE)


def _group_of(html: str, programme_id: str) -> str:
    """The result group (eligible, later, ask, not_eligible) of a programme."""
    position = html.index(f'data-programme="{programme_id}"')
    groups = [(m.start(), m.group(1)) for m in re.finditer(r'class="group group-(\w+)"', html)]
    return [name for start, name in groups if start < position][-1]


def test_the_form_asks_by_post() -> None:
    html = Client().get("/what-can-i-do/").content.decode()
    assert re.search(r'<form method="post" action="/what-can-i-do/"', html)
    assert 'name="legal_status"' in html


def test_an_asylum_seeker_learns_when_they_may_work(loaded_directory: LoadReport) -> None:
    response = Client().post("/what-can-i-do/", ASYLUM_SEEKER)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="panel right-to-work right-with_permit"' in html
    assert "2019" in html  # the next change: automatic right to work from 1 January 2019
    assert _group_of(html, "tandem-internship") == "eligible"
    assert _group_of(html, "bapa-bxl-integration-pathway") == "not_eligible"
    assert _group_of(html, "actiris-job-support") == "eligible"


def test_a_refugee_may_work_and_join_the_pathway(loaded_directory: LoadReport) -> None:
    html = Client().post("/what-can-i-do/", REFUGEE).content.decode()
    assert 'class="panel right-to-work right-yes"' in html
    assert 'class="panel pathway-eligible"' in html
    assert _group_of(html, "tandem-internship") == "eligible"
    assert _group_of(html, "bapa-via-integration-pathway") == "eligible"


def test_a_refugee_in_schaerbeek_is_not_told_sampa_is_open(loaded_directory: LoadReport) -> None:
    # SAMPA serves residents of Molenbeek-Saint-Jean: elsewhere it is not listed at all, and
    # nothing without recorded conditions sits under "open now" (issue 18, item 1).
    html = Client().post("/what-can-i-do/", {**REFUGEE, "municipality": "schaerbeek"}).content
    text = html.decode()
    assert 'data-programme="sampa-newcomer-support"' not in text
    assert _group_of(text, "bon-civic-integration") == "ask"
    assert _group_of(text, "tandem-internship") == "eligible"
    ask = text[text.index('class="group group-ask"') :]
    ask = ask[: ask.index("</section>")]
    assert 'href="https://www.bon.be" rel="external"' in ask
    in_molenbeek = Client().post("/what-can-i-do/", REFUGEE).content.decode()
    assert _group_of(in_molenbeek, "sampa-newcomer-support") == "eligible"


def test_an_asylum_seeker_is_not_offered_bon_as_open(loaded_directory: LoadReport) -> None:
    html = Client().post("/what-can-i-do/", ASYLUM_SEEKER).content.decode()
    assert 'class="panel pathway-not_eligible"' in html
    assert _group_of(html, "bon-civic-integration") == "ask"
    opened = html[html.index('class="group group-eligible"') :]
    opened = opened[: opened.index("</section>")]
    assert "bon-civic-integration" not in opened


def test_the_finder_stores_nothing(
    loaded_directory: LoadReport, caplog: pytest.LogCaptureFixture
) -> None:
    client = Client()
    caplog.set_level(logging.DEBUG)
    with CaptureQueriesContext(connection) as queries:
        response = client.post("/what-can-i-do/", ASYLUM_SEEKER)
    assert response.status_code == 200
    # No database write (and in fact no query at all).
    assert [q["sql"] for q in queries.captured_queries if WRITES.match(q["sql"])] == []
    assert len(queries.captured_queries) == 0
    # No log line.
    assert caplog.records == []
    # No cookie holding an answer, and nothing to cache.
    answers = set(ASYLUM_SEEKER.values())
    for cookie in [*response.cookies.values(), *client.cookies.values()]:
        assert not any(answer in cookie.value for answer in answers), cookie
    assert "no-store" in response["Cache-Control"]
    assert "sessionid" not in response.cookies


def test_answers_in_the_url_are_ignored(loaded_directory: LoadReport) -> None:
    query = "&".join(f"{key}={value}" for key, value in ASYLUM_SEEKER.items())
    html = Client().get(f"/what-can-i-do/?{query}").content.decode()
    assert 'id="result"' not in html
    assert 'value="2018-01-12"' not in html


@pytest.mark.parametrize(
    ("answers", "field", "message"),
    [
        ({"birth_date": "1990-13-45"}, "birth_date", "Enter a valid date"),
        (
            {
                "legal_status": "refugee",
                "asylum_application_date": "2019-05-01",
                "asylum_decision_date": "2019-01-01",
            },
            "asylum_decision_date",
            "before asylum_application_date",
        ),
        ({"municipality": "outside", "postcode": "12"}, "postcode", "4 digits"),
        ({"on": "2001-01-01"}, "on", "outside the dates the rules cover"),
    ],
)
def test_bad_answers_are_shown_next_to_their_question(
    loaded_directory: LoadReport, answers: dict[str, str], field: str, message: str
) -> None:
    client = Client()
    client.cookies["passerelle_language"] = "en"
    html = client.post("/what-can-i-do/", answers).content.decode()
    match = re.search(rf'id="id_{field}-error"[^>]*>([^<]*)<', html)
    assert match, html[:2000]
    assert message in match.group(1)
    assert 'id="result"' not in html


APPEALING = {
    "legal_status": "asylum_seeker",
    "asylum_application_date": "2019-03-12",
    "appeal_lodged_date": "2019-09-20",
    "birth_date": "1994-02-10",
    "nationality": "AF",
    "municipality": "schaerbeek",
    "on": "2020-01-15",
}


def _procedure_details(html: str) -> str:
    start = html.index('id="asylum-procedure"')
    return html[html.rindex("<details", 0, start) : html.index(">", start) + 1]


def test_the_asylum_procedure_questions_open_only_when_they_matter(
    loaded_directory: LoadReport,
) -> None:
    empty = Client().get("/what-can-i-do/").content.decode()
    assert 'name="appeal_lodged_date"' in empty
    assert " open" not in _procedure_details(empty)
    refugee = Client().post("/what-can-i-do/", REFUGEE).content.decode()
    assert " open" not in _procedure_details(refugee)
    asylum_seeker = Client().post("/what-can-i-do/", ASYLUM_SEEKER).content.decode()
    assert " open" in _procedure_details(asylum_seeker)


def test_an_appeal_keeps_the_right_to_work_only_if_it_was_acquired(
    loaded_directory: LoadReport,
) -> None:
    # Refused at 4 months 1 day: the right arose on 2019-07-12 and lasts through the appeal.
    late = Client().post("/what-can-i-do/", {**APPEALING, "asylum_refusal_date": "2019-07-13"})
    html = late.content.decode()
    assert 'class="panel right-to-work right-yes"' in html
    assert "Conseil du contentieux des étrangers" in html  # the reason, in French by default
    # Refused at 3 months 29 days: no right to work, also while appealing.
    early = Client().post("/what-can-i-do/", {**APPEALING, "asylum_refusal_date": "2019-07-11"})
    assert 'class="panel right-to-work right-no"' in early.content.decode()


def test_an_impossible_order_of_the_procedure_is_shown_at_its_field(
    loaded_directory: LoadReport,
) -> None:
    response = Client().post("/what-can-i-do/", {**APPEALING, "asylum_refusal_date": "2019-10-01"})
    form = response.context["form"]
    assert "asylum_refusal_date" in " ".join(form.errors["appeal_lodged_date"])
    assert 'class="panel right-to-work' not in response.content.decode()


RECOGNISED_2022 = {
    "legal_status": "refugee",
    "asylum_application_date": "2021-09-01",
    "asylum_decision_date": "2022-08-01",
    "birth_date": "1995-03-03",
    "nationality": "ER",
    "arrival_in_belgium": "2021-08-28",
    "first_registration_brussels": "2022-08-10",
    "municipality": "schaerbeek",
    "on": "2022-12-01",
}


def _exemption_details(html: str) -> str:
    start = html.index('id="integration-exemptions"')
    return html[html.rindex("<details", 0, start) : html.index(">", start) + 1]


def test_the_obligation_asks_for_the_exemptions_and_follows_them(
    loaded_directory: LoadReport,
) -> None:
    unanswered = Client().post("/what-can-i-do/", RECOGNISED_2022).content.decode()
    assert 'class="panel pathway-unknown"' in unanswered
    assert " open" in _exemption_details(unanswered)
    none_apply = {
        **RECOGNISED_2022,
        "family_of_eea_swiss_citizen": "no",
        "integration_certificate": "no",
        "integration_other_exemption": "no",
    }
    obliged = Client().post("/what-can-i-do/", none_apply).content.decode()
    assert 'class="panel pathway-obliged"' in obliged
    family = (
        Client()
        .post("/what-can-i-do/", {**none_apply, "family_of_eea_swiss_citizen": "yes"})
        .content.decode()
    )
    assert 'class="panel pathway-eligible"' in family
