"""Follow-ups of outcomes: checkpoints created when a referral is completed, only with the
person's consent to follow-up, cancelled when it is withdrawn; the due list (overdue first,
scoped to the file's holder); recording with errors that name the field; versions, audit
and the file's timeline in words; erasure. Synthetic people only."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal

import pytest
from tests.support.followups import completed, consent_to_follow_up
from tests.support.referrals import Network

from passerelle.web.apps.audit.models import AuditEntry
from passerelle.web.apps.followups import access, services
from passerelle.web.apps.followups.models import FollowUp, FollowUpVersion
from passerelle.web.apps.people.services import consent_withdraw, person_erase, person_export
from passerelle.web.common.actors import PersonNotFoundError
from passerelle.web.common.outcomes import MAX_HOURS_PER_WEEK

pytestmark = pytest.mark.django_db


def test_completion_with_consent_plans_follow_ups_at_6_and_12_months(
    followed: Network, today: dt.date
) -> None:
    follow_ups = list(FollowUp.objects.order_by("months"))
    assert [(f.months, f.state, f.ended_on) for f in follow_ups] == [
        (6, "open", today),
        (12, "open", today),
    ]
    assert follow_ups[0].due_on == services.months_after(today, 6)
    assert follow_ups[1].due_on == services.months_after(today, 12)
    # On the file of the organisation that holds it (the CPAS), not the programme's.
    assert {f.organisation_id for f in follow_ups} == {followed.organisations["a"].pk}
    assert all(f.versions.count() == 1 for f in follow_ups)
    scheduled = AuditEntry.objects.filter(
        object_id=str(followed.person.pk), actor_label="passerelle"
    )
    assert [entry.detail["change"] for entry in scheduled] == ["scheduled"]


def test_no_follow_up_without_the_persons_consent(consented: Network) -> None:
    completed(consented)
    assert FollowUp.objects.count() == 0


def test_the_months_are_a_setting_per_programme(consented: Network, settings: object) -> None:
    settings.FOLLOW_UP_MONTHS_BY_PROGRAMME = {"duo-for-a-job-mentoring": [3, 18]}  # type: ignore[attr-defined]
    consent_to_follow_up(consented)
    completed(consented)
    assert sorted(FollowUp.objects.values_list("months", flat=True)) == [3, 18]


def test_months_after_keeps_the_day_or_takes_the_months_last() -> None:
    assert services.months_after(dt.date(2026, 8, 31), 6) == dt.date(2027, 2, 28)
    assert services.months_after(dt.date(2027, 8, 31), 6) == dt.date(2028, 2, 29)
    assert services.months_after(dt.date(2026, 12, 7), 12) == dt.date(2027, 12, 7)


def test_withdrawing_the_consent_cancels_the_open_follow_ups(
    followed: Network, today: dt.date
) -> None:
    first = FollowUp.objects.get(months=6)
    services.follow_up_record(
        actor=followed.actor("cw_a"),
        follow_up_id=first.pk,
        situation="looking_for_work",
        situation_on=today,
    )
    consent = followed.person.consents.get(purpose="follow_up")
    consent_withdraw(
        actor=followed.actor("cw_a"), person_id=followed.person.pk, consent_id=consent.pk, on=today
    )
    states = dict(FollowUp.objects.values_list("months", "state"))
    assert states == {6: "recorded", 12: "cancelled"}  # what was recorded stays
    cancelled = FollowUp.objects.get(months=12)
    assert (cancelled.cancelled_on, cancelled.cancel_reason) == (today, "consent_withdrawn")
    assert cancelled.versions.count() == 2
    with pytest.raises(services.FollowUpDataError) as error:
        services.follow_up_record(
            actor=followed.actor("cw_a"), follow_up_id=cancelled.pk, situation="looking_for_work"
        )
    assert set(error.value.errors) == {"state"}


def test_the_due_list_is_overdue_first_then_by_due_date(followed: Network, today: dt.date) -> None:
    six, twelve = FollowUp.objects.order_by("months")
    FollowUp.objects.filter(pk=twelve.pk).update(due_on=today - dt.timedelta(days=40))
    FollowUp.objects.filter(pk=six.pk).update(due_on=today + dt.timedelta(days=3))
    completed(followed)  # a second participation: two more, due in 6 and 12 months
    due = list(access.follow_ups_due_for(followed.actor("cw_a"), on=today))
    assert [f.pk for f in due] == [twelve.pk, six.pk]  # the others are months away
    within_a_year = access.follow_ups_due_for(followed.actor("cw_a"), on=today, within_days=366)
    dates = [f.due_on for f in within_a_year]
    assert dates == sorted(dates)
    assert len(dates) == 4
    assert dates[0] < today  # overdue first


def test_another_organisation_sees_none_of_them(followed: Network, login_as: Callable) -> None:
    follow_up = FollowUp.objects.get(months=6)
    assert list(access.follow_ups_due_for(followed.actor("cw_b"), on=follow_up.due_on)) == []
    with pytest.raises(PersonNotFoundError):
        access.follow_up_for(followed.actor("cw_b"), follow_up.pk, "edit")
    with pytest.raises(PersonNotFoundError):
        services.follow_up_record(
            actor=followed.actor("cw_b"), follow_up_id=follow_up.pk, situation="looking_for_work"
        )
    # Duo's caseworker (the programme's side) gets 404 on the page, the CPAS's the form.
    assert (
        login_as(followed.users["cw_b"]).get(f"/staff/follow-ups/{follow_up.pk}/").status_code
        == 404
    )
    assert (
        login_as(followed.users["cw_a"]).get(f"/staff/follow-ups/{follow_up.pk}/").status_code
        == 200
    )


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"situation": "retired"}, {"situation"}),
        ({"situation": "employed"}, {"contract_type"}),
        ({"situation": "employed", "contract_type": "zero_hours"}, {"contract_type"}),
        (
            {"situation": "employed", "contract_type": "interim", "hours_per_week": 0},
            {"hours_per_week"},
        ),
        (
            {"situation": "employed", "contract_type": "interim", "hours_per_week": 61},
            {"hours_per_week"},
        ),
        ({"situation": "looking_for_work", "hours_per_week": 20}, {"hours_per_week"}),
        ({"situation": "training", "contract_type": "permanent"}, {"contract_type"}),
    ],
)
def test_bad_answers_name_the_field_and_the_allowed_values(
    followed: Network, fields: dict[str, object], named: set[str]
) -> None:
    follow_up = FollowUp.objects.get(months=6)
    with pytest.raises(services.FollowUpDataError) as error:
        services.follow_up_record(
            actor=followed.actor("cw_a"),
            follow_up_id=follow_up.pk,
            **fields,  # type: ignore[arg-type]
        )
    assert set(error.value.errors) == named
    if named == {"situation"}:
        assert (
            "allowed: employed, training, looking_for_work, not_looking, moved_away, unreachable"
            in str(error.value)
        )
    if fields.get("contract_type") == "zero_hours":
        assert "permanent, fixed_term, interim, article_60, self_employed" in str(error.value)
    follow_up.refresh_from_db()
    assert (follow_up.state, follow_up.version) == ("open", 1)  # nothing half-written


def test_the_situation_date_is_between_the_end_and_today(followed: Network, today: dt.date) -> None:
    follow_up = FollowUp.objects.get(months=6)
    for day in (today - dt.timedelta(days=1), today + dt.timedelta(days=1)):
        with pytest.raises(services.FollowUpDataError) as error:
            services.follow_up_record(
                actor=followed.actor("cw_a"),
                follow_up_id=follow_up.pk,
                situation="looking_for_work",
                situation_on=day,
            )
        assert set(error.value.errors) == {"situation_on"}


def test_recording_is_versioned_audited_and_shown_on_the_file_in_words(
    followed: Network, today: dt.date, login_as: Callable, in_english: None
) -> None:
    follow_up = FollowUp.objects.get(months=6)
    services.follow_up_record(
        actor=followed.actor("cw_a"),
        follow_up_id=follow_up.pk,
        situation="employed",
        contract_type="fixed_term",
        hours_per_week=Decimal("19.5"),
        situation_on=today,
    )
    follow_up.refresh_from_db()
    assert (follow_up.state, follow_up.version, follow_up.hours_per_week) == (
        "recorded",
        2,
        Decimal("19.5"),
    )
    change = FollowUpVersion.objects.get(follow_up=follow_up, number=2).changes
    assert change["situation"] == ["", "employed"]
    assert change["contract_type"] == ["", "fixed_term"]
    entry = AuditEntry.objects.filter(object_id=str(followed.person.pk)).latest("at")
    assert entry.detail["change"] == "recorded"
    assert entry.detail["follow_up"] == str(follow_up.pk)
    page = login_as(followed.users["cw_a"]).get(f"/staff/persons/{followed.person.pk}/")
    text = page.content.decode()
    assert "employed (fixed-term contract, 19.5 hours a week); recorded by cw_a" in text
    assert "Follow-up 12 months after" in text
    assert "due on" in text
    # The other organisation's staff does not see the file's follow-ups.
    assert (
        "Follow-up 6 months"
        not in login_as(followed.users["cw_b"])
        .get(f"/staff/persons/{followed.person.pk}/")
        .content.decode()
    )


def test_the_page_records_and_shows_errors_at_their_field(
    followed: Network, today: dt.date, login_as: Callable, in_english: None
) -> None:
    follow_up = FollowUp.objects.get(months=6)
    client = login_as(followed.users["cw_a"])
    listing = client.get("/staff/follow-ups/", {}, HTTP_ACCEPT_LANGUAGE="en")
    assert listing.status_code == 200
    FollowUp.objects.filter(pk=follow_up.pk).update(due_on=today - dt.timedelta(days=2))
    listing = client.get("/staff/follow-ups/")
    assert 'data-overdue="yes"' in listing.content.decode()
    assert f"/staff/follow-ups/{follow_up.pk}/" in listing.content.decode()
    url = f"/staff/follow-ups/{follow_up.pk}/"
    wrong = client.post(
        url,
        {
            "situation": "looking_for_work",
            "hours_per_week": "20",
            "situation_on": today.isoformat(),
            "version": 1,
        },
    )
    assert wrong.status_code == 200
    assert "only when the situation is employed" in wrong.content.decode()
    right = client.post(
        url,
        {
            "situation": "employed",
            "contract_type": "article_60",
            "hours_per_week": "38",
            "situation_on": today.isoformat(),
            "version": 1,
        },
    )
    assert right.status_code == 302
    follow_up.refresh_from_db()
    assert (follow_up.situation, follow_up.contract_type) == ("employed", "article_60")
    assert 'href="/staff/follow-ups/"' in client.get("/staff/persons/").content.decode()


def test_erasing_the_file_erases_its_follow_ups(followed: Network, today: dt.date) -> None:
    follow_up = FollowUp.objects.get(months=6)
    services.follow_up_record(
        actor=followed.actor("cw_a"),
        follow_up_id=follow_up.pk,
        situation="moved_away",
        situation_on=today,
    )
    person_erase(actor=followed.actor("co_a"), person_id=followed.person.pk)
    assert FollowUp.objects.count() == 0
    assert FollowUpVersion.objects.count() == 0


def test_a_second_consent_keeps_the_follow_ups_when_one_is_withdrawn(
    followed: Network, today: dt.date
) -> None:
    consent_to_follow_up(followed)
    first = followed.person.consents.filter(purpose="follow_up").last()
    consent_withdraw(
        actor=followed.actor("cw_a"), person_id=followed.person.pk, consent_id=first.pk, on=today
    )
    assert set(FollowUp.objects.values_list("state", flat=True)) == {"open"}


def test_the_files_export_holds_its_follow_ups(followed: Network, today: dt.date) -> None:
    six = FollowUp.objects.get(months=6)
    services.follow_up_record(
        actor=followed.actor("cw_a"),
        follow_up_id=six.pk,
        situation="employed",
        contract_type="interim",
        hours_per_week=Decimal(24),
        situation_on=today,
    )
    exported = person_export(actor=followed.actor("cw_a"), person_id=followed.person.pk)
    follow_ups = exported["follow_up"]["follow_ups"]
    assert [(f["months"], f["state"], f["situation"]) for f in follow_ups] == [
        (6, "recorded", "employed"),
        (12, "open", ""),
    ]
    assert follow_ups[0]["hours_per_week"] == "24.0"


def test_weekly_hours_are_bounded_as_in_an_outcome_import(followed: Network) -> None:
    """One bound for follow-ups and imports (`common.outcomes.MAX_HOURS_PER_WEEK`): a tenth
    above it is refused naming the field and the bound; the bound itself is recorded."""
    follow_up = FollowUp.objects.get(months=6)
    employed = {"situation": "employed", "contract_type": "interim"}
    with pytest.raises(services.FollowUpDataError) as error:
        services.follow_up_record(
            actor=followed.actor("cw_a"),
            follow_up_id=follow_up.pk,
            hours_per_week="60.1",
            **employed,
        )
    assert error.value.errors == {
        "hours_per_week": "got '60.1'; allowed: a number of hours above 0 and at most 60"
    }
    recorded = services.follow_up_record(
        actor=followed.actor("cw_a"), follow_up_id=follow_up.pk, hours_per_week=60, **employed
    )
    assert recorded.hours_per_week == MAX_HOURS_PER_WEEK
