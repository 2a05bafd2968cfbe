"""Writes to referrals. Every change of state is one transaction: the referral row is
locked, the transition checked against `TRANSITIONS` (state and side), and the referral,
its event, the audit entry and the webhook deliveries are written together; e-mails leave
after the commit. A transition that is not allowed raises `TransitionError` and changes
nothing."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Max
from django.dispatch import Signal
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from passerelle.web.apps.accounts.models import ORGANISATION_FIELDS
from passerelle.web.apps.audit.models import Action
from passerelle.web.apps.directory.models import Programme
from passerelle.web.apps.directory.situation import condition_sentences
from passerelle.web.apps.ops.queue import enqueue, stores_tasks
from passerelle.web.apps.people import services as people_services
from passerelle.web.apps.people.access import ALL_FIELDS, audit_person, person_for
from passerelle.web.apps.people.models import Person
from passerelle.web.apps.people.schemas import PersonDataError
from passerelle.web.apps.referrals.access import (
    ReferralNotFoundError,
    Side,
    referral_key,
    side_of,
)
from passerelle.web.apps.referrals.capacity import intake_on
from passerelle.web.apps.referrals.eligibility import eligibility_on
from passerelle.web.apps.referrals.models import (
    HOLDS_A_PLACE,
    REFERRAL_TRANSITION_EVENT,
    DeliveryState,
    Outcome,
    Referral,
    ReferralEvent,
    RejectionReason,
    State,
    Webhook,
    WebhookDelivery,
)

# Re-exported for the apps above: webhook events of their own (follow-ups) go through the
# referrals' outbox and signing, and their e-mails through the same staff mailer.
from passerelle.web.apps.referrals.notifications import send_to_staff as send_to_staff
from passerelle.web.apps.referrals.tasks import referral_notify, webhooks_deliver_event
from passerelle.web.apps.referrals.webhooks import deliveries_queue as deliveries_queue
from passerelle.web.common.actors import Actor

referral_completed = Signal()
"""Sent with `referral` and `on` (the day it was completed) inside the completing
transaction: the participation ended. The follow-ups app schedules the file's follow-up
checkpoints on it; a failing receiver rolls the completion back."""

SIDE_LABELS = {"sender": gettext_lazy("sending"), "receiver": gettext_lazy("receiving")}


@dataclass(frozen=True)
class Transition:
    sources: frozenset[str]
    target: str
    side: Side


TRANSITIONS: dict[str, Transition] = {
    "send": Transition(frozenset({State.DRAFT}), State.SENT, "sender"),
    "accept": Transition(frozenset({State.SENT}), State.ACCEPTED, "receiver"),
    "reject": Transition(frozenset({State.SENT, State.WAITLISTED}), State.REJECTED, "receiver"),
    "admit": Transition(frozenset({State.WAITLISTED}), State.ACCEPTED, "receiver"),
    "start": Transition(frozenset({State.ACCEPTED}), State.IN_PROGRESS, "receiver"),
    "complete": Transition(frozenset({State.IN_PROGRESS}), State.COMPLETED, "receiver"),
    "no_show": Transition(frozenset({State.ACCEPTED}), State.NO_SHOW, "receiver"),
    "withdraw": Transition(
        frozenset({State.DRAFT, State.SENT, State.ACCEPTED, State.WAITLISTED, State.IN_PROGRESS}),
        State.WITHDRAWN,
        "sender",
    ),
}
"""Who moves a referral from which states to which. "accept" goes to the waiting list when
the programme is full for the period of the planned start."""


class TransitionError(ValueError):
    """A transition that is not allowed now; `field` names what is at fault."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(f"{field}: {message}")


def working_days_after(start: dt.date, days: int) -> dt.date:
    """The date `days` working days (Monday to Friday) after `start`."""
    current = start
    while days > 0:
        current += dt.timedelta(days=1)
        if current.weekday() < 5:
            days -= 1
    return current


def _may_act(actor: Actor, side: Side) -> bool:
    """As `common.actors.POLICY` says: caseworkers, coordinators and administrators of the
    organisation on that side; API tokens with referrals:write; never an employer."""
    return actor.allowed("referral_act", side)


@transaction.atomic
def referral_create(
    *,
    actor: Actor,
    person_id: object,
    programme: Programme,
    planned_start: dt.date,
    fields: list[str],
    note: str = "",
    ineligibility_reason: str = "",
) -> Referral:
    """A draft referral of a file the actor's organisation holds. The rules check the person
    against the programme on the planned start; a referral they say is not eligible needs a
    written reason, which the receiver sees."""
    if not _may_act(actor, "sender"):
        raise TransitionError("scope", _("this actor may not refer people"))
    person = person_for(actor, person_id, "refer").person
    if fields:
        people_services.validate_field_groups(fields)
    # The sender holds the whole file: the check reads all of it.
    whole = eligibility_on(person, programme, planned_start)
    reason = ineligibility_reason.strip()
    if whole["status"] == "not_eligible" and not reason:
        failing = [c for c in whole.get("conditions", []) if c["outcome"] == "not_met"]
        why = "; ".join(condition_sentences(failing)[:2] or whole["reasons"][:2])
        raise PersonDataError(
            {
                "ineligibility_reason": _(
                    "the rules say the person is not eligible on the planned start "
                    "(%(why)s); write why you refer them all the same"
                )
                % {"why": why}
            }
        )
    # What is stored is what the receiver may read: the rules' answer from the shared
    # field groups only (no birth date shared, no age and no date derived from one).
    shown = ALL_FIELDS if programme.organisation_id == actor.organisation.pk else set(fields)
    eligibility = eligibility_on(person, programme, planned_start, frozenset(shown))
    referral = Referral.objects.create(
        person=person,
        programme=programme,
        sender=actor.organisation,
        receiver=programme.organisation,
        planned_start=planned_start,
        eligibility=eligibility,
        ineligibility_reason=reason,
        fields=sorted(set(fields)),
        note=note.strip(),
        created_by=actor.user,
    )
    _event(referral, actor, "", State.DRAFT, {})
    audit_person(
        Action.REFERRAL_TRANSITION,
        actor,
        person,
        detail={"referral": str(referral.pk), "to": State.DRAFT},
    )
    return referral


def referral_transition(
    *,
    actor: Actor,
    referral_id: object,
    action: str,
    expected_version: int | None = None,
    reason: str = "",
    text: str = "",
    outcome: str = "",
    override_reason: str = "",
) -> Referral:
    """Move a referral by `action` (a key of TRANSITIONS)."""
    transition = TRANSITIONS.get(action)
    if transition is None:
        raise TransitionError(
            "action",
            _("got {value}; allowed: {allowed}").format(
                value=repr(action), allowed=", ".join(TRANSITIONS)
            ),
        )
    with transaction.atomic():
        referral = _locked(actor, referral_id)
        side = _checked_side(actor, referral, transition, action, expected_version)
        before = referral.state
        detail: dict[str, Any] = {}
        target = transition.target
        if action == "send":
            _send(actor, referral, override_reason)
        elif action == "accept":
            target = _accept_or_waitlist(referral, detail)
        elif action == "admit":
            _admit(referral)
        elif action == "reject":
            _reject(referral, reason, text, detail)
        elif action == "complete":
            _complete(referral, outcome, detail)
        if action in ("accept", "reject", "admit") and referral.answered_at is None:
            referral.answered_at = timezone.now()
        if target != State.WAITLISTED:
            referral.waitlist_position = None
        referral.state = target
        referral.version += 1
        referral.save(update_fields=CHANGED_FIELDS)
        event = _event(referral, actor, before, target, detail)
        audit_person(
            Action.REFERRAL_TRANSITION,
            actor,
            referral.person,
            detail={"referral": str(referral.pk), "from": before, "to": target},
        )
        _queue_deliveries(referral, event)
        _queue_background_work(referral, event, side)
        if target == State.COMPLETED:
            referral_completed.send(sender=Referral, referral=referral, on=timezone.localdate())
    return referral


def _checked_side(
    actor: Actor,
    referral: Referral,
    transition: Transition,
    action: str,
    expected_version: int | None,
) -> Side | None:
    """The side `actor` acts on for `referral`, once `action` is checked: the actor's side,
    its scope, the referral's version and state; TransitionError naming what is wrong."""
    side = side_of(actor, referral)
    if side is not None and referral.sender_id == referral.receiver_id:
        # A referral to the organisation's own programme: it is both sides.
        side = transition.side
    if side is not None and not _may_act(actor, side):
        raise TransitionError("scope", _("this actor may not move referrals"))
    if side != transition.side:
        raise TransitionError(
            "action",
            _("only the {side} organisation may do this ({action})").format(
                side=SIDE_LABELS[transition.side], action=action
            ),
        )
    if expected_version is not None and expected_version != referral.version:
        raise TransitionError(
            "version",
            _(
                "the referral changed since you opened it (now version {version}, {state}); "
                "look again before you act"
            ).format(version=referral.version, state=referral.state),
        )
    if referral.state not in transition.sources:
        raise TransitionError(
            "state",
            _("not possible for a referral that is {state} ({action})").format(
                state=referral.state, action=action
            ),
        )
    return side


CHANGED_FIELDS = (
    "state", "version", "waitlist_position", "expected_start", "answered_at", "sent_at",
    "answer_due", "disclosure", "rejection_reason", "rejection_text", "outcome", "updated_at",
)  # fmt: skip
"""The columns a transition may change (the others are written at creation only)."""


def _organisation(link: str) -> tuple[str, ...]:
    return tuple(f"{link}__{name}" for name in ORGANISATION_FIELDS)


LOCKED_FIELDS = (
    *(field.name for field in Referral._meta.concrete_fields),
    "person__id", "person__organisation", *_organisation("person__organisation"),
    *(f"programme__{name}" for name in ("id", "slug", "names", "organisation", "capacity")),
    *_organisation("sender"), *_organisation("receiver"), "receiver__kind",
)  # fmt: skip
"""What a transition reads of the referral and its programme, organisations and person.
The programme's and organisations' other columns are large JSON documents: they stay
unread. The receiver's kind is read with them: sending checks it (no file goes to an
employer), which would otherwise cost a query of its own."""


def _locked(actor: Actor, referral_id: object) -> Referral:
    key = referral_key(referral_id)
    # Only the referral's row is locked (`of`): the programme may be missing (an outer
    # join, which PostgreSQL cannot lock) and the organisations are shared by every
    # referral, so locking them would make unrelated transitions wait on each other.
    # `get` by key, not `first`: no ordering for Django to compile on every transition.
    try:
        referral = (
            Referral.objects.select_related(
                "person__organisation", "programme", "sender", "receiver"
            )
            .only(*LOCKED_FIELDS)
            .select_for_update(of=("self",))
            .get(pk=key)
        )
    except Referral.DoesNotExist:
        raise ReferralNotFoundError(str(referral_id)) from None
    if side_of(actor, referral) is None:
        raise ReferralNotFoundError(str(referral_id))
    return referral


def _send(actor: Actor, referral: Referral, override_reason: str) -> None:
    """Share the consented fields with the receiver, then start the answer clock."""
    if referral.receiver_id != referral.sender_id and referral.fields:
        try:
            referral.disclosure = people_services.person_disclose(
                actor=actor,
                person_id=referral.person_id,
                recipient=referral.receiver,
                fields=list(referral.fields),
                override_reason=override_reason,
            )
        except people_services.ConsentRequiredError as error:
            raise TransitionError("consent", str(error).removeprefix("consent: ")) from None
    referral.sent_at = timezone.now()
    referral.answer_due = working_days_after(
        timezone.localdate(), settings.REFERRAL_ANSWER_WORKING_DAYS
    )


def _accept_or_waitlist(referral: Referral, detail: dict[str, Any]) -> str:
    # One decision at a time per programme: the programme row is the lock.
    list(
        Programme.objects.select_for_update()
        .filter(pk=referral.programme_id)
        .order_by()  # one row: no ordering to compile
        .values("pk")
    )
    period, places = intake_on(referral.programme, referral.planned_start)
    if places is None:
        return State.ACCEPTED
    taken = Referral.objects.filter(
        programme=referral.programme_id,
        state__in=HOLDS_A_PLACE,
        planned_start__gte=period[0],
        planned_start__lte=period[1],
    ).count()
    detail["places"], detail["taken"] = places, taken
    if taken < places:
        return State.ACCEPTED
    last = Referral.objects.filter(
        programme=referral.programme_id, state=State.WAITLISTED
    ).aggregate(last=Max("waitlist_position"))["last"]
    referral.waitlist_position = (last or 0) + 1
    referral.expected_start = period[1] + dt.timedelta(days=1)
    detail["waitlist_position"] = referral.waitlist_position
    return State.WAITLISTED


def _admit(referral: Referral) -> None:
    referral.expected_start = None


def _reject(referral: Referral, reason: str, text: str, detail: dict[str, Any]) -> None:
    if reason not in RejectionReason.values:
        raise TransitionError(
            "reason",
            _("got {value}; allowed: {allowed}").format(
                value=repr(reason), allowed=", ".join(RejectionReason.values)
            ),
        )
    if reason == RejectionReason.OTHER and not text.strip():
        raise TransitionError("text", _("say why, when the reason is 'other'"))
    referral.rejection_reason, referral.rejection_text = reason, text.strip()
    detail["reason"] = reason


def _complete(referral: Referral, outcome: str, detail: dict[str, Any]) -> None:
    if outcome not in Outcome.values:
        raise TransitionError(
            "outcome",
            _("got {value}; allowed: {allowed}").format(
                value=repr(outcome), allowed=", ".join(Outcome.values)
            ),
        )
    referral.outcome = outcome
    detail["outcome"] = outcome


def _event(
    referral: Referral, actor: Actor, before: str, after: str, detail: dict[str, Any]
) -> ReferralEvent:
    """Events are numbered as the referral's versions: the draft is 1."""
    event = ReferralEvent(
        referral=referral,
        number=referral.version,
        from_state=before,
        to_state=after,
        actor=actor.user,
        actor_label=actor.label,
        organisation=actor.organisation,
        detail=detail,
    )
    event.save(force_insert=True)
    return event


def _queue_background_work(referral: Referral, event: ReferralEvent, side: str | None) -> None:
    """The transition's e-mails and webhook deliveries, as tasks queued in its transaction
    (docs/operations.md). Without a worker (the immediate backend of the tests) deliveries
    wait for `deliver_due`, as they did before the queue.

    Each is queued once per event without an idempotency key: the event was inserted by
    this transaction, so no task can name it yet, and a key would add two statements per
    task to every transition (its claim and its task id: issue 20's regression)."""
    enqueue(referral_notify, str(referral.pk), event.pk, side)
    if stores_tasks():
        enqueue(webhooks_deliver_event, event.pk)


def _queue_deliveries(referral: Referral, event: ReferralEvent) -> None:
    """One pending delivery per active webhook of the sender and the receiver, in one
    statement (INSERT ... SELECT): the outbox the worker sends from."""
    deliveries, hooks = WebhookDelivery._meta, Webhook._meta
    column = {
        field.name: connection.ops.quote_name(field.column or field.name)
        for field in deliveries.fields
    }
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:
        cursor.execute(
            # The SQL names only tables and columns from code; every value is a parameter.
            f"INSERT INTO {connection.ops.quote_name(deliveries.db_table)} "  # noqa: S608
            f"({column['webhook']}, {column['event']}, {column['state']}, "
            f"{column['attempts']}, {column['next_attempt_at']}, {column['last_error']}, "
            f"{column['created_at']}, {column['event_type']}, {column['body']}) "
            f"SELECT id, %s, %s, 0, %s, '', %s, %s, %s "
            f"FROM {connection.ops.quote_name(hooks.db_table)} "
            "WHERE organisation_id IN (%s, %s) AND active",
            [
                event.pk,
                DeliveryState.PENDING,
                now,
                now,
                REFERRAL_TRANSITION_EVENT,
                "{}",
                referral.sender_id,
                referral.receiver_id,
            ],
        )


def referrals_forget_person(*, person: Person) -> int:
    """Clear what a person's referrals say of them (the sender's note, the reasons, the
    rules' reasons with their ages and dates) when the file is erased or purged. The rows
    stay, with their states, dates and eligibility status, so that the programmes' counts
    (received, accepted, waiting, outcomes) do not change. Returns how many were cleared."""
    cleared = 0
    for referral in Referral.objects.select_for_update().filter(person=person):
        status = (referral.eligibility or {}).get("status", "unknown")
        referral.eligibility = {"status": status, "reasons": [], "from": None, "missing": []}
        referral.note = referral.ineligibility_reason = referral.rejection_text = ""
        referral.save(
            update_fields=[
                "eligibility", "note", "ineligibility_reason", "rejection_text", "updated_at"
            ]
        )  # fmt: skip
        cleared += 1
    return cleared
