"""A caseworker's work on a file: record, assess, consent, share, see rights and options,
export and erase; every step versioned and in the audit log."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from tests.support.accounts import actor_of, logged_in
from tests.support.people import synthetic_file

from passerelle.web.apps.audit.models import AuditEntry
from passerelle.web.apps.people.models import Consent, Disclosure, Person, PersonVersion
from passerelle.web.apps.people.schemas import PersonDataError, person_data_from
from passerelle.web.apps.people.services import (
    ConcurrentEditError,
    ConsentRequiredError,
    person_disclose,
    person_update,
    persons_purge,
)
from passerelle.web.common.actors import OperationDeniedError

NEW_FILE = {
    "given_names": "فاطمة",
    "family_name": "الحسن",
    "given_names_latin": "Fatima",
    "family_name_latin": "Al-Hassan",
    "birth_date": "1996-05-02",
    "language": "ar",
    "legal_status": "asylum_seeker",
    "asylum_application_date": "2018-11-20",
    "nationality": "SY",
    "municipality": "schaerbeek",
    "language_fr": "A2",
    "language_ar": "C2",
    "literacy": "fluent",
    "diploma_1_title": "Licence en pharmacie",
    "diploma_1_country": "sy",
    "diploma_1_isced": "6",
    "diploma_1_recognition": "pending",
    "experience_1_isco": "2262",
    "experience_1_years": "3",
    "wished_occupations": "2262 3213",
    "social_needs": ["childcare", "income"],
}


@pytest.fixture
def caseworker(make_user: Callable[..., User]) -> User:
    return make_user("caseworker-a", "caseworker", "a")


def test_a_caseworker_records_a_file_and_sees_rights_and_options(caseworker: User) -> None:
    client = logged_in(caseworker)
    response = client.post("/staff/persons/new/", NEW_FILE)
    assert response.status_code == 302, response.content.decode()[:2000]
    person = Person.objects.get()
    assert response["Location"] == f"/staff/persons/{person.pk}/"
    assert person.given_names == "فاطمة"
    assert person.profile["municipality"] == "schaerbeek"
    assert person.profile["languages"] == {"fr": "A2", "ar": "C2"}
    assert person.assessment["diplomas"][0] == {
        "title": "Licence en pharmacie",
        "country": "SY",
        "isced": 6,
        "recognition": "pending",
    }
    assert person.assessment["wished_occupations"] == ["2262", "3213"]
    assert PersonVersion.objects.get(person=person).number == 1

    page = client.get(f"/staff/persons/{person.pk}/", HTTP_ACCEPT_LANGUAGE="en")
    text = page.content.decode()
    assert page.status_code == 200
    assert page["Cache-Control"] == "no-store"
    # The rules engine's answer on today's date: an asylum seeker who applied in 2018 may work.
    assert "right-to-work" in text
    assert 'class="group group-' in text
    assert "Licence en pharmacie" in text
    actions = list(AuditEntry.objects.order_by("id").values_list("action", flat=True))
    assert actions == ["login", "person_list", "person_create", "person_view"]


def test_the_form_names_each_bad_field_and_stores_nothing(caseworker: User) -> None:
    client = logged_in(caseworker)
    bad = {**NEW_FILE, "nationality": "UK", "experience_1_isco": "12a", "email": "nope"}
    response = client.post("/staff/persons/new/", bad)
    assert response.status_code == 200
    form = response.context["form"]
    assert "GB" in " ".join(form.errors["nationality"])
    assert form.errors["experience_1_isco"]
    assert form.errors["email"]
    assert not Person.objects.exists()


def test_person_data_errors_name_the_field() -> None:
    with pytest.raises(PersonDataError) as error:
        person_data_from(
            {
                "given_names": "",
                "given_names_latin": "X",
                "colour": "blue",
                "profile": {"legal_status": "tourist"},
                "assessment": {"diplomas": [{"title": "X", "recognition": "maybe"}]},
            }
        )
    errors = error.value.errors
    assert "given_names" in errors
    assert "unknown field" in errors["colour"]
    assert "refugee" in errors["profile.legal_status"]
    assert "not_requested" in errors["assessment.diplomas.0.recognition"]


def test_control_characters_are_refused_by_name() -> None:
    with pytest.raises(PersonDataError) as error:
        person_data_from(
            {
                "given_names": "A\x00",
                "given_names_latin": "A",
                "assessment": {"wishes": "cook\x07"},
            }
        )
    assert set(error.value.errors) == {"given_names", "assessment.wishes"}
    assert "control character (U+0000)" in error.value.errors["given_names"]


def test_every_change_is_versioned_with_who_and_what(
    caseworker: User, files: dict[str, Any]
) -> None:
    person = files["own"]
    actor = actor_of(caseworker)
    data = synthetic_file(given="Persona", phone="+32 470 11 22 33")
    person_update(actor=actor, person_id=person.pk, data=data, expected_version=1)
    person.refresh_from_db()
    assert person.version == 2
    latest = person.versions.first()
    assert latest is not None
    assert latest.number == 2
    assert latest.changed_by == caseworker
    assert latest.changes["phone"] == ["+32 470 00 00 00", "+32 470 11 22 33"]
    entry = AuditEntry.objects.filter(action="person_edit").get()
    assert entry.detail == {"fields": ["phone"]}  # names of fields, never their values


def test_concurrent_edits_cannot_overwrite_each_other(
    caseworker: User, files: dict[str, Any]
) -> None:
    person = files["own"]
    actor = actor_of(caseworker)
    first = synthetic_file(given="Persona", phone="+32 470 99 99 99")
    person_update(actor=actor, person_id=person.pk, data=first, expected_version=1)
    with pytest.raises(ConcurrentEditError) as error:
        person_update(
            actor=actor, person_id=person.pk, data=synthetic_file(given="Other"), expected_version=1
        )
    assert error.value.current_version == 2
    person.refresh_from_db()
    assert person.phone == "+32 470 99 99 99"

    client = logged_in(caseworker)
    stale = client.get(f"/staff/persons/{person.pk}/edit/").context["form"].initial
    stale_post = {k: v if isinstance(v, list) else str(v or "") for k, v in stale.items()}
    person_update(
        actor=actor, person_id=person.pk, data=synthetic_file(given="Third"), expected_version=2
    )
    response = client.post(f"/staff/persons/{person.pk}/edit/", stale_post)
    assert response.status_code == 409
    assert "version 3" in response.content.decode()


def test_disclosure_needs_consent_or_a_coordinators_written_override(
    make_user: Callable[..., User], files: dict[str, Any], organisations: dict[str, Any]
) -> None:
    person = files["own"]
    caseworker = make_user("cw", "caseworker", "a")
    coordinator = make_user("co", "coordinator", "a")
    with pytest.raises(ConsentRequiredError):
        person_disclose(
            actor=actor_of(caseworker),
            person_id=person.pk,
            recipient=organisations["c"],
            fields=["identity"],
        )
    with pytest.raises(OperationDeniedError):
        person_disclose(
            actor=actor_of(caseworker),
            person_id=person.pk,
            recipient=organisations["c"],
            fields=["identity"],
            override_reason="urgent housing",
        )
    assert not Disclosure.objects.filter(person=person).exists()
    person_disclose(
        actor=actor_of(coordinator),
        person_id=person.pk,
        recipient=organisations["c"],
        fields=["identity"],
        override_reason="The person is in hospital and cannot sign; urgent housing.",
    )
    entry = AuditEntry.objects.get(action="consent_override")
    assert entry.flagged
    assert entry.detail["recipient"] == "bapa-bxl"


def test_withdrawing_consent_ends_the_sharing(
    make_user: Callable[..., User], files: dict[str, Any]
) -> None:
    person = files["disclosed"]  # held by B, shared with A under consent
    reader = logged_in(make_user("reader", "caseworker", "a"))
    assert reader.get(f"/staff/persons/{person.pk}/").status_code == 200
    consent = Consent.objects.get(person=person)
    holder = logged_in(files["writers"]["b"])
    response = holder.post(f"/staff/persons/{person.pk}/consents/{consent.pk}/withdraw/")
    assert response.status_code == 302
    assert reader.get(f"/staff/persons/{person.pk}/").status_code == 404


def test_a_disclosed_file_shows_only_the_shared_fields(
    make_user: Callable[..., User], files: dict[str, Any]
) -> None:
    person = files["disclosed"]  # identity and profile shared, nothing else
    page = logged_in(make_user("reader", "caseworker", "a")).get(f"/staff/persons/{person.pk}/")
    text = page.content.decode()
    assert "Personb" in text
    assert "+32 470" not in text  # contact not shared
    assert "bricklayer" not in text
    assert "Secondary school" not in text


def test_the_person_can_have_everything_exported(caseworker: User, files: dict[str, Any]) -> None:
    person = files["own"]
    client = logged_in(caseworker)
    data = json.loads(client.get(f"/staff/persons/{person.pk}/export.json").content)
    assert data["identity"]["given_names"] == "Persona"
    assert data["experience"]["experience"][0]["isco"] == "7112"
    assert data["history"][0]["version"] == 1
    person.language = "ar"
    person.save()
    page = client.get(f"/staff/persons/{person.pk}/export/")
    text = page.content.decode()
    assert 'lang="ar" dir="rtl"' in text
    # A landmark and the reader's direction (issue 22): the page stands alone, without the site's.
    assert text.count("<main>") == 1
    assert text.index("<main>") < text.index("<h1>") < text.index("</main>")
    assert AuditEntry.objects.filter(action="person_export").count() == 2


def test_erasure_removes_personal_data_and_keeps_the_anonymous_row(
    make_user: Callable[..., User], files: dict[str, Any]
) -> None:
    person = files["own"]
    client = logged_in(make_user("co", "coordinator", "a"))
    assert (
        client.post(f"/staff/persons/{person.pk}/erase/", {"confirm": "erase"}).status_code == 302
    )
    person.refresh_from_db()
    assert person.status == "anonymised"
    assert person.given_names_latin == "—"
    assert person.birth_date is None
    assert person.profile == {}
    assert person.assessment == {}
    assert person.phone == ""
    assert not person.versions.exists()
    assert client.get(f"/staff/persons/{person.pk}/").status_code == 404
    assert AuditEntry.objects.filter(action="person_erase", object_id=str(person.pk)).exists()


def test_purge_is_a_dry_run_unless_applied(files: dict[str, Any]) -> None:
    old, recent = files["own"], files["other"]
    Person.objects.filter(pk=old.pk).update(status="closed", closed_on=dt.date(2019, 1, 1))
    Person.objects.filter(pk=recent.pk).update(status="closed", closed_on=dt.date(2026, 1, 1))
    dry = persons_purge(on=dt.date(2026, 6, 1), retention_days=365 * 5, apply=False)
    assert (dry.due, dry.anonymised) == (1, 0)
    assert Person.objects.get(pk=old.pk).status == "closed"
    done = persons_purge(on=dt.date(2026, 6, 1), retention_days=365 * 5, apply=True)
    assert (done.due, done.anonymised) == (1, 1)
    assert Person.objects.get(pk=old.pk).status == "anonymised"
    assert Person.objects.get(pk=recent.pk).status == "closed"
    assert AuditEntry.objects.filter(action="person_purge").count() == 1


def test_ids_are_random_uuids(files: dict[str, Any]) -> None:
    ids = [files[key].pk for key in ("own", "disclosed", "other")]
    assert len({i.version for i in ids}) == 1
    assert ids[0].version == 4


def test_the_api_replaces_the_assessment_and_keeps_the_identity(
    files: dict[str, Any], token_for: Callable[..., str]
) -> None:
    person = files["own"]
    key = token_for("a", ("persons:read", "persons:write"))
    body = {"version": person.version, "assessment": {"literacy": "basic", "wishes": "cook"}}
    response = Client().put(
        f"/api/v1/persons/{person.pk}/assessment",
        json.dumps(body),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {key}",
    )
    assert response.status_code == 200, response.content
    person.refresh_from_db()
    assert person.assessment == {"literacy": "basic", "wishes": "cook"}
    assert person.given_names == "Persona"
    assert person.birth_date == dt.date(2001, 3, 14)
    assert person.version == 2


def test_the_asylum_procedure_dates_go_into_the_profile_by_form_and_api(
    caseworker: User, token_for: Callable[..., str]
) -> None:
    procedure = {
        "asylum_application_date": "2019-03-12",
        "asylum_refusal_date": "2019-09-02",
        "appeal_lodged_date": "2019-09-20",
        "subsequent_application": "no",
    }
    client = logged_in(caseworker)
    response = client.post("/staff/persons/new/", {**NEW_FILE, **procedure})
    assert response.status_code == 302, response.content.decode()[:2000]
    person = Person.objects.get()
    assert person.profile["appeal_lodged_date"] == "2019-09-20"
    assert person.profile["subsequent_application"] is False
    edit = client.get(f"/staff/persons/{person.pk}/edit/").content.decode()
    assert 'value="2019-09-20"' in edit

    key = token_for("a", ("persons:read", "persons:write"))
    body = synthetic_file(given="Nour")
    body["profile"] = {
        "legal_status": "no_permit",
        "asylum_application_date": "2019-03-12",
        "asylum_refusal_date": "2019-09-02",
        "appeal_lodged_date": "2019-09-20",
        "appeal_refusal_date": "2019-09-01",
    }
    refused = Client().post(
        "/api/v1/persons",
        json.dumps(body),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {key}",
    )
    assert refused.status_code == 422
    assert "profile.appeal_refusal_date" in refused.content.decode()
    body["profile"]["appeal_refusal_date"] = "2020-02-14"
    created = Client().post(
        "/api/v1/persons",
        json.dumps(body),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {key}",
    )
    assert created.status_code == 201, created.content
    created_person = Person.objects.get(pk=created.json()["id"])
    assert created_person.profile["appeal_refusal_date"] == "2020-02-14"
