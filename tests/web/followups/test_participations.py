"""A participation recorded on the file, without a referral: its end plans the follow-ups
(with the consent to follow-up), bad dates and another organisation's programme are refused
naming the field, and the participation reaches the analysis frames. Synthetic people only."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.test import override_settings
from tests.support.followups import consent_to_follow_up
from tests.support.referrals import Network, make_programme

from passerelle.web.apps.followups import services
from passerelle.web.apps.followups.models import FollowUp, Participation
from passerelle.web.apps.monitoring import data
from passerelle.web.common.actors import PersonNotFoundError

pytestmark = pytest.mark.django_db
STARTED, ENDED = dt.date(2026, 3, 2), dt.date(2026, 9, 30)


@pytest.fixture
def coaching(network: Network) -> object:
    return make_programme(network.organisations["a"], "cpas-job-coaching")


def _record(network: Network, programme: object, **days: dt.date) -> Participation:
    return services.participation_record(
        actor=network.actor("cw_a"),
        person_id=network.person.pk,
        programme=programme,
        started_on=days.get("started_on", STARTED),
        ended_on=days.get("ended_on", ENDED),
    )


def test_a_recorded_participation_plans_its_follow_ups_with_consent(
    network: Network, coaching: object
) -> None:
    _record(network, coaching)
    assert FollowUp.objects.count() == 0  # no consent to follow-up yet
    consent_to_follow_up(network)
    participation = _record(network, coaching)
    follow_ups = FollowUp.objects.filter(participation=participation).order_by("months")
    assert [(f.months, f.due_on, f.referral_id) for f in follow_ups] == [
        (6, dt.date(2027, 3, 30), None),
        (12, dt.date(2027, 9, 30), None),
    ]


@pytest.mark.parametrize(
    ("days", "field"),
    [
        ({"started_on": ENDED + dt.timedelta(days=1)}, "started_on"),
        ({"ended_on": dt.date(2999, 1, 1)}, "ended_on"),
    ],
)
def test_bad_dates_are_refused_naming_the_field(
    network: Network, coaching: object, days: dict[str, dt.date], field: str
) -> None:
    with pytest.raises(services.FollowUpDataError) as error:
        _record(network, coaching, **days)
    assert set(error.value.errors) == {field}
    assert Participation.objects.count() == 0


def test_only_the_organisations_own_programmes_and_files(network: Network) -> None:
    with pytest.raises(services.FollowUpDataError) as error:
        _record(network, network.mentoring)  # Duo's programme, not the CPAS's
    assert set(error.value.errors) == {"programme"}
    theirs = make_programme(network.organisations["b"], "duo-other")
    with pytest.raises(PersonNotFoundError):  # the CPAS's file, for Duo: not found
        services.participation_record(
            actor=network.actor("cw_b"),
            person_id=network.person.pk,
            programme=theirs,
            started_on=STARTED,
            ended_on=ENDED,
        )


def test_the_file_page_records_one_and_the_frames_count_it(
    network: Network, coaching: object, login: Callable
) -> None:
    client = login(network.users["cw_a"])
    page = client.get(f"/staff/persons/{network.person.pk}/")
    assert f"/staff/follow-ups/participations/{network.person.pk}/" in page.content.decode()
    response = client.post(
        f"/staff/follow-ups/participations/{network.person.pk}/",
        {"programme": "cpas-job-coaching", "started_on": "2026-03-02", "ended_on": "2026-09-30"},
    )
    assert response.status_code == 302
    assert Participation.objects.get().programme.slug == "cpas-job-coaching"
    with override_settings(PASSERELLE_DEMONSTRATION=False):
        events = data.frames().events
    rows = events.select("kind", "date", "programme", "organisation").rows()
    assert sorted((str(k), d, p, o) for k, d, p, o in rows) == [
        ("programme_end", ENDED, "cpas-job-coaching", "cpas-anderlecht"),
        ("programme_start", STARTED, "cpas-job-coaching", "cpas-anderlecht"),
    ]
