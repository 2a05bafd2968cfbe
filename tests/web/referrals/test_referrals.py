"""The referral loop: draft, consent and send, accept or waitlist or reject, start,
outcome; who may do what; capacities; routing; notifications; the audit trail."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.utils import timezone
from tests.support.accounts import logged_in
from tests.support.referrals import FIELDS, PLANNED, Network, draft, make_programme, move

from passerelle.web.apps.audit.models import AuditEntry
from passerelle.web.apps.people.schemas import PersonDataError
from passerelle.web.apps.referrals.models import Referral, ReferralEvent
from passerelle.web.apps.referrals.routing import protocol_publish, suggestions_for
from passerelle.web.apps.referrals.services import (
    TransitionError,
    working_days_after,
)


def test_the_whole_loop_closes(consented: Network) -> None:
    referral = draft(consented, note="Wants to work in construction.")
    assert referral.state == "draft"
    # The birth date is not shared: the receiver's answer cannot know the age (issue 15).
    assert referral.eligibility["status"] == "unknown"
    assert referral.eligibility["missing"] == ["birth_date"]
    referral = move(consented, "cw_a", referral, "send")
    assert referral.state == "sent"
    assert referral.disclosure is not None
    assert sorted(referral.disclosure.fields) == sorted(FIELDS)
    assert referral.answer_due == working_days_after(timezone.localdate(referral.sent_at), 5)
    referral = move(consented, "cw_b", referral, "accept")
    assert referral.state == "accepted"
    referral = move(consented, "cw_b", referral, "start")
    referral = move(consented, "co_b", referral, "complete", outcome="job_found")
    assert (referral.state, referral.outcome) == ("completed", "job_found")
    states = list(referral.events.values_list("to_state", flat=True))
    assert states == ["draft", "sent", "accepted", "in_progress", "completed"]
    transitions = AuditEntry.objects.filter(action="referral_transition").count()
    assert transitions == ReferralEvent.objects.count() == 5


def test_sending_needs_the_persons_consent(network: Network) -> None:
    referral = draft(network)
    with pytest.raises(TransitionError) as error:
        move(network, "cw_a", referral, "send")
    assert error.value.field == "consent"
    referral.refresh_from_db()
    assert referral.state == "draft"
    assert referral.disclosure is None
    # A coordinator may send without consent, with a written reason (flagged in the log).
    move(network, "co_a", referral, "send", override_reason="In hospital, cannot sign.")
    assert AuditEntry.objects.filter(action="consent_override", flagged=True).count() == 1


def test_a_referral_the_rules_refuse_needs_a_reason(consented: Network) -> None:
    too_late = dt.date(2034, 1, 1)  # 31 years old: Duo's mentoring is for 18 to 30
    with pytest.raises(PersonDataError) as error:
        draft(consented, planned_start=too_late)
    assert "ineligibility_reason" in error.value.errors
    referral = draft(consented, planned_start=too_late, ineligibility_reason="Agreed by phone.")
    assert referral.eligibility["status"] != "eligible"
    assert referral.ineligibility_reason == "Agreed by phone."


def test_only_the_right_side_moves_a_referral(consented: Network) -> None:
    referral = move(consented, "cw_a", draft(consented), "send")
    with pytest.raises(TransitionError) as error:
        move(consented, "cw_a", referral, "accept")
    assert error.value.field == "action"
    with pytest.raises(TransitionError):
        move(consented, "cw_b", referral, "withdraw")
    with pytest.raises(TransitionError) as error:
        move(consented, "cw_b", referral, "complete", outcome="job_found")
    assert error.value.field == "state"
    with pytest.raises(TransitionError) as error:
        move(consented, "cw_b", referral, "fly")
    assert error.value.field == "action"
    referral.refresh_from_db()
    assert referral.state == "sent"
    assert referral.events.count() == 2


def test_rejection_needs_a_reason_from_the_list(consented: Network) -> None:
    referral = move(consented, "cw_a", draft(consented), "send")
    with pytest.raises(TransitionError) as error:
        move(consented, "cw_b", referral, "reject", reason="busy")
    assert error.value.field == "reason"
    with pytest.raises(TransitionError) as error:
        move(consented, "cw_b", referral, "reject", reason="other")
    assert error.value.field == "text"
    referral = move(consented, "cw_b", referral, "reject", reason="no_capacity")
    assert referral.rejection_reason == "no_capacity"


def test_a_stale_version_is_refused(consented: Network) -> None:
    referral = move(consented, "cw_a", draft(consented), "send")
    with pytest.raises(TransitionError) as error:
        move(consented, "cw_b", referral, "accept", expected_version=1)
    assert error.value.field == "version"


def test_acceptance_beyond_capacity_goes_to_the_waiting_list(
    consented: Network, make_user: Callable[..., User]
) -> None:
    from passerelle.web.apps.referrals.capacity import capacity_set

    capacity_set(
        programme=consented.mentoring,
        period_start=dt.date(2026, 12, 1),
        period_end=dt.date(2026, 12, 31),
        places=1,
        by=None,
    )
    referrals = [move(consented, "cw_a", draft(consented), "send") for _ in range(3)]
    states = [move(consented, "cw_b", r, "accept") for r in referrals]
    assert [(r.state, r.waitlist_position) for r in states] == [
        ("accepted", None),
        ("waitlisted", 1),
        ("waitlisted", 2),
    ]
    assert states[1].expected_start == dt.date(2027, 1, 1)
    admitted = move(consented, "co_b", states[1], "admit")
    assert (admitted.state, admitted.waitlist_position) == ("accepted", None)


def test_the_sender_may_withdraw_until_completion(consented: Network) -> None:
    referral = move(consented, "cw_a", draft(consented), "send")
    referral = move(consented, "cw_b", referral, "accept")
    referral = move(consented, "cw_a", referral, "withdraw")
    assert referral.state == "withdrawn"
    assert referral.disclosure is not None


def test_the_receiver_is_told_in_its_language_without_personal_data(
    consented: Network, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        move(consented, "cw_a", draft(consented), "send")
    assert sorted(message.to[0] for message in mail.outbox) == [
        "co_b@example.org",
        "cw_b@example.org",
    ]
    for message in mail.outbox:
        assert "Amanuel" not in message.body + message.subject
        assert "Tesfaye" not in message.body + message.subject
        assert "/staff/referrals/" in message.body


def test_pages_inbox_outbox_and_a_third_organisation(consented: Network) -> None:
    referral = move(consented, "cw_a", draft(consented), "send")
    receiver = logged_in(consented.users["cw_b"])
    inbox = receiver.get("/staff/referrals/inbox/")
    assert str(referral.pk) in inbox.content.decode()
    page = receiver.get(f"/staff/referrals/{referral.pk}/")
    assert page.status_code == 200
    assert "Amanuel" in page.content.decode()  # identity was consented and disclosed
    response = receiver.post(
        f"/staff/referrals/{referral.pk}/accept/", {"version": referral.version}
    )
    assert response.status_code == 302
    referral.refresh_from_db()
    assert referral.state == "accepted"
    sender = logged_in(consented.users["cw_a"])
    assert str(referral.pk) in sender.get("/staff/referrals/outbox/").content.decode()
    third = logged_in(consented.users["cw_c"])
    assert third.get(f"/staff/referrals/{referral.pk}/").status_code == 404
    assert str(referral.pk) not in third.get("/staff/referrals/inbox/").content.decode()
    assert third.get(f"/staff/persons/{consented.person.pk}/").status_code == 404


def test_overdue_referrals_are_flagged(consented: Network) -> None:
    referral = move(consented, "cw_a", draft(consented), "send")
    Referral.objects.filter(pk=referral.pk).update(answer_due=dt.date(2020, 1, 1))
    receiver = logged_in(consented.users["cw_b"])
    overdue = receiver.get("/staff/referrals/inbox/", {"overdue": "1"})
    assert str(referral.pk) in overdue.content.decode()


def test_a_published_protocol_suggests_where_to_refer(consented: Network) -> None:
    other = make_programme(consented.organisations["c"], "bapa-bxl-young-adults")
    with pytest.raises(PersonDataError) as error:
        protocol_publish(
            organisation=consented.organisations["c"],
            programme=other,
            name="Young adults",
            criteria={"field": "age", "between": "young"},
            valid_from=dt.date(2026, 1, 1),
            valid_to=None,
            by=None,
        )
    assert "criteria" in error.value.errors
    protocol_publish(
        organisation=consented.organisations["c"],
        programme=other,
        name="Young adults",
        criteria={"field": "age", "between": [18, 25]},
        valid_from=dt.date(2026, 1, 1),
        valid_to=None,
        by=None,
    )
    suggested = {s.programme.slug: s for s in suggestions_for(consented.person, PLANNED)}
    assert set(suggested) == {"bapa-bxl-young-adults", "duo-for-a-job-mentoring"}
    assert "Young adults" in suggested["bapa-bxl-young-adults"].why
    # The knowledge base's informal partnership of Convivial and Duo for a Job routes by age.
    assert "age" in suggested["duo-for-a-job-mentoring"].why
    older = suggestions_for(consented.person, dt.date(2034, 1, 1))  # 31: neither applies
    assert older == []
