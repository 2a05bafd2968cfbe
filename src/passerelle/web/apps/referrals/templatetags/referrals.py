"""The referrals of a person's file, for the file page (people/detail.html)."""

from __future__ import annotations

from typing import Any

from django import template

from passerelle.web.apps.referrals.access import referrals_for
from passerelle.web.apps.referrals.models import State
from passerelle.web.common.actors import Actor

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
