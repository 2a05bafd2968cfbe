"""A referral to a programme of the organisation that holds the file: the organisation is
both the sender and the receiver, so its caseworkers move it through its whole life (the
receiving side's answers included) and a third organisation still may not. Synthetic
people only."""

from __future__ import annotations

import pytest
from tests.support.referrals import PLANNED, Network, make_programme, move

from passerelle.web.apps.referrals.access import ReferralNotFoundError
from passerelle.web.apps.referrals.services import referral_create


def test_an_organisation_takes_its_own_client_into_its_own_programme(network: Network) -> None:
    own = make_programme(network.organisations["a"], "own-guidance")
    referral = referral_create(
        actor=network.actor("cw_a"),
        person_id=network.person.pk,
        programme=own,
        planned_start=PLANNED,
        fields=[],
    )
    for action, extra in (("send", {}), ("accept", {}), ("start", {})):
        referral = move(network, "cw_a", referral, action, **extra)
    referral = move(network, "cw_a", referral, "complete", outcome="job_found")
    assert (referral.state, referral.outcome) == ("completed", "job_found")
    with pytest.raises(ReferralNotFoundError):
        move(network, "cw_c", referral, "withdraw")
