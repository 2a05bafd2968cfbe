"""The rough edges a new user met on the staff side (issue 18, item 5), each with a test
that fails on the old behaviour."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone, translation
from tests.support.accounts import PASSWORD, logged_in
from tests.support.referrals import Network, draft, move

from passerelle.knowledge.loader import load_knowledge
from passerelle.web.apps.accounts.models import PlatformRole, StaffProfile
from passerelle.web.apps.directory.services import knowledge_load
from passerelle.web.apps.matching.demo import demo_matching
from passerelle.web.apps.matching.gaps import Kind, offer_gaps
from passerelle.web.apps.matching.models import InternshipOffer, MatchingRound, Vacancy
from passerelle.web.apps.matching.services import mentor_save
from passerelle.web.apps.people.schemas import PersonDataError
from passerelle.web.apps.people.services import consent_record
from passerelle.web.apps.referrals.models import Referral

pytestmark = pytest.mark.django_db


def _in_progress(network: Network) -> Referral:
    referral = move(network, "cw_a", draft(network), "send")
    referral = move(network, "cw_b", referral, "accept")
    return move(network, "cw_b", referral, "start")


def test_completing_a_referral_asks_for_the_outcome_in_words(consented: Network) -> None:
    referral = _in_progress(consented)
    client = logged_in(consented.users["cw_b"])
    page = client.get(f"/staff/referrals/{referral.pk}/", HTTP_ACCEPT_LANGUAGE="fr")
    form = page.content.decode().split('class="action-complete"', 1)[1].split("</form>", 1)[0]
    # The browser asks for it before sending the form.
    assert re.search(r'<select name="outcome"[^>]* required', form), form
    response = client.post(
        f"/staff/referrals/{referral.pk}/complete/",
        {"version": referral.version, "outcome": ""},
        HTTP_ACCEPT_LANGUAGE="fr",
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Choisissez le résultat avant de clôturer l&#x27;orientation." in html
    assert "valeurs permises" not in html
    assert "job_found" not in html.split("<select")[0]
    referral.refresh_from_db()
    assert referral.state == "in_progress"
    assert referral.outcome == ""


def test_the_analyst_lands_on_the_analysis_pages_and_is_never_told_no_organisation(
    db: None,
) -> None:
    analyst = User.objects.create_user(username="analyst", password=PASSWORD)
    StaffProfile.objects.create(user=analyst, platform_role=PlatformRole.ANALYST)
    client = Client()
    response = client.post("/staff/login/", {"username": "analyst", "password": PASSWORD})
    assert response["Location"] == "/staff/"
    home = client.get("/staff/", HTTP_ACCEPT_LANGUAGE="fr")
    assert home.status_code == 200
    links = set(re.findall(r'href="([^"]+)"', home.content.decode()))
    assert {
        "/analysis/",
        "/analysis/beneficiaries/",
        "/analysis/evaluation/",
        "/analysis/report/",
        "/analysis/scenarios/",
    } <= links
    for link in ("/analysis/", "/analysis/scenarios/"):
        assert client.get(link).status_code == 200
    # A page of an organisation refuses them (as the authorisation matrix says) and shows
    # the way to their own pages.
    refused = client.get("/staff/persons/")
    assert refused.status_code == 403
    assert 'href="/staff/"' in refused.content.decode()


@pytest.mark.parametrize(
    ("language", "title"), [("nl", "Toegang geweigerd"), ("ar", "تم رفض الوصول")]
)
def test_refused_and_missing_staff_pages_are_the_sites_own_in_the_readers_language(
    network: Network, settings: Any, language: str, title: str
) -> None:
    settings.DEBUG = True  # as in `make demo`: Django would show its own pages
    client = Client()
    client.force_login(network.users["cw_a"])
    refused = client.get("/staff/audit/", HTTP_ACCEPT_LANGUAGE=language)
    assert refused.status_code == 403
    html = refused.content.decode()
    assert f'<html lang="{language}"' in html
    assert title in html
    assert "/static/passerelle/site.css" in html
    missing = client.get(
        "/staff/persons/00000000-0000-4000-8000-000000000000/", HTTP_ACCEPT_LANGUAGE=language
    )
    assert missing.status_code == 404
    assert f'<html lang="{language}"' in missing.content.decode()
    assert "/static/passerelle/site.css" in missing.content.decode()


def test_the_inbox_shows_the_person_as_disclosed_and_the_programme_once(
    consented: Network,
) -> None:
    move(consented, "cw_a", draft(consented), "send")
    client = logged_in(consented.users["cw_b"])
    html = client.get("/staff/referrals/inbox/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    head, body = html.split("<tbody>", 1)
    headings = re.findall(r'<th scope="col">([^<]+)</th>', head)
    assert headings == ["Person", "Sent by", "Planned start", "State"]
    row = body.split("</tr>", 1)[0]
    assert "Amanuel Tesfaye" in row  # the names were disclosed with the referral
    assert "duo-for-a-job-mentoring" not in row  # the one programme is named above the table
    assert "Programme: <bdi>" in head


def test_the_inbox_does_not_name_a_person_whose_names_were_not_shared(
    consented: Network,
) -> None:
    move(consented, "cw_a", draft(consented, fields=["profile"]), "send")
    client = logged_in(consented.users["cw_b"])
    html = client.get("/staff/referrals/inbox/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Amanuel" not in html
    assert "names not shared" in html


def test_ending_actions_are_secondary_buttons(consented: Network) -> None:
    referral = move(consented, "cw_a", draft(consented), "send")
    client = logged_in(consented.users["cw_a"])
    html = client.get(f"/staff/referrals/{referral.pk}/").content.decode()
    withdraw = html.split('class="action-withdraw"', 1)[1].split("</form>", 1)[0]
    assert '<button type="submit" class="secondary danger">' in withdraw
    person = client.get(f"/staff/persons/{consented.person.pk}/").content.decode()
    close = person.split('action="/staff/persons/', 2)
    assert any(
        '/close/"' in part and 'class="secondary danger"' in part.split("</form>", 1)[0]
        for part in close
    )


@pytest.mark.parametrize("language", ["fr", "nl", "en", "ar"])
def test_the_round_date_is_prefilled_in_a_format_the_form_reads_back(
    network: Network, language: str
) -> None:
    mentor_save(
        actor=network.actor("co_b"),
        data={
            "label": "Marc D.",
            "age": 67,
            "occupations": ["7112"],
            "languages": {"fr": "C2"},
            "municipality": "Forest",
            "max_mentees": 1,
            "available_from": timezone.localdate().isoformat(),
        },
    )
    consent_record(
        actor=network.actor("cw_a"),
        person_id=network.person.pk,
        purpose="matching",
        fields=["birth_date", "profile", "education", "experience"],
        given_on=timezone.localdate(),
    )
    client = logged_in(network.users["co_b"])
    html = client.get("/staff/matching/", HTTP_ACCEPT_LANGUAGE=language).content.decode()
    value = re.search(r'<input type="text" name="on" value="([^"]+)"', html)
    assert value is not None, "no pre-filled round date"
    response = client.post(
        "/staff/matching/rounds/start/",
        {
            "programme": "duo-for-a-job-mentoring",
            "kind": "mentoring",
            "on": value.group(1),
            "min_score": "0",
        },
        HTTP_ACCEPT_LANGUAGE=language,
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert MatchingRound.objects.get().on == timezone.localdate()


def test_the_employer_and_host_demos_show_counts_above_the_threshold(db: None) -> None:
    knowledge_load(knowledge=load_knowledge())
    today = timezone.localdate()
    demo_matching(today=today, password="synthetic-only-2026", seed=2026)
    records = [*Vacancy.objects.all(), *InternshipOffer.objects.all()]
    found = offer_gaps(records, today)
    assert {gap.kind for gap in found} == {Kind.vacancy, Kind.internship}
    for gap in found:
        shown = [row for row in gap.rows if not row["suppressed"]]
        assert shown, f"{gap.record.title}: every count withheld"
    electricians = next(g for g in found if getattr(g.record, "occupation", "") == "7411")
    now = electricians.rows[0]
    assert now["months"] == 0
    assert not now["suppressed"]
    assert now["qualifying"] >= 5


def test_lists_in_arabic_use_the_arabic_comma(consented: Network) -> None:
    client = logged_in(consented.users["cw_a"])
    html = client.get(
        f"/staff/persons/{consented.person.pk}/", HTTP_ACCEPT_LANGUAGE="ar"
    ).content.decode()
    languages = re.search(r"<dt>اللغات</dt><dd>([^<]+)</dd>", html)
    assert languages is not None
    assert "، " in languages.group(1)
    assert ", " not in languages.group(1)


def test_the_file_speaks_of_the_person_in_the_third_person_with_units(
    consented: Network,
) -> None:
    """Item 4: a caseworker reads about someone, not the finder's questions to them."""
    client = logged_in(consented.users["cw_a"])
    person = consented.person.pk
    html = client.get(f"/staff/persons/{person}/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Dossier tenu par" in html
    assert "Détenu par" not in html
    assert "<dt>Situation de séjour</dt><dd>réfugié(e) reconnu(e)</dd>" in html
    assert "<dt>Validité du titre de séjour</dt><dd>60 mois</dd>" in html
    # Every heading of the file starts as the others do ("Date de naissance", not
    # "nationalité" beside it).
    headings = re.findall(r"<dt>([^<]+)</dt>", html)
    assert headings
    assert all(heading[0] == heading[0].upper() for heading in headings), headings
    assert "Peut travailler." in html
    for public in ("Vous pouvez", "votre situation", "J&#x27;ai le statut", "Pas pour vous"):
        assert public not in html, public
    form = client.get(f"/staff/persons/{person}/edit/", HTTP_ACCEPT_LANGUAGE="en")
    text = form.content.decode()
    assert ">Residence status<" in text
    assert "Validity of the residence permit, in months" in text
    for question in ("What is your situation?", "Your birth date", "Where do you live?", "I am a"):
        assert question not in text, question


def test_refusing_rules_are_told_in_the_readers_words(consented: Network) -> None:
    """The sender who refers someone the rules refuse reads why in words, not "age: 31"."""
    too_late = dt.date(2034, 1, 1)  # 31 years old: Duo's mentoring is for 18 to 30
    with translation.override("fr"), pytest.raises(PersonDataError) as error:
        draft(consented, planned_start=too_late)
    message = error.value.errors["ineligibility_reason"]
    assert message.startswith("selon les règles, la personne n'est pas éligible"), message
    assert "(de 18 à 30 ans\u00a0: non (âge\u00a0: 31))" in message, message
