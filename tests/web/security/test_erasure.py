"""Erasure leaves nothing (issue 15, item 2).

One person touches every table that can hold something of them: the file with its
assessment and versions, consents, a disclosure under an override with a reason, referrals
with a note, rules' reasons and a rejection text, their events, webhook deliveries and
e-mails, a matching proposal with its explanation, linkage encodings with participations
and a review decision. After the erasure (and, in the second test, the retention purge)
every text, char and JSON column of every model Django knows (found by introspection, so a
new model is scanned without editing this test) is searched for the person's names, birth
date in several formats, dates derived from it, phone, e-mail and free-text markers: no
hit. The rows that counts need stay, anonymised. Synthetic data only.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

import pytest
from django.apps import apps
from django.core import mail
from django.db import models
from django.test import Client
from tests.support.accounts import actor_of, logged_in
from tests.support.matching import (
    ROUND_DAY,
    Setting,
    setting,  # noqa: F401
)
from tests.support.people import synthetic_file
from tests.support.referrals import make_programme

from passerelle.web.apps.accounts.models import ApiToken
from passerelle.web.apps.beneficiaries.models import EncodedRecord, EncodingBatch, ReviewDecision
from passerelle.web.apps.beneficiaries.services import encodings_from_person_files
from passerelle.web.apps.matching.models import Proposal
from passerelle.web.apps.matching.services import round_start
from passerelle.web.apps.people.models import Disclosure, Person
from passerelle.web.apps.people.services import (
    consent_record,
    person_close,
    person_create,
    person_disclose,
    person_erase,
    persons_purge,
)
from passerelle.web.apps.referrals.models import Referral, ReferralEvent, Webhook, WebhookDelivery
from passerelle.web.apps.referrals.services import referral_create, referral_transition

pytestmark = pytest.mark.django_db

GIVEN, FAMILY = "Zerihunqa", "Wubetqo"
GIVEN_SCRIPT = "ዘሪሁን"
BIRTH = dt.date(1997, 11, 29)
PHONE = "+32 470 98 76 54"
EMAIL = "zerihunqa.wubetqo@example.org"
MARKERS = {
    "note": "NOTEMARK pregnant",
    "override": "OVERRIDEMARK hospitalised at the psychiatry ward",
    "reason": "REASONMARK refer all the same",
    "rejection": "REJECTMARK moved to Liège",
    "wishes": "WISHMARK wants to drive trams",
    "notes": "SOCIALMARK debts with the landlord",
    "experience": "JOBMARK tiler in Asmara",
}


def needles() -> list[str]:
    """What must be found nowhere after the erasure: names, the birth date in the forms a
    text may write it, the month and day every date derived from it shares (an age limit
    reached on 2027-11-29), the phone with and without spaces, the e-mail, the markers."""
    day, month, year = f"{BIRTH.day:02d}", f"{BIRTH.month:02d}", str(BIRTH.year)
    return [
        GIVEN,
        FAMILY,
        GIVEN_SCRIPT,
        BIRTH.isoformat(),
        f"{day}/{month}/{year}",
        f"{day}.{month}.{year}",
        f"{day}-{month}-{year}",
        f"{month}/{day}/{year}",
        f"{year}{month}{day}",
        f"-{month}-{day}",
        PHONE,
        PHONE.replace(" ", ""),
        "98 76 54",
        EMAIL,
        *(marker.split()[0] for marker in MARKERS.values()),
    ]


TEXT_FIELDS = (models.CharField, models.TextField, models.JSONField)


def hits() -> list[str]:
    """Every (model.column: needle) found in any text, char or JSON column of any model."""
    found = []
    wanted = [needle.casefold() for needle in needles()]
    for model in apps.get_models():
        columns = [
            field.attname for field in model._meta.concrete_fields if isinstance(field, TEXT_FIELDS)
        ]
        if not columns:
            continue
        for row in model._default_manager.values_list(*columns):
            for column, value in zip(columns, row, strict=True):
                if value in (None, "", {}, []):
                    continue
                text = value if isinstance(value, str) else json.dumps(value, default=str)
                text = text.casefold()
                found.extend(
                    f"{model._meta.label}.{column}: {needle}" for needle in wanted if needle in text
                )
    return found


def mail_hits() -> list[str]:
    wanted = [needle.casefold() for needle in needles()]
    return [
        f"e-mail {message.subject!r}: {needle}"
        for message in mail.outbox
        for needle in wanted
        if needle in f"{message.subject}\n{message.body}".casefold()
    ]


@dataclass
class Touched:
    person: Person
    referral: Referral
    own_referral: Referral
    rejected: Referral
    reader_key: str


def touch_every_table(setting: Setting, on_commit: Any) -> Touched:  # noqa: F811
    """The person held by a (CPAS), referred to b (Duo) with a note and under consent,
    shown to c under an override, rejected by c, referred to a's own programme and accepted
    (a participation), proposed in b's matching round, encoded for linkage by a."""
    a, b, c = (setting.organisations[key] for key in "abc")
    co_a = actor_of(setting.users["co_a"])
    data = synthetic_file(
        given=GIVEN_SCRIPT,
        family=FAMILY,
        given_names_latin=GIVEN,
        birth_date=BIRTH.isoformat(),
        phone=PHONE,
        email=EMAIL,
    )
    data["profile"]["migration_background"] = True
    data["assessment"]["wishes"] = MARKERS["wishes"]
    data["assessment"]["notes"] = MARKERS["notes"]
    data["assessment"]["experience"][0]["description"] = MARKERS["experience"]
    person = person_create(actor=co_a, data=data)
    for recipient, fields in ((b, ["identity", "birth_date", "contact", "profile"]),):
        consent_record(
            actor=co_a,
            person_id=person.pk,
            purpose="referral",
            recipient=recipient,
            fields=fields,
            given_on=dt.date(2026, 6, 1),
        )
    consent_record(
        actor=co_a,
        person_id=person.pk,
        purpose="matching",
        fields=["birth_date", "profile", "education", "experience"],
        given_on=dt.date(2026, 6, 1),
    )
    person_disclose(
        actor=co_a,
        person_id=person.pk,
        recipient=c,
        fields=["identity", "social_needs"],
        override_reason=MARKERS["override"],
    )
    for organisation in (a, b, c):
        Webhook.objects.create(
            organisation=organisation, url="https://hooks.example.org/in", secret="s" * 32
        )
    for user in setting.users.values():
        user.email = f"{user.username}@example.org"
        user.save()

    # Matching first: a sent referral to the programme would leave the person out of it.
    matching_round = round_start(
        actor=setting.actor("co_b"), programme=setting.mentoring, kind="mentoring", on=ROUND_DAY
    )
    assert matching_round.proposals.filter(person=person).exists()

    referral = referral_create(
        actor=co_a,
        person_id=person.pk,
        programme=setting.mentoring,
        planned_start=ROUND_DAY,
        fields=["identity", "birth_date", "contact", "profile"],
        note=f"{MARKERS['note']}; call {GIVEN} on {PHONE}",
    )
    with on_commit(execute=True):  # the e-mails leave after the commit
        referral_transition(actor=co_a, referral_id=referral.pk, action="send")

    elsewhere = make_programme(
        c, "bapa-bxl-orientation", eligibility={"field": "age", "between": [40, 65]}
    )
    rejected = referral_create(
        actor=co_a,
        person_id=person.pk,
        programme=elsewhere,
        planned_start=ROUND_DAY,
        fields=[],
        ineligibility_reason=MARKERS["reason"],
    )
    referral_transition(actor=co_a, referral_id=rejected.pk, action="send")
    referral_transition(
        actor=actor_of(setting.users["cw_c"]),
        referral_id=rejected.pk,
        action="reject",
        reason="other",
        text=MARKERS["rejection"],
    )

    job_club = make_programme(a, "cpas-anderlecht-job-club")
    own_referral = referral_create(
        actor=co_a, person_id=person.pk, programme=job_club, planned_start=ROUND_DAY, fields=[]
    )
    referral_transition(actor=co_a, referral_id=own_referral.pk, action="send")
    # An organisation sends and receives its own referral: the sender's side moves it, so
    # the place is written directly (a participation is what the encodings need).
    Referral.objects.filter(pk=own_referral.pk).update(state="accepted")
    batch = encodings_from_person_files(actor=co_a, key=bytes(range(32)))
    assert EncodedRecord.objects.filter(batch=batch, record_id=str(person.pk)).exists()
    ReviewDecision.objects.create(
        organisation_a=a,
        record_id_a=str(person.pk),
        organisation_b=b,
        record_id_b="duo-0001",
        decision="match",
    )
    _, reader_key = ApiToken.issue(organisation=b, name="duo-crm", scopes=["referrals:read"])

    # The scan sees all of it before the erasure: otherwise it would prove nothing.
    before = "\n".join(hits())
    for needle in (GIVEN, FAMILY, BIRTH.isoformat(), PHONE, EMAIL, *MARKERS.values()):
        assert needle.split()[0].casefold() in before.casefold(), needle
    assert "referrals.Referral.eligibility" in before  # the rules' reasons name dates
    assert "people.Disclosure.override_reason" in before
    assert (
        "matching.Proposal.explanation" in before
        or Proposal.objects.filter(person=person).exclude(explanation=[]).exists()
    )
    assert WebhookDelivery.objects.filter(event__referral=referral).exists()
    assert mail.outbox
    return Touched(person, referral, own_referral, rejected, reader_key)


def assert_nothing_left(touched: Touched, setting: Setting) -> None:  # noqa: F811
    person = touched.person
    assert hits() == []
    assert mail_hits() == []
    # The rows counts need stay, anonymised.
    person.refresh_from_db()
    assert person.status == "anonymised"
    for referral in (touched.referral, touched.own_referral, touched.rejected):
        referral.refresh_from_db()
        assert referral.note == referral.ineligibility_reason == referral.rejection_text == ""
        assert referral.eligibility["reasons"] == []
        assert referral.eligibility["from"] is None
    assert touched.referral.state == "sent"
    assert touched.own_referral.state == "accepted"
    assert touched.rejected.rejection_reason == "other"
    assert ReferralEvent.objects.filter(referral=touched.referral).count() == 2
    proposals = Proposal.objects.filter(person=person)
    assert proposals.exists()
    assert all(p.explanation == [] and p.terms == {} and p.problem == "" for p in proposals)
    assert Disclosure.objects.filter(person=person, ended_at__isnull=True).count() == 0
    # Encodings are keyed hashes: no needle finds them, so they are checked by record id.
    assert not EncodedRecord.objects.filter(record_id=str(person.pk)).exists()
    assert not ReviewDecision.objects.filter(record_id_a=str(person.pk)).exists()
    batch = EncodingBatch.objects.get(organisation=setting.organisations["a"])
    assert batch.records == EncodedRecord.objects.filter(batch=batch).count()
    # The receiving organisation reads nothing through the API or its pages.
    headers = {"HTTP_AUTHORIZATION": f"Bearer {touched.reader_key}"}
    answer = Client().get(f"/api/v1/referrals/{touched.referral.pk}", **headers)
    assert answer.status_code == 200
    body = answer.content.decode().casefold()
    assert not [needle for needle in needles() if needle.casefold() in body]
    assert answer.json()["note"] == ""
    client = logged_in(setting.users["co_b"])
    page = client.get(f"/staff/referrals/{touched.referral.pk}/")
    assert page.status_code == 200
    text = page.content.decode().casefold()
    assert not [needle for needle in needles() if needle.casefold() in text]
    reader = client.get(f"/staff/persons/{person.pk}/")
    assert reader.status_code == 404


def test_erasure_leaves_nothing_anywhere(
    setting: Setting,  # noqa: F811
    django_capture_on_commit_callbacks: Any,
) -> None:
    touched = touch_every_table(setting, django_capture_on_commit_callbacks)
    person_erase(actor=actor_of(setting.users["co_a"]), person_id=touched.person.pk)
    assert_nothing_left(touched, setting)


def test_the_retention_purge_leaves_nothing_anywhere(
    setting: Setting,  # noqa: F811
    django_capture_on_commit_callbacks: Any,
) -> None:
    touched = touch_every_table(setting, django_capture_on_commit_callbacks)
    person_close(
        actor=actor_of(setting.users["co_a"]), person_id=touched.person.pk, on=dt.date(2020, 1, 1)
    )
    report = persons_purge(on=dt.date(2026, 12, 7), retention_days=365, apply=True)
    assert report.anonymised >= 1
    assert_nothing_left(touched, setting)


def test_the_scan_finds_a_personal_value_left_in_any_column(
    setting: Setting,  # noqa: F811
    django_capture_on_commit_callbacks: Any,
) -> None:
    """The scan itself: a value left behind in a column of a model it was not told about is
    found (so the zero above means something)."""
    touched = touch_every_table(setting, django_capture_on_commit_callbacks)
    person_erase(actor=actor_of(setting.users["co_a"]), person_id=touched.person.pk)
    Webhook.objects.filter(organisation=setting.organisations["b"]).update(
        url=f"https://hooks.example.org/{GIVEN}"
    )
    assert hits() == [f"referrals.Webhook.url: {GIVEN.casefold()}"]
