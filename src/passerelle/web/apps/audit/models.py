"""The audit log: append-only, one row per access to or change of person data, per
disclosure, export, login and failed login, and per consent override.

Rows hold identifiers, never personal data (no names, no contents), so that the log can
outlive a person's erasure. The application cannot change or delete a row (the model and
its queryset refuse; the admin offers neither) and on PostgreSQL a trigger refuses UPDATE
and DELETE from anyone (migration 0002).
"""

from __future__ import annotations

from typing import Any, NoReturn

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AppendOnlyError(RuntimeError):
    """An attempt to change or delete an audit entry."""


def _refuse(*args: Any, **kwargs: Any) -> NoReturn:
    raise AppendOnlyError("the audit log is append-only")


class AuditQuerySet(models.QuerySet["AuditEntry"]):
    update = _refuse
    delete = _refuse
    bulk_update = _refuse


class Action(models.TextChoices):
    LOGIN = "login", _("login")
    LOGIN_FAILED = "login_failed", _("failed login")
    LOGIN_LOCKED = "login_locked", _("login refused: account locked")
    LOGOUT = "logout", _("logout")
    TWO_FACTOR_ENROLLED = "two_factor_enrolled", _("two-factor device registered")
    PERSON_LIST = "person_list", _("list of person files viewed")
    PERSON_VIEW = "person_view", _("person file viewed")
    PERSON_CREATE = "person_create", _("person file created")
    PERSON_EDIT = "person_edit", _("person file changed")
    PERSON_EXPORT = "person_export", _("person file exported")
    PERSON_ERASE = "person_erase", _("person file erased")
    PERSON_PURGE = "person_purge", _("person file anonymised after the retention period")
    CONSENT_RECORD = "consent_record", _("consent recorded")
    CONSENT_WITHDRAW = "consent_withdraw", _("consent withdrawn")
    DISCLOSURE = "disclosure", _("person data disclosed to an organisation")
    CONSENT_OVERRIDE = "consent_override", _("disclosure without consent (override)")
    AUDIT_EXPORT = "audit_export", _("audit log exported")
    REFERRAL_TRANSITION = "referral_transition", _("referral created or moved")
    INTEGRATION_CHANGE = "integration_change", _("API token or webhook issued or changed")
    ENCODINGS_REPLACE = "encodings_replace", _("linkage encodings of an organisation replaced")
    LINKAGE_RUN = "linkage_run", _("linkage run over every organisation's encodings")
    LINKAGE_DECISION = "linkage_decision", _("clerical review decision on a pair of records")
    OUTCOMES_IMPORT = "outcomes_import", _("administrative outcomes imported")
    MATCHING_ROUND = "matching_round", _("matching round run")
    MATCHING_PROPOSAL = "matching_proposal", _("matching proposal removed, restored or changed")
    MATCHING_CONFIRM = "matching_confirm", _("matching round confirmed")
    MATCHING_OFFER = "matching_offer", _("mentor, internship offer or vacancy changed")


class AuditEntry(models.Model):
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_label = models.CharField(
        max_length=150, blank=True, help_text=_("User name, API token name, or the system.")
    )
    organisation = models.ForeignKey(
        "directory.Organisation",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The organisation the actor acted for."),
    )
    action = models.CharField(max_length=32, choices=Action.choices, db_index=True)
    object_kind = models.CharField(max_length=32, blank=True)
    object_id = models.CharField(max_length=64, blank=True, db_index=True)
    subject_organisation = models.ForeignKey(
        "directory.Organisation",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The organisation holding the object acted on."),
    )
    detail = models.JSONField(default=dict, blank=True)
    flagged = models.BooleanField(default=False, db_index=True)

    objects = AuditQuerySet.as_manager()

    class Meta:
        ordering = (
            "-at",
            "-id",
        )
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            _refuse()
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        _refuse()
