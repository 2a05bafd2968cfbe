"""Two users accept one referral at the same moment: exactly one wins, the other is told.
A failure in the middle of a transition leaves nothing half-written."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from tests.support.concurrency import at_once
from tests.support.referrals import Network, draft, move

from passerelle.web.apps.audit.models import AuditEntry
from passerelle.web.apps.referrals import services
from passerelle.web.apps.referrals.models import Referral, ReferralEvent
from passerelle.web.apps.referrals.services import TransitionError, referral_transition


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
def test_two_simultaneous_accepts_one_wins(consented: Network) -> None:
    referral = move(consented, "cw_a", draft(consented), "send")
    outcomes = at_once(
        {
            who: lambda who=who: referral_transition(
                actor=consented.actor(who), referral_id=referral.pk, action="accept"
            )
            for who in ("cw_b", "co_b")
        },
        TransitionError,
    )
    winners = [who for who, o in outcomes.items() if not isinstance(o, Exception)]
    losers = [o for o in outcomes.values() if isinstance(o, TransitionError)]
    assert len(winners) == 1
    assert len(losers) == 1
    assert losers[0].field == "state"
    stored = Referral.objects.get(pk=referral.pk)
    assert stored.state == "accepted"
    assert list(stored.events.values_list("to_state", flat=True)) == ["draft", "sent", "accepted"]


def test_a_failure_mid_transition_changes_nothing(
    consented: Network, monkeypatch: pytest.MonkeyPatch
) -> None:
    referral = move(consented, "cw_a", draft(consented), "send")
    events, entries = ReferralEvent.objects.count(), AuditEntry.objects.count()

    def crash(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("the process dies here")

    monkeypatch.setattr(services, "_queue_deliveries", crash)
    with pytest.raises(RuntimeError):
        move(consented, "cw_b", referral, "accept")
    stored = Referral.objects.get(pk=referral.pk)
    assert (stored.state, stored.version) == ("sent", referral.version)
    assert ReferralEvent.objects.count() == events
    assert AuditEntry.objects.count() == entries
