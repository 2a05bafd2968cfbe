"""Every read of referrals passes here: an organisation sees the referrals it sent
(outbox) and received (inbox), nothing else; another's referral is 404. Which roles and
scopes may read them is decided by `common.actors.POLICY` (relations `sender` and
`receiver`): an employer, whose organisation may well receive referrals, reads none (403)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Literal

from django.db.models import Q, QuerySet
from django.utils import timezone

from passerelle.web.apps.referrals.models import Referral, ReferralEvent, State
from passerelle.web.common.actors import Actor, OperationDeniedError
from passerelle.web.common.ids import record_key

RELATED = ("programme", "sender", "receiver")
LISTED_REFERRAL_FIELDS = tuple(
    field.attname for field in Referral._meta.concrete_fields if field.name not in RELATED
) + tuple(f"{related}_id" for related in RELATED)


Side = Literal["sender", "receiver"]
"""Which side of a referral an organisation stands on."""


class ReferralNotFoundError(LookupError):
    """No such referral for this actor's organisation: answer 404."""


def side_of(actor: Actor, referral: Referral) -> Side | None:
    if actor.organisation is None:
        return None
    if referral.sender_id == actor.organisation.pk:
        return "sender"
    if referral.receiver_id == actor.organisation.pk:
        return "receiver"
    return None


def referral_key(referral_id: object) -> uuid.UUID:
    return record_key(referral_id, ReferralNotFoundError)


def referrals_for(
    actor: Actor,
    *,
    box: str,
    state: str = "",
    programme: str = "",
    overdue: bool = False,
) -> QuerySet[Referral]:
    if actor.organisation is None:
        return Referral.objects.none()
    if not actor.allowed("referral_view", "receiver" if box == "inbox" else "sender"):
        raise OperationDeniedError("referral_view")
    side = Q(receiver=actor.organisation) if box == "inbox" else Q(sender=actor.organisation)
    referrals = Referral.objects.filter(side)
    if box == "inbox":
        referrals = referrals.exclude(state=State.DRAFT)
    if state:
        referrals = referrals.filter(state=state)
    if programme:
        referrals = referrals.filter(programme__slug=programme)
    if overdue:
        referrals = referrals.filter(state=State.SENT, answer_due__lt=timezone.localdate())
    # Lists need the names and slugs of the programme and the organisations, not their
    # other (large, JSON) columns.
    return referrals.select_related("programme", "sender", "receiver").only(
        *LISTED_REFERRAL_FIELDS,
        *(f"{related}__{field}" for related in RELATED for field in ("slug", "names")),
    )


def referral_for(actor: Actor, referral_id: object) -> Referral:
    # `get` by key, not `first`: no ordering for Django to compile on every read.
    try:
        referral = Referral.objects.select_related("programme", "sender", "receiver", "person").get(
            pk=referral_key(referral_id)
        )
    except Referral.DoesNotExist:
        raise ReferralNotFoundError(str(referral_id)) from None
    side = side_of(actor, referral)
    if side is None:
        raise ReferralNotFoundError(str(referral_id))
    if side == "receiver" and referral.state == State.DRAFT:
        raise ReferralNotFoundError(str(referral_id))
    if not actor.allowed("referral_view", side):
        raise OperationDeniedError("referral_view")
    return referral


def timeline(referral: Referral) -> QuerySet[ReferralEvent]:
    return referral.events.select_related("organisation").all()


def is_overdue(referral: Referral, today: dt.date | None = None) -> bool:
    today = today or timezone.localdate()
    return (
        referral.state == State.SENT
        and referral.answer_due is not None
        and (referral.answer_due < today)
    )
