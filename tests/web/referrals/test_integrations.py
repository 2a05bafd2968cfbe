"""The integrations page: an organisation administrator issues and revokes API tokens and
registers webhooks; keys and secrets are shown once; every change is audited; nobody else
gets in. Synthetic accounts only."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from tests.support.accounts import logged_in

from passerelle.web.apps.accounts.models import ApiToken
from passerelle.web.apps.audit.models import Action, AuditEntry
from passerelle.web.apps.directory.models import Organisation
from passerelle.web.apps.referrals.models import Webhook
from passerelle.web.apps.referrals.webhooks import WebhookRequestError, webhook_register

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("in_english")]
PAGE = "/staff/integrations/"


def _shown_once(html: str) -> str:
    found = re.search(r'<code dir="ltr" class="secret">([^<]+)</code>', html)
    assert found is not None, "the key is not on the page"
    return found.group(1)


def test_a_token_made_on_the_page_opens_the_api_once_and_revoking_closes_it(
    make_user: Callable[..., User], organisations: dict[str, Organisation]
) -> None:
    admin = logged_in(make_user("admin_a", "org_admin", "a"))
    response = admin.post(
        PAGE,
        {"action": "token-issue", "token-name": "case system", "token-scopes": ["persons:read"]},
    )
    assert response.status_code == 200
    key = _shown_once(response.content.decode())
    token = ApiToken.objects.get(organisation=organisations["a"], name="case system")
    assert token.scopes == ["persons:read"]
    assert token.key_hash != key
    assert key not in admin.get(PAGE).content.decode()  # shown once only

    api = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    assert admin.get("/api/v1/persons", **api).status_code == 200
    admin.post(PAGE, {"action": "token-revoke", "id": str(token.pk)})
    assert admin.get("/api/v1/persons", **api).status_code == 401

    changes = AuditEntry.objects.filter(action=Action.INTEGRATION_CHANGE, object_id=str(token.pk))
    assert sorted(entry.detail["change"] for entry in changes) == ["issued", "revoked"]
    assert all(key not in str(entry.detail) for entry in changes)


def test_a_token_request_without_scope_names_the_field_and_makes_nothing(
    make_user: Callable[..., User],
) -> None:
    admin = logged_in(make_user("admin_a", "org_admin", "a"))
    response = admin.post(PAGE, {"action": "token-issue", "token-name": "case system"})
    assert response.status_code == 200
    assert 'id="id_token-scopes_error"' in response.content.decode()
    assert not ApiToken.objects.exists()


def test_a_webhook_is_registered_paused_and_resumed_with_its_secret_shown_once(
    make_user: Callable[..., User], organisations: dict[str, Organisation]
) -> None:
    admin = logged_in(make_user("admin_a", "org_admin", "a"))
    response = admin.post(
        PAGE, {"action": "webhook-register", "webhook-url": "https://cases.example.org/hook"}
    )
    secret = _shown_once(response.content.decode())
    webhook = Webhook.objects.get(organisation=organisations["a"])
    assert webhook.secret == secret
    assert webhook.active
    admin.post(PAGE, {"action": "webhook-pause", "id": str(webhook.pk)})
    webhook.refresh_from_db()
    assert not webhook.active
    admin.post(PAGE, {"action": "webhook-resume", "id": str(webhook.pk)})
    webhook.refresh_from_db()
    assert webhook.active
    changes = AuditEntry.objects.filter(
        action=Action.INTEGRATION_CHANGE, object_id=str(webhook.pk)
    ).values_list("detail__change", flat=True)
    assert sorted(changes) == ["paused", "registered", "resumed"]


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("http://cases.example.org/hook", "https"),
        ("ftp://cases.example.org/hook", "https"),
        ("https://user:pw@cases.example.org/hook", "password"),
        ("not an address", "https"),
    ],
)
def test_a_bad_webhook_address_is_refused_naming_the_field(
    organisations: dict[str, Organisation], url: str, problem: str
) -> None:
    with pytest.raises(WebhookRequestError) as refused:
        webhook_register(organisation=organisations["a"], url=url)
    assert set(refused.value.errors) == {"url"}
    assert problem in refused.value.errors["url"]
    assert not Webhook.objects.exists()


def test_plain_http_to_localhost_only_under_the_development_setting(
    organisations: dict[str, Organisation], settings: Any
) -> None:
    with pytest.raises(WebhookRequestError):
        webhook_register(organisation=organisations["a"], url="http://127.0.0.1:9000/hook")
    settings.OUTBOUND_ALLOW_LOCAL = True
    webhook, secret = webhook_register(
        organisation=organisations["a"], url="http://127.0.0.1:9000/hook"
    )
    assert webhook.active
    assert len(secret) >= 40
    with pytest.raises(WebhookRequestError):
        webhook_register(organisation=organisations["a"], url="http://127.0.0.1:9000/hook")


@pytest.mark.parametrize("role", ["caseworker", "coordinator"])
def test_only_the_organisation_administrator_may_open_the_page(
    make_user: Callable[..., User], role: str
) -> None:
    client = logged_in(make_user(f"{role}_a", role, "a"))
    assert client.get(PAGE).status_code == 403
    assert (
        client.post(
            PAGE, {"action": "webhook-register", "webhook-url": "https://x.org"}
        ).status_code
        == 403
    )
    assert not Webhook.objects.exists()


def test_an_administrator_cannot_touch_another_organisations_token(
    make_user: Callable[..., User], organisations: dict[str, Organisation]
) -> None:
    other, _key = ApiToken.issue(
        organisation=organisations["b"], name="theirs", scopes=["persons:read"]
    )
    admin = logged_in(make_user("admin_a", "org_admin", "a"))
    assert admin.post(PAGE, {"action": "token-revoke", "id": str(other.pk)}).status_code == 404
    assert admin.post(PAGE, {"action": "token-revoke", "id": "not-a-uuid"}).status_code == 404
    other.refresh_from_db()
    assert other.revoked_at is None
    assert "theirs" not in admin.get(PAGE).content.decode()


def test_the_page_is_the_accounts_apps_and_its_old_address_still_leads_there(
    make_user: Callable[..., User], organisations: dict[str, Organisation]
) -> None:
    admin = logged_in(make_user("admin_a", "org_admin", "a"))
    moved = admin.get("/staff/referrals/integrations/")
    assert moved.status_code == 301
    assert moved["Location"] == PAGE
    page = admin.get(PAGE)
    assert page.status_code == 200
    assert page.resolver_match.view_name == "accounts:integrations"
    html = page.content.decode()
    # The tokens are the accounts app's; the webhooks come from the referrals app's section.
    assert html.index('value="token-issue"') < html.index('value="webhook-register"')
    assert "Latest deliveries" in html
