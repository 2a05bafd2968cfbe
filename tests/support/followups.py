"""Helpers of the follow-up tests: the person's consent to follow-up, a referral
completed through the services, participations that ended some days back. Synthetic people
only."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import F
from django.utils import timezone
from tests.support.people import synthetic_file
from tests.support.referrals import Network, draft, move

from passerelle.web.apps.followups.models import FollowUp
from passerelle.web.apps.followups.services import months_after
from passerelle.web.apps.people.services import consent_record, person_create
from passerelle.web.apps.referrals.models import Referral, ReferralEvent
from passerelle.web.apps.referrals.services import referral_create, referral_transition


def consent_to_follow_up(people: Network) -> object:
    return consent_record(
        actor=people.actor("cw_a"),
        person_id=people.person.pk,
        purpose="follow_up",
        fields=["contact"],
        given_on=dt.date(2026, 11, 20),
    )


def completed(people: Network, outcome: str = "finished") -> Referral:
    referral = move(people, "cw_a", draft(people), "send")
    for action in ("accept", "start"):
        move(people, "cw_b", referral, action)
    return move(people, "cw_b", referral, "complete", outcome=outcome)


def consent_to_referral_and_follow_up(
    sender: Any,
    person: Any,
    organisation: Any,
    given_on: dt.date,
    follow_up_fields: tuple[str, ...] = ("identity", "contact", "profile"),
) -> None:
    """The person's consent to be referred to `organisation` (identity, contact and profile)
    and to be followed up (`follow_up_fields`), given to `sender` on `given_on`."""
    for purpose, recipient, fields in (
        ("referral", organisation, ("identity", "contact", "profile")),
        ("follow_up", None, follow_up_fields),
    ):
        consent_record(
            actor=sender,
            person_id=person.pk,
            purpose=purpose,
            recipient=recipient,
            fields=list(fields),
            given_on=given_on,
        )


def participations(
    sender: Any, receiver: Any, programme: Any, count: int, *, complete: bool = True
) -> None:
    """`count` people referred by `sender` to `programme` (a mentoring that takes persons
    with a migration background), with consent to the referral and to follow-up, accepted
    and started by `receiver`, and completed unless `complete` is false: through the
    services."""
    for index in range(count):
        file = synthetic_file(given=f"Follow{index}", birth_date="2002-03-14")
        file["profile"]["migration_background"] = True  # eligible for the mentoring
        person = person_create(actor=sender, data=file)
        consent_to_referral_and_follow_up(
            sender, person, programme.organisation, timezone.localdate()
        )
        referral = referral_create(
            actor=sender,
            person_id=person.pk,
            programme=programme,
            planned_start=timezone.localdate() + dt.timedelta(days=7),
            fields=["identity", "contact", "profile"],
        )
        referral_transition(actor=sender, referral_id=referral.pk, action="send")
        for action in ("accept", "start", "complete")[: 3 if complete else 2]:
            extra = {"outcome": "finished"} if action == "complete" else {}
            referral_transition(actor=receiver, referral_id=referral.pk, action=action, **extra)


def move_back(days: int) -> None:
    """The referrals' events and the follow-ups' dates moved `days` back, as if the
    participations had taken place then."""
    back = dt.timedelta(days=days)
    ReferralEvent.objects.update(at=F("at") - back)
    for follow_up in FollowUp.objects.all():
        follow_up.ended_on -= back
        follow_up.due_on = months_after(follow_up.ended_on, follow_up.months)
        follow_up.save(update_fields=["ended_on", "due_on"])
