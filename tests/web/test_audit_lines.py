"""Audit lines written through the shared helpers read the same whoever writes them: who
(a user, an API token's label, or the CLI), for which organisation, what, and codes only.
Synthetic accounts only."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from tests.support.accounts import logged_in

from passerelle.web.apps.accounts.services import api_token_issue, api_token_revoke
from passerelle.web.apps.audit.models import Action, AuditEntry
from passerelle.web.apps.directory.models import Organisation

pytestmark = pytest.mark.django_db


def test_a_token_issued_from_the_cli_and_revoked_by_a_user_is_audited_with_who_did_it(
    make_user: Callable[..., User], organisations: dict[str, Organisation]
) -> None:
    admin = make_user("admin_a", "org_admin", "a")
    token, key = api_token_issue(
        organisation=organisations["a"], name="case system", scopes=["persons:read"]
    )
    api_token_revoke(organisation=organisations["a"], token_id=token.pk, by=admin)
    issued, revoked = AuditEntry.objects.filter(
        action=Action.INTEGRATION_CHANGE, object_kind="api_token", object_id=str(token.pk)
    ).order_by("id")
    assert (issued.actor_id, issued.actor_label) == (None, "cli")
    assert issued.detail == {"change": "issued", "scopes": ["persons:read"]}
    assert (revoked.actor_id, revoked.actor_label) == (admin.pk, "admin_a")
    assert revoked.detail == {"change": "revoked"}
    for entry in (issued, revoked):
        assert entry.organisation_id == organisations["a"].pk
        assert key not in str(entry.detail)


def test_a_list_of_files_is_audited_alike_on_the_page_and_through_the_api(
    make_user: Callable[..., User],
    token_for: Callable[..., str],
    organisations: dict[str, Organisation],
) -> None:
    page = logged_in(make_user("worker_a", "caseworker", "a"))
    key = token_for("a")
    before = AuditEntry.objects.count()  # logging in may have shown the list already
    assert page.get("/staff/persons/?q=zz").status_code == 200
    assert page.get("/api/v1/persons", HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 200
    on_page, through_api = AuditEntry.objects.order_by("id")[before:]
    assert on_page.action == through_api.action == Action.PERSON_LIST
    assert on_page.actor_label == "worker_a"
    assert on_page.actor_id is not None
    assert on_page.detail == {"page": 1, "searched": True}
    assert (through_api.actor_id, through_api.actor_label) == (None, "api:system-a")
    assert through_api.detail == {"page": 1, "searched": False, "api": True}
    for entry in (on_page, through_api):
        assert entry.organisation_id == organisations["a"].pk
