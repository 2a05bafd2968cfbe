"""Staff accounts: who works for which organisation, in which role; API tokens of
organisations' own systems; the login throttle.

Users are Django's own (`auth.User`). A user belongs to one or more organisations through
`Membership`, each with a role; platform roles (admin, analyst) sit on `StaffProfile`.
"""

from __future__ import annotations

import hashlib
import secrets
import time
import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    CASEWORKER = "caseworker", _("caseworker")
    COORDINATOR = "coordinator", _("coordinator")
    ORG_ADMIN = "org_admin", _("organisation administrator")
    EMPLOYER = "employer", _("employer or host organisation (offers and gap analysis only)")


class PlatformRole(models.TextChoices):
    NONE = "", _("none")
    ADMIN = "admin", _("platform administrator")
    ANALYST = "analyst", _("analyst (aggregates only)")


ROLES_WITH_TWO_FACTOR = frozenset({Role.COORDINATOR, Role.ORG_ADMIN})
PLATFORM_ROLES_WITH_TWO_FACTOR = frozenset({PlatformRole.ADMIN})


class Membership(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    organisation = models.ForeignKey(
        "directory.Organisation", on_delete=models.PROTECT, related_name="memberships"
    )
    role = models.CharField(max_length=16, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = (
            models.UniqueConstraint(
                fields=["user", "organisation"], name="one_role_per_organisation"
            ),
        )
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")

    def __str__(self) -> str:
        return f"{self.user} @ {self.organisation.slug} ({self.role})"


class StaffProfile(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_profile"
    )
    platform_role = models.CharField(
        max_length=16, choices=PlatformRole.choices, blank=True, default=PlatformRole.NONE
    )
    language = models.CharField(
        max_length=2,
        choices=(("fr", "Français"), ("nl", "Nederlands"), ("en", "English"), ("ar", "العربية")),
        default="fr",
        help_text=_("The language of the e-mails passerelle sends to this person."),
    )

    class Meta:
        verbose_name = _("staff profile")
        verbose_name_plural = _("staff profiles")


class LoginThrottle(models.Model):
    """Failed logins per user name (lower case), so that locking works across workers."""

    username = models.CharField(max_length=150, unique=True)
    failures = models.PositiveIntegerField(default=0)
    last_failure_at = models.DateTimeField(null=True, blank=True)
    locked_until = models.DateTimeField(null=True, blank=True)


class ApiScope(models.TextChoices):
    PERSONS_READ = "persons:read", _("read person files and needs assessments")
    PERSONS_WRITE = "persons:write", _("create and change person files and needs assessments")
    PERSONS_EXPORT = "persons:export", _("export everything held about a person")
    REFERRALS_READ = "referrals:read", _("read the referrals sent and received")
    REFERRALS_WRITE = "referrals:write", _("create referrals and move them on")
    MATCHING_READ = "matching:read", _("read mentors, offers, vacancies, rounds and gap analyses")
    MATCHING_WRITE = "matching:write", _("change mentors, offers and vacancies; run rounds")
    ENCODINGS_WRITE = (
        "encodings:write",
        _("share the organisation's encodings and participations for unique beneficiaries"),
    )
    BENEFICIARIES_READ = (
        "beneficiaries:read",
        _("read the sector's unique beneficiaries and overlaps (aggregates only)"),
    )


EMPLOYER_KINDS = frozenset({"employer", "host_organisation"})
"""Organisation kinds of employers and hosts of internships: they publish offers and read
counts, and never receive a person file, a referral's person or a token to read them."""
PERSON_DATA_SCOPES = frozenset(
    {
        ApiScope.PERSONS_READ,
        ApiScope.PERSONS_WRITE,
        ApiScope.PERSONS_EXPORT,
        ApiScope.REFERRALS_READ,
        ApiScope.REFERRALS_WRITE,
        ApiScope.ENCODINGS_WRITE,
    }
)
"""Scopes that reach person files, referrals or encodings: refused to employers' tokens."""

TOKEN_PREFIX = "psl_"  # noqa: S105 (the visible prefix of every key, not a secret)
TOKEN_FIELDS = ("id", "organisation", "name", "scopes", "last_used_at", "revoked_at")
"""What an API request reads of its token."""
ORGANISATION_FIELDS = ("id", "slug", "names")
"""What an API request reads of the organisations it names (their other columns are large
JSON documents)."""


def _key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class ApiToken(models.Model):
    """A token for one organisation's own system. Only a hash of the key is stored; the key
    is shown once, when the token is made (`ApiToken.issue`)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(
        "directory.Organisation", on_delete=models.PROTECT, related_name="api_tokens"
    )
    name = models.CharField(max_length=100)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    scopes = models.JSONField(default=list)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.organisation.slug})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        _live_tokens.clear()
        super().save(*args, **kwargs)

    @classmethod
    def issue(cls, **fields: Any) -> tuple[ApiToken, str]:
        unknown = set(fields.get("scopes", [])) - set(ApiScope.values)
        if unknown:
            raise ValueError(
                f"scopes: unknown {sorted(unknown)}; allowed: {', '.join(ApiScope.values)}"
            )
        key = TOKEN_PREFIX + secrets.token_urlsafe(32)
        token = cls.objects.create(key_hash=_key_hash(key), **fields)
        return token, key

    @classmethod
    def for_key(cls, key: str) -> ApiToken | None:
        """The live token of `key`, read on every API request: with its organisation's id,
        slug and names only (other columns load when used).

        A token found is kept in this process for TOKEN_CACHE_SECONDS: a revocation or a
        change of scopes saved in another process applies there within that time (at once
        in the process that saves it). Unknown and revoked keys are never kept."""
        digest = _key_hash(key)
        now = time.monotonic()
        cached = _live_tokens.get(digest)
        if cached is not None and cached[0] > now:
            return cached[1]
        try:
            token = (
                cls.objects.select_related("organisation")
                .only(
                    *TOKEN_FIELDS,
                    *(f"organisation__{name}" for name in (*ORGANISATION_FIELDS, "kind")),
                )
                .get(key_hash=digest, revoked_at__isnull=True)
            )
        except cls.DoesNotExist:
            _live_tokens.pop(digest, None)
            return None
        _live_tokens[digest] = (now + TOKEN_CACHE_SECONDS, token)
        return token

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        _live_tokens.clear()
        return super().delete(*args, **kwargs)


TOKEN_CACHE_SECONDS = 5.0
"""How long a process keeps a token it has found (see ApiToken.for_key)."""
_live_tokens: dict[str, tuple[float, ApiToken]] = {}
