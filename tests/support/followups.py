"""Helpers of the follow-up tests: the person's consent to follow-up and a referral
completed through the services. Synthetic people only."""

from __future__ import annotations

import datetime as dt

from tests.support.referrals import Network, draft, move

from passerelle.web.apps.people.services import consent_record
from passerelle.web.apps.referrals.models import Referral


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
