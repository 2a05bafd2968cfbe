"""The audit log is append-only, and an organisation's administrators can read and export it."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import DatabaseError, connection, transaction
from tests.support.accounts import logged_in

from passerelle.web.apps.audit.models import AppendOnlyError, AuditEntry
from passerelle.web.apps.audit.services import audit_record


@pytest.fixture
def entry(db: None) -> AuditEntry:
    return audit_record(action="login", actor_label="someone")


def test_entries_cannot_be_changed_or_deleted_through_the_application(entry: AuditEntry) -> None:
    entry.action = "logout"
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.filter(pk=entry.pk).update(action="logout")
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.all().delete()
    assert AuditEntry.objects.get(pk=entry.pk).action == "login"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger is PostgreSQL's")
def test_the_database_refuses_changes_even_in_raw_sql(entry: AuditEntry) -> None:
    for statement in (
        "UPDATE audit_auditentry SET action = 'logout'",
        "DELETE FROM audit_auditentry",
    ):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement)
    assert AuditEntry.objects.get(pk=entry.pk).action == "login"


def test_the_admin_offers_no_change(make_user: Callable[..., User], entry: AuditEntry) -> None:
    from django.contrib import admin

    model_admin = admin.site._registry[AuditEntry]
    assert not model_admin.has_add_permission(None)  # type: ignore[arg-type]
    assert not model_admin.has_change_permission(None)  # type: ignore[arg-type]
    assert not model_admin.has_delete_permission(None)  # type: ignore[arg-type]


def test_an_org_admin_filters_and_exports_the_log(
    make_user: Callable[..., User], files: dict[str, Any]
) -> None:
    admin_user = make_user("boss", "org_admin", "a")
    client = logged_in(admin_user)
    client.get(f"/staff/persons/{files['own'].pk}/")
    page = client.get("/staff/audit/", {"action": "person_view"})
    assert page.status_code == 200
    shown = list(page.context["page"].object_list)
    assert shown
    assert {entry.action for entry in shown} == {"person_view"}
    # B's view of its file shared with A is not A's business; A's own views are.
    assert all(
        entry.organisation_id == files["own"].organisation_id
        or entry.subject_organisation_id == files["own"].organisation_id
        for entry in shown
    )
    response = client.get(
        "/staff/audit/audit.csv", {"action": "person_view"}, HTTP_ACCEPT_LANGUAGE="nl"
    )
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    # Headed in the reader's language (issue 18); the cells stay codes for machines.
    assert rows[0][:3] == [
        "wanneer (ISO 8601, met de afwijking van UTC)",
        "actie (code)",
        "gebruiker",
    ]
    assert {row[1] for row in rows[1:]} == {"person_view"}
    assert str(files["own"].pk) in {row[4] for row in rows[1:]}
    assert AuditEntry.objects.filter(action="audit_export").count() == 1


def test_the_log_holds_no_personal_data(files: dict[str, Any]) -> None:
    text = " ".join(str(v) for v in AuditEntry.objects.values_list("detail", "actor_label"))
    assert "Persona" not in text
    assert "2001-03-14" not in text
    assert "+32" not in text
