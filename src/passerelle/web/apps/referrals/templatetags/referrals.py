"""The referrals of a person's file, for the file page (people/detail.html)."""

from __future__ import annotations

from typing import Any

from django import template

from passerelle.web.apps.referrals.access import referrals_for
from passerelle.web.apps.referrals.models import State
from passerelle.web.common.actors import Actor
from passerelle.web.common.labels import REFERRAL_EVENT_LABELS, label

register = template.Library()


@register.inclusion_tag("referrals/_person_referrals.html")
def person_referrals(actor: Actor, person: Any) -> dict[str, Any]:
    """Referrals of this person that the actor's organisation sent or received."""
    sent = referrals_for(actor, box="outbox").filter(person=person)
    received = referrals_for(actor, box="inbox").filter(person=person)
    return {"referrals": (sent | received).order_by("-created_at")}


@register.filter
def state_label(code: str) -> str:
    """A referral state as the reader's word for it ("draft" → "مسودة"); the timeline
    stores codes. An unknown code is shown as it is rather than hidden."""
    try:
        return str(State(code).label)
    except ValueError:
        return code


@register.filter
def event_label(event: Any) -> str:
    """A step of the timeline as what was done ("sent the referral"), not "draft → sent"; a
    step back to the waiting list or a state the table lacks says the state it led to."""
    if event.to_state in REFERRAL_EVENT_LABELS:
        return label(REFERRAL_EVENT_LABELS, event.to_state)
    return state_label(event.to_state)
