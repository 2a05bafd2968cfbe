"""Logging in: password (Argon2), throttle and lock, two-factor devices; API tokens."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from passerelle.core.validation import InvalidFieldsError
from passerelle.web.apps.accounts.models import (
    EMPLOYER_KINDS,
    PERSON_DATA_SCOPES,
    PLATFORM_ROLES_WITH_TWO_FACTOR,
    ROLES_WITH_TWO_FACTOR,
    ApiScope,
    ApiToken,
    LoginThrottle,
    Membership,
    PlatformRole,
    StaffProfile,
)
from passerelle.web.apps.audit.models import Action
from passerelle.web.apps.audit.services import audit_integration_change, audit_record


@dataclass(frozen=True)
class LoginOutcome:
    user: Any = None
    locked_until: dt.datetime | None = None


def login_attempt(*, username: str, password: str, request: Any = None) -> LoginOutcome:
    """Check a password, counting failures per user name: after
    LOGIN_FAILURES_BEFORE_LOCK failures in a row the name is locked for LOGIN_LOCK_MINUTES,
    whatever the password. Every attempt is in the audit log (without the password)."""
    key = username.strip().lower()[:150]
    now = timezone.now()
    with transaction.atomic():
        throttle, _created = LoginThrottle.objects.select_for_update().get_or_create(username=key)
        if throttle.locked_until is not None and throttle.locked_until > now:
            audit_record(action=Action.LOGIN_LOCKED, actor_label=key)
            return LoginOutcome(locked_until=throttle.locked_until)
        user = authenticate(request, username=username.strip(), password=password)
        if user is None:
            throttle.failures += 1
            throttle.last_failure_at = now
            if throttle.failures >= settings.LOGIN_FAILURES_BEFORE_LOCK:
                throttle.locked_until = now + dt.timedelta(minutes=settings.LOGIN_LOCK_MINUTES)
                throttle.failures = 0
            throttle.save()
            audit_record(
                action=Action.LOGIN_FAILED,
                actor_label=key,
                detail={"locked": throttle.locked_until is not None},
                flagged=throttle.locked_until is not None,
            )
            return LoginOutcome(locked_until=throttle.locked_until)
        throttle.failures, throttle.locked_until = 0, None
        throttle.save()
    audit_record(action=Action.LOGIN, actor=user)
    return LoginOutcome(user=user)


def two_factor_required(user: Any) -> bool:
    """Coordinators, organisation administrators and platform administrators log in with a
    second factor (TOTP)."""
    if user.memberships.filter(role__in=ROLES_WITH_TWO_FACTOR).exists():
        return True
    profile = StaffProfile.objects.filter(user=user).first()
    return profile is not None and profile.platform_role in PLATFORM_ROLES_WITH_TWO_FACTOR


def two_factor_offered(user: Any) -> bool:
    """Who may register and give a second factor: those whose role needs it everywhere,
    and the platform's analysts, whom the pages that show or decide linkage pairs ask
    for it (beneficiaries.access.linkage_view)."""
    if two_factor_required(user):
        return True
    profile = StaffProfile.objects.filter(user=user).first()
    return profile is not None and profile.platform_role == PlatformRole.ANALYST


def two_factor_device(user: Any, *, confirmed: bool) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=confirmed).first()


def two_factor_enrolment_start(*, user: Any) -> TOTPDevice:
    """The unconfirmed device whose secret the user adds to an authenticator app."""
    device = two_factor_device(user, confirmed=False)
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)
    return device


def two_factor_enrolment_confirm(*, user: Any, token: str) -> TOTPDevice | None:
    device = two_factor_device(user, confirmed=False)
    if device is None or not device.verify_token(token.strip()):
        return None
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    audit_record(action=Action.TWO_FACTOR_ENROLLED, actor=user)
    return device


def memberships_of(user: Any) -> list[Membership]:
    return list(user.memberships.select_related("organisation").order_by("organisation__slug"))


class TokenRequestError(InvalidFieldsError):
    """A token request that cannot be met; `errors` maps each field to what is wrong."""


@transaction.atomic
def api_token_issue(
    *, organisation: Any, name: str, scopes: list[str], by: Any = None
) -> tuple[ApiToken, str]:
    """A new token for `organisation`'s own system and its key, which is shown once: only
    its hash is kept. Audited without the key."""
    errors: dict[str, str] = {}
    name = name.strip()
    if not name or len(name) > 100:
        errors["name"] = str(_("Say what the token is for, in at most 100 characters."))
    unknown = sorted(set(scopes) - set(ApiScope.values))
    if unknown or not scopes:
        errors["scopes"] = str(
            _("Choose at least one of: {allowed}.").format(allowed=", ".join(ApiScope.values))
        )
    personal = sorted(set(scopes) & PERSON_DATA_SCOPES)
    if personal and organisation.kind in EMPLOYER_KINDS:
        errors["scopes"] = str(
            _(
                "An employer or host organisation may not hold these scopes: {scopes}; "
                "allowed: {allowed}."
            ).format(
                scopes=", ".join(personal),
                allowed=", ".join(sorted(set(ApiScope.values) - PERSON_DATA_SCOPES)),
            )
        )
    if errors:
        raise TokenRequestError(errors)
    token, key = ApiToken.issue(
        organisation=organisation, name=name, scopes=sorted(set(scopes)), created_by=by
    )
    audit_integration_change(
        organisation,
        by,
        "api_token",
        token.pk,
        change="issued",
        actor_label="" if by is not None else "cli",
        scopes=token.scopes,
    )
    return token, key


@transaction.atomic
def api_token_revoke(*, organisation: Any, token_id: uuid.UUID | str, by: Any = None) -> ApiToken:
    """Revoke one of `organisation`'s tokens (LookupError when it has no such token)."""
    token = (
        ApiToken.objects.select_for_update()
        .filter(organisation=organisation, pk=token_id, revoked_at__isnull=True)
        .first()
    )
    if token is None:
        raise LookupError("token")
    token.revoked_at = timezone.now()
    token.save(update_fields=("revoked_at",))
    audit_integration_change(organisation, by, "api_token", token.pk, change="revoked")
    return token


def api_tokens_of(organisation: Any) -> list[ApiToken]:
    """`organisation`'s tokens, those in use first."""
    return list(
        ApiToken.objects.filter(organisation=organisation).order_by("revoked_at", "-created_at")
    )
