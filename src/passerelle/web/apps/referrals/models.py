"""Closed-loop referrals: a caseworker refers a person to a programme (and so to its
organisation), which accepts, waitlists or rejects, and reports the outcome.

Every change of state goes through `services.referral_transition`, which locks the row,
checks who may do what, writes a `ReferralEvent`, an audit entry and the webhook deliveries
in one transaction: a process killed mid-transition leaves the referral as it was.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class State(models.TextChoices):
    DRAFT = "draft", _("draft")
    SENT = "sent", _("sent")
    ACCEPTED = "accepted", _("accepted")
    REJECTED = "rejected", _("rejected")
    WAITLISTED = "waitlisted", _("on the waiting list")
    IN_PROGRESS = "in_progress", _("in progress")
    COMPLETED = "completed", _("completed")
    NO_SHOW = "no_show", _("did not come")
    WITHDRAWN = "withdrawn", _("withdrawn")


OPEN_STATES = frozenset(
    {State.DRAFT, State.SENT, State.ACCEPTED, State.WAITLISTED, State.IN_PROGRESS}
)
HOLDS_A_PLACE = frozenset({State.ACCEPTED, State.IN_PROGRESS, State.COMPLETED})


class RejectionReason(models.TextChoices):
    NOT_ELIGIBLE = "not_eligible", _("not eligible")
    NO_CAPACITY = "no_capacity", _("no capacity")
    UNREACHABLE = "unreachable", _("person unreachable")
    DECLINED = "declined", _("declined by the person")
    OTHER = "other", _("other")


class Outcome(models.TextChoices):
    FINISHED = "finished", _("finished the programme")
    JOB_FOUND = "job_found", _("found a job")
    TRAINING_STARTED = "training_started", _("started a training")
    DROPPED_OUT = "dropped_out", _("dropped out")
    MOVED = "moved", _("moved away")


class Referral(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="+")
    programme = models.ForeignKey(
        "directory.Programme", on_delete=models.PROTECT, related_name="referrals"
    )
    sender = models.ForeignKey("directory.Organisation", on_delete=models.PROTECT, related_name="+")
    receiver = models.ForeignKey(
        "directory.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    state = models.CharField(max_length=16, choices=State.choices, default=State.DRAFT)
    planned_start = models.DateField()
    eligibility = models.JSONField(
        default=dict, help_text=_("The rules' answer on the planned start: status, reasons.")
    )
    ineligibility_reason = models.TextField(blank=True)
    fields = models.JSONField(default=list, help_text=_("Field groups shared with the receiver."))
    disclosure = models.ForeignKey(
        "people.Disclosure", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    note = models.TextField(blank=True)
    rejection_reason = models.CharField(max_length=16, choices=RejectionReason.choices, blank=True)
    rejection_text = models.TextField(blank=True)
    waitlist_position = models.PositiveIntegerField(null=True, blank=True)
    expected_start = models.DateField(null=True, blank=True)
    outcome = models.CharField(max_length=20, choices=Outcome.choices, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    answer_due = models.DateField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ("-created_at",)
        indexes = (
            models.Index(fields=("receiver", "state")),
            models.Index(fields=("sender", "state")),
        )
        constraints = (
            models.UniqueConstraint(
                fields=("programme", "waitlist_position"),
                condition=Q(state="waitlisted"),
                name="one_referral_per_waitlist_position",
            ),
            models.CheckConstraint(
                condition=Q(state="waitlisted", waitlist_position__isnull=False)
                | ~Q(state="waitlisted"),
                name="waitlisted_referrals_have_a_position",
            ),
        )


class ReferralEvent(models.Model):
    """One transition: the referral's timeline, and what webhooks announce."""

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="events")
    number = models.PositiveIntegerField()
    from_state = models.CharField(max_length=16, blank=True)
    to_state = models.CharField(max_length=16)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=150, blank=True)
    organisation = models.ForeignKey(
        "directory.Organisation", null=True, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ("referral", "number")
        constraints = (
            models.UniqueConstraint(fields=("referral", "number"), name="one_event_per_number"),
        )


class ProgrammeCapacity(models.Model):
    """Places a programme takes in a period, as its organisation says (otherwise the
    knowledge base's figure per year, where a source gives one)."""

    programme = models.ForeignKey(
        "directory.Programme", on_delete=models.CASCADE, related_name="capacities"
    )
    period_start = models.DateField()
    period_end = models.DateField()
    places = models.PositiveIntegerField()
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("programme", "period_start")
        constraints = (
            models.UniqueConstraint(
                fields=("programme", "period_start"), name="one_capacity_per_period_start"
            ),
            models.CheckConstraint(
                condition=Q(period_end__gte=models.F("period_start")),
                name="capacity_period_ends_after_it_starts",
            ),
        )


class RoutingProtocol(models.Model):
    """An organisation's published rule: people who meet `criteria` (the criteria language
    of the knowledge base) go to `programme`."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(
        "directory.Organisation", on_delete=models.PROTECT, related_name="routing_protocols"
    )
    name = models.CharField(max_length=200)
    programme = models.ForeignKey(
        "directory.Programme", on_delete=models.CASCADE, related_name="routing_protocols"
    )
    criteria = models.JSONField()
    valid_from = models.DateField()
    valid_to = models.DateField(null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("organisation", "name")


class Webhook(models.Model):
    """An organisation's own system, told of every transition of its referrals (sent or
    received) by a signed POST."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(
        "directory.Organisation", on_delete=models.CASCADE, related_name="webhooks"
    )
    url = models.URLField(max_length=500)
    secret = models.CharField(max_length=128, help_text=_("Key of the HMAC-SHA256 signature."))
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)


class DeliveryState(models.TextChoices):
    PENDING = "pending", _("pending")
    DELIVERED = "delivered", _("delivered")
    FAILED = "failed", _("failed for good")


REFERRAL_TRANSITION_EVENT = "referral.transition"


class WebhookDelivery(models.Model):
    """One announcement of one event to one webhook, written in the transition's
    transaction (an outbox), sent and retried by `passerelle deliver-webhooks`. A referral
    transition names its `event`; another app's event (`follow_up.recorded`) has no
    referral event and carries its own `body` (ids and codes only)."""

    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    event = models.ForeignKey(
        ReferralEvent, null=True, blank=True, on_delete=models.CASCADE, related_name="deliveries"
    )
    event_type = models.CharField(max_length=40, default=REFERRAL_TRANSITION_EVENT)
    body = models.JSONField(default=dict, blank=True)
    state = models.CharField(
        max_length=16, choices=DeliveryState.choices, default=DeliveryState.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(db_index=True)
    last_status = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("next_attempt_at",)
