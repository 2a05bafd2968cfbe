"""Follow-ups of outcomes: checkpoints on a person's file some months after a programme
participation ended (6 and 12 by default), where the holder of the file records the
person's situation on that date.

A checkpoint exists only while the person consents to follow-up (consent purpose
`follow_up`): none is created without it, and withdrawing it cancels the open ones. Every
change is a `FollowUpVersion` and an audit entry. Reads pass through `followups.access`.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from passerelle.web.common.outcomes import ContractType, Situation
from passerelle.web.common.versions import VersionRow


class FollowUpState(models.TextChoices):
    OPEN = "open", pgettext_lazy("follow-up", "open")
    RECORDED = "recorded", pgettext_lazy("follow-up", "recorded")
    CANCELLED = "cancelled", pgettext_lazy("follow-up", "cancelled")


class CancelReason(models.TextChoices):
    CONSENT_WITHDRAWN = "consent_withdrawn", _("the person withdrew their consent to follow-up")


class Participation(models.Model):
    """A programme of the organisation holding the file that the person took part in,
    recorded on the file rather than through a referral. Its end plans the follow-ups as a
    completed referral does. Kept at erasure, like referrals (ids and dates, for counts)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    person = models.ForeignKey("people.Person", on_delete=models.CASCADE, related_name="+")
    organisation = models.ForeignKey(
        "directory.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    programme = models.ForeignKey("directory.Programme", on_delete=models.PROTECT, related_name="+")
    started_on = models.DateField()
    ended_on = models.DateField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_by_label = models.CharField(max_length=150, blank=True)
    recorded_at = models.DateTimeField(auto_now_add=True)
    # The participation's reference in the organisation's own system (API): recording it
    # again with the same reference returns the first one instead of a second.
    external_id = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ("-ended_on",)
        constraints = (
            models.CheckConstraint(
                condition=Q(ended_on__gte=models.F("started_on")),
                name="participation_ends_after_it_starts",
            ),
            models.UniqueConstraint(
                fields=("organisation", "external_id"),
                condition=~Q(external_id=""),
                name="one_participation_per_external_id",
            ),
        )


class FollowUp(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    person = models.ForeignKey("people.Person", on_delete=models.CASCADE, related_name="+")
    organisation = models.ForeignKey(
        "directory.Organisation",
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The organisation holding the file, which records the follow-up."),
    )
    referral = models.ForeignKey(
        "referrals.Referral", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    participation = models.ForeignKey(
        Participation, null=True, blank=True, on_delete=models.CASCADE, related_name="follow_ups"
    )
    programme = models.ForeignKey("directory.Programme", on_delete=models.PROTECT, related_name="+")
    ended_on = models.DateField(help_text=_("The day the participation ended."))
    months = models.PositiveSmallIntegerField()
    due_on = models.DateField()
    state = models.CharField(
        max_length=16, choices=FollowUpState.choices, default=FollowUpState.OPEN
    )
    situation = models.CharField(max_length=20, choices=Situation.choices, blank=True)
    contract_type = models.CharField(max_length=16, choices=ContractType.choices, blank=True)
    hours_per_week = models.DecimalField(max_digits=4, decimal_places=1, null=True, blank=True)
    situation_on = models.DateField(null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_by_label = models.CharField(max_length=150, blank=True)
    recorded_at = models.DateTimeField(null=True, blank=True)
    announced_on = models.DateField(
        null=True, blank=True, help_text=_("When the reminder said it was due (once).")
    )
    cancelled_on = models.DateField(null=True, blank=True)
    cancel_reason = models.CharField(max_length=24, choices=CancelReason.choices, blank=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("due_on", "created_at")
        indexes = (models.Index(fields=("organisation", "state", "due_on")),)
        constraints = (
            models.UniqueConstraint(
                fields=("referral", "months"),
                condition=Q(referral__isnull=False),
                name="one_follow_up_per_referral_and_delay",
            ),
            models.UniqueConstraint(
                fields=("participation", "months"),
                condition=Q(participation__isnull=False),
                name="one_follow_up_per_participation_and_delay",
            ),
            models.CheckConstraint(
                condition=Q(hours_per_week__isnull=True) | Q(situation="employed"),
                name="hours_only_with_employment",
            ),
        )


class FollowUpVersion(VersionRow):
    """One row per change of a follow-up (created, recorded, corrected, cancelled) with the
    old and new values of each changed field."""

    follow_up = models.ForeignKey(FollowUp, on_delete=models.CASCADE, related_name="versions")

    class Meta:
        ordering = ("follow_up", "number")
        constraints = (
            models.UniqueConstraint(
                fields=("follow_up", "number"), name="one_row_per_follow_up_version"
            ),
        )
