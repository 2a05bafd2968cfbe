"""No code or slug reaches a caseworker, a coordinator or an employer (issue 18, item 2):
the staff pages of person files, referrals and matching, their e-mails and CSV headers,
rendered in French, Dutch, English and Arabic over demo-like synthetic records, are read
as a browser shows them and searched for every code the models and the knowledge base
know. The codes are collected from the model choices and the knowledge base, so that a
new status or organisation is covered without changing this test."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.db import models
from django.test import Client
from django.utils import timezone, translation
from tests.support.accounts import PASSWORD, actor_of, logged_in

from passerelle.knowledge.loader import load_knowledge
from passerelle.web.apps.accounts.audit_log import CSV_COLUMNS
from passerelle.web.apps.accounts.models import Membership, Role
from passerelle.web.apps.directory.models import Organisation, Programme
from passerelle.web.apps.directory.services import knowledge_load
from passerelle.web.apps.matching import models as matching_models
from passerelle.web.apps.matching.demo import demo_matching
from passerelle.web.apps.matching.services import round_start
from passerelle.web.apps.people import models as people_models
from passerelle.web.apps.people.services import consent_record, person_create
from passerelle.web.apps.referrals import models as referral_models
from passerelle.web.apps.referrals.services import referral_create, referral_transition
from passerelle.web.common.labels import LEGAL_STATUS_LABELS, PROFILE_FIELD_LABELS

LANGUAGES = ("fr", "nl", "en", "ar")


VOID_ELEMENTS = frozenset(
    ("area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr")
)


class _VisibleText(HTMLParser):
    """The text a browser shows in the page's language: no markup, scripts, styles or
    attribute values, except the attributes a reader meets (titles, labels, alternative
    texts, placeholders). Left out: content marked as another language (an English
    programme name on an Arabic page is content, not a code) and blocks marked
    `translate="no"` (the machine-readable copy of an export)."""

    SHOWN_ATTRIBUTES = ("title", "aria-label", "alt", "placeholder")

    def __init__(self, language: str) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.language = language
        self._open: list[bool] = []  # per open element: does it hide its content?

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        lang = (found.get("lang") or "").lower()
        hides = (
            tag in ("script", "style", "template")
            or found.get("translate") == "no"
            or (bool(lang) and tag != "html" and not lang.startswith(self.language))
        )
        if not any(self._open):
            for name in self.SHOWN_ATTRIBUTES:
                if found.get(name):
                    self.parts.append(f" {found[name]} ")
        if tag not in VOID_ELEMENTS:
            self._open.append(hides)

    def handle_endtag(self, tag: str) -> None:
        if tag not in VOID_ELEMENTS and self._open:
            self._open.pop()
        self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not any(self._open):
            self.parts.append(data)


def visible_text(html: str, language: str = "fr") -> str:
    parser = _VisibleText(language)
    parser.feed(html)
    return " ".join("".join(parser.parts).split())


def _choice_codes() -> set[str]:
    codes: set[str] = set()
    for module in (people_models, referral_models, matching_models):
        for value in vars(module).values():
            # CEFR levels ("B2") are what a reader expects to see, not codes.
            if (
                isinstance(value, type)
                and issubclass(value, models.TextChoices)
                and value is not matching_models.Cefr
            ):
                codes.update(str(code) for code in value.values if code)
    codes.update(str(role) for role in Role.values)
    return codes


def known_codes() -> set[str]:
    """Every code a staff page could leak: model choices, legal statuses, the profile's
    field names, and the knowledge base's organisation and programme ids."""
    knowledge = load_knowledge()
    return (
        _choice_codes()
        | set(LEGAL_STATUS_LABELS)
        | set(PROFILE_FIELD_LABELS)
        | set(knowledge.organisations)
        | set(knowledge.programmes)
    )


def leaked(text: str, codes: set[str], language: str) -> list[str]:
    """The codes found in `text` as whole words. A code that is also a word of the page's
    language ("open" and "active" in English, "sent" nowhere but English) is searched for
    only where it cannot be a word: in the other languages, or when it has an underscore,
    a hyphen or a colon (a snake_case code, a slug, "nl:C2")."""
    found = []
    for code in sorted(codes):
        if language == "en" and re.fullmatch(r"[a-z]+", code):
            continue
        # Not inside a longer word, slug or user name ("employer.demo" is an account).
        if re.search(rf"(?<![\w.-])(?<!\w:){re.escape(code)}(?![\w-]|[:.]\w)", text):
            found.append(code)
    # A language level written as a code: "nl:C2", "fr:B1".
    found += re.findall(r"\b[a-z]{2}:[ABC][12]\b", text)
    return found


WORDS_OF_LANGUAGES = {
    # Codes that are ordinary words of that language.
    "fr": {"active", "international", "contact"},
    "nl": {"international", "open", "matching", "contact"},
    # English words of programme names the knowledge base has in no Arabic ("Be.Face
    # mentoring and sponsorship"), shown in a form's options, which carry no language mark.
    "ar": {"mentoring", "internship"},
}


@pytest.fixture
def staff_world(db: None, settings: Any, django_capture_on_commit_callbacks: Any) -> dict[str, Any]:
    """The demo's matching records (mentors, an employer, a host and synthetic candidates),
    a CPAS caseworker with a full file referred to Duo for a Job and taken through to its
    outcome, a round of mentoring proposals, and every account's client."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    knowledge_load(knowledge=load_knowledge())
    today = timezone.localdate()
    made = demo_matching(today=today, password="synthetic-only-2026", seed=7)
    organisations = {o.slug: o for o in Organisation.objects.all()}
    users = {}
    for name, slug, role in (
        ("cpas", "cpas-anderlecht", Role.CASEWORKER),
        ("cpas-admin", "cpas-anderlecht", Role.ORG_ADMIN),
        ("duo", "duo-for-a-job", Role.CASEWORKER),
    ):
        user = User.objects.create_user(
            username=f"{name}-staff", email=f"{name}@example.org", password=PASSWORD
        )
        Membership.objects.create(user=user, organisation=organisations[slug], role=role)
        users[name] = user
    users["employer"] = User.objects.get(username="employer.demo")
    users["host"] = User.objects.get(username="host.demo")
    cpas = actor_of(users["cpas"])
    person = person_create(
        actor=cpas,
        data={
            "given_names": "Selam",
            "family_name": "Haile",
            "given_names_latin": "Selam",
            "family_name_latin": "Haile",
            "birth_date": (today - dt.timedelta(days=365 * 24)).isoformat(),
            "language": "fr",
            "profile": {
                "nationality": "ER",
                "legal_status": "refugee",
                "asylum_application_date": "2023-02-01",
                "asylum_decision_date": "2024-01-15",
                "residence_permit_months": 60,
                "arrival_in_belgium": "2023-01-20",
                "municipality": "Anderlecht",
                "languages": {"ti": "C2", "fr": "B1", "nl": "A2"},
                "education_isced": 3,
                "migration_background": True,
            },
            "assessment": {
                "literacy": "functional",
                "diplomas": [{"title": "Secondary school", "country": "ER", "isced": 3}],
                "experience": [{"isco": "7112", "years": 4}],
                "wished_occupations": ["7411"],
                "social_needs": ["housing", "transport"],
            },
        },
    )
    programme = Programme.objects.get(slug="duo-for-a-job-mentoring")
    fields = ["identity", "contact", "profile"]
    consent_record(
        actor=cpas,
        person_id=person.pk,
        purpose="referral",
        recipient=programme.organisation,
        fields=fields,
        given_on=today,
    )
    consent_record(
        actor=cpas,
        person_id=person.pk,
        purpose="matching",
        fields=["birth_date", "profile", "education", "experience"],
        given_on=today,
    )
    referrals = []
    for steps in (("send",), ("send", "accept", "start", "complete")):
        with translation.override("fr"):
            referral = referral_create(
                actor=cpas,
                person_id=person.pk,
                programme=programme,
                planned_start=today + dt.timedelta(days=20),
                fields=fields,
            )
        for step in steps:
            who = cpas if step == "send" else actor_of(users["duo"])
            # The e-mails leave once the transaction commits: run those callbacks here.
            with django_capture_on_commit_callbacks(execute=True):
                referral_transition(
                    actor=who,
                    referral_id=referral.pk,
                    action=step,
                    outcome="job_found" if step == "complete" else "",
                )
        referrals.append(referral)
    duo_coordinator = User.objects.create_user(username="duo-coordinator", password=PASSWORD)
    Membership.objects.create(
        user=duo_coordinator, organisation=programme.organisation, role=Role.COORDINATOR
    )
    matching_round = round_start(actor=actor_of(duo_coordinator), programme=programme, on=today)
    clients = {}
    for name, user in users.items():
        client = Client()
        client.force_login(user)
        clients[name] = client
    # Coordinators and administrators log in with the second factor, through the real login page.
    clients["duo-coordinator"] = logged_in(duo_coordinator)
    clients["cpas-admin"] = logged_in(users["cpas-admin"])
    return {
        "made": made,
        "person": person,
        "referrals": referrals,
        "round": matching_round,
        "clients": clients,
    }


def _pages(world: dict[str, Any]) -> Iterator[tuple[str, str]]:
    person = world["person"].pk
    sent, completed = (referral.pk for referral in world["referrals"])
    yield "cpas", "/staff/persons/"
    yield "cpas", f"/staff/persons/{person}/"
    yield "cpas", f"/staff/persons/{person}/export/"
    yield "cpas", f"/staff/persons/{person}/edit/"
    yield "cpas", f"/staff/referrals/new/{person}/"
    yield "cpas", "/staff/referrals/outbox/"
    yield "cpas", f"/staff/referrals/{sent}/"
    yield "cpas", f"/staff/referrals/{completed}/"
    yield "duo", "/staff/referrals/inbox/"
    yield "duo", f"/staff/referrals/{sent}/"
    yield "duo", f"/staff/referrals/{completed}/"
    yield "duo", "/staff/persons/"
    yield "duo", f"/staff/persons/{person}/"
    yield "duo", "/staff/matching/"
    yield "duo-coordinator", f"/staff/matching/rounds/{world['round'].pk}/"
    yield "employer", "/staff/matching/"
    yield "employer", "/staff/matching/gaps/"
    yield "host", "/staff/matching/"
    yield "host", "/staff/matching/gaps/"


def _in_context(text: str, codes: list[str]) -> list[str]:
    """Each code with the words around its first occurrence, to find where it leaked."""
    shown = []
    for code in codes:
        at = text.find(code)
        shown.append(f"{code} in «{text[max(0, at - 40) : at + len(code) + 40]}»")
    return shown


def test_staff_pages_e_mails_and_csv_headers_show_no_code(staff_world: dict[str, Any]) -> None:
    codes = known_codes()
    problems = []
    for language in LANGUAGES:
        allowed = WORDS_OF_LANGUAGES.get(language, set())
        for who, url in _pages(staff_world):
            client = staff_world["clients"][who]
            response = client.get(url, HTTP_ACCEPT_LANGUAGE=language)
            assert response.status_code == 200, (who, url, response.status_code)
            assert response["Content-Language"] == language, url
            text = visible_text(response.content.decode(), language)
            found = [code for code in leaked(text, codes, language) if code not in allowed]
            if found:
                problems.append(f"{language} {who} {url}: {_in_context(text, found)}")
        response = staff_world["clients"]["cpas-admin"].get(
            "/staff/audit/audit.csv", HTTP_ACCEPT_LANGUAGE=language
        )
        header = next(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
        found = [cell for cell in header if cell in CSV_COLUMNS or leaked(cell, codes, language)]
        if found:
            problems.append(f"{language} audit CSV header: {found}")
    for message in mail.outbox:
        found = leaked(f"{message.subject} {message.body}", codes, "en")
        if found:
            problems.append(f"e-mail {message.subject!r}: {found}")
    assert not problems, "\n".join(problems)
    assert mail.outbox, "the referral's steps sent no e-mail to read"


def test_the_search_for_codes_finds_a_leaked_code() -> None:
    """The search itself: a slug, a state and a language level are found; words are not."""
    codes = {"cpas-anderlecht", "in_progress", "draft", "open"}
    text = visible_text(
        "<p>Dossier tenu par cpas-anderlecht · <b>in_progress</b> · nl:C2 · ouvert</p>"
        "<script>var s = 'draft';</script><p title='draft'>x</p>"
    )
    assert leaked(text, codes, "fr") == ["cpas-anderlecht", "draft", "in_progress", "nl:C2"]
    assert leaked("The file is open.", codes, "en") == []
    assert leaked("in_progress: since Monday; the user draft.writer", codes, "fr") == [
        "in_progress"
    ]
