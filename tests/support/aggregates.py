"""The figures' aggregates for tests (issue 17): three organisations' programmes and a
partnership, seeded random histories of SYNTHETIC person files, referrals, follow-ups and
participations recorded through the hook, and the published figures compared on the
aggregates and on the full computation."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any
from unittest import mock

import polars as pl
import pytest
from django.test import override_settings
from django.utils import timezone
from polars.testing import assert_frame_equal
from tests.support.referrals import make_programme

from passerelle.core.indicators.aggregates import CELLS_SCHEMA
from passerelle.web.apps.directory.models import Organisation, Partnership, Programme, stable_uuid
from passerelle.web.apps.followups.models import FollowUp, FollowUpState, Participation
from passerelle.web.apps.monitoring import data
from passerelle.web.apps.monitoring.models import AggregateCell
from passerelle.web.apps.monitoring.selectors import SECTOR, Scope
from passerelle.web.apps.people.models import Person
from passerelle.web.apps.referrals.models import Referral, ReferralEvent

STATUSES = ("refugee", "subsidiary_protection", "asylum_seeker", "family_reunification", None)
LEVELS = ("A1", "A2", "B1", "B2", "C1")
SITUATIONS = ("employed", "training", "looking_for_work", "not_looking", "moved_away")
OUTCOMES = ("job_found", "finished", "dropped_out")


@pytest.fixture
def world(organisations: dict[str, Organisation]) -> dict[str, Any]:
    partnership = Partnership.objects.create(
        slug="test-partnership",
        uuid=stable_uuid("partnership", "test-partnership"),
        names={"fr": "p", "nl": "p", "en": "p"},
    )
    partnership.members.set([organisations["a"], organisations["b"]])
    programmes = [
        make_programme(organisations["b"], "duo-for-a-job-mentoring"),
        make_programme(organisations["c"], "bapa-bxl-course"),
        make_programme(organisations["a"], "cpas-anderlecht-article-60"),
    ]
    return {"organisations": list(organisations.values()), "programmes": programmes}


def day_back(rng: random.Random, today: dt.date) -> dt.date:
    return today - dt.timedelta(days=rng.randrange(20, 1100))


def person_file(rng: random.Random, organisation: Organisation, today: dt.date) -> Person:
    status = rng.choice(STATUSES)
    decision = day_back(rng, today)
    profile: dict[str, Any] = {
        "asylum_application_date": (decision - dt.timedelta(days=300)).isoformat(),
        "asylum_decision_date": decision.isoformat(),
        "arrival_in_belgium": (decision - dt.timedelta(days=330)).isoformat(),
        "first_registration_brussels": rng.choice(
            ["2010-05-02", "2015-03-01", "2016-09-09", decision.isoformat()]
        ),
        "languages": {"fr": rng.choice(LEVELS), "en": rng.choice(LEVELS)},
        "education_isced": rng.randrange(0, 7),
    }
    if status is not None:
        profile["legal_status"] = status
    return Person.objects.create(
        organisation=organisation,
        given_names="Synthetic",
        given_names_latin="Synthetic",
        birth_date=dt.date(1970, 1, 1) + dt.timedelta(days=rng.randrange(0, 12000)),
        profile=profile,
    )


def event_on(referral: Referral, number: int, before: str, after: str, on: dt.date) -> None:
    """A transition recorded as the services record it (its own row, through the hook), on
    a day of the past (`at` is otherwise the moment of the insert)."""
    with mock.patch.object(ReferralEvent._meta.get_field("at"), "auto_now_add", False):
        ReferralEvent.objects.create(
            referral=referral,
            number=number,
            from_state=before,
            to_state=after,
            at=timezone.make_aware(dt.datetime.combine(on, dt.time(12))),
        )


def referral_of(person: Person, programme: Programme, state: str, **fields: Any) -> Referral:
    """A referral of the person's organisation to the programme, in that state."""
    return Referral.objects.create(
        person=person,
        programme=programme,
        sender=person.organisation,
        receiver=programme.organisation,
        state=state,
        **fields,
    )


def random_referral(
    rng: random.Random, person: Person, programme: Programme, today: dt.date
) -> None:
    sent = day_back(rng, today)
    path = rng.choice(
        [
            ["sent"],
            ["sent", "rejected"],
            ["sent", "accepted"],
            ["sent", "accepted", "in_progress"],
            ["sent", "accepted", "in_progress", "completed"],
            ["sent", "accepted", "in_progress", "withdrawn"],
        ]
    )
    completed = path[-1] == "completed"
    referral = referral_of(
        person,
        programme,
        path[-1],
        planned_start=sent,
        rejection_reason="no_capacity" if path[-1] == "rejected" else "",
        outcome=rng.choice(OUTCOMES) if completed else "",
    )
    before, on = "draft", sent
    for number, state in enumerate(path, start=2):
        event_on(referral, number, before, state, min(on, today))
        before, on = state, on + dt.timedelta(days=rng.randrange(0, 40))
    if completed and rng.random() < 0.6:
        ended = min(on, today)
        for months in (6, 12):
            FollowUp.objects.create(
                person=person,
                organisation=programme.organisation,
                referral=referral,
                programme=programme,
                ended_on=ended,
                months=months,
                due_on=ended + dt.timedelta(days=30 * months),
                state=FollowUpState.RECORDED,
                situation=rng.choice(SITUATIONS),
                situation_on=min(ended + dt.timedelta(days=30 * months), today),
            )


def history(seed: int, world: dict[str, Any], persons: int) -> list[Person]:
    """A seeded random history: files at random organisations, referrals through part of
    their life, follow-ups recorded, participations recorded without a referral."""
    rng, today = random.Random(seed), timezone.localdate()
    made = []
    for _ in range(persons):
        person = person_file(rng, rng.choice(world["organisations"]), today)
        for _ in range(rng.randrange(0, 4)):
            random_referral(rng, person, rng.choice(world["programmes"]), today)
        if rng.random() < 0.25:
            programme = rng.choice(world["programmes"])
            started = day_back(rng, today)
            Participation.objects.create(
                person=person,
                organisation=programme.organisation,
                programme=programme,
                started_on=started,
                ended_on=min(started + dt.timedelta(days=90), today),
            )
        made.append(person)
    return made


def scopes(world: dict[str, Any]) -> list[Scope]:
    a, b, c = (organisation.slug for organisation in world["organisations"])
    return [
        SECTOR,
        Scope("partnership", "test-partnership", frozenset({a, b})),
        *(Scope("organisation", slug, frozenset({slug})) for slug in (a, b, c)),
    ]


def published(scope: Scope, programmes: list[str], periods: list[str]) -> dict[str, Any]:
    figures: dict[str, Any] = dict(data.dashboard_tables(scope))
    figures["km"] = data.km_curves(scope)
    figures["summary"] = data.summary(scope)
    figures["starts"] = data.programme_starts(scope)
    for programme in programmes:
        for period in periods:
            figures[f"report {programme} {period}"] = data.funder_report_of(
                scope, programme, period
            )
    return figures


def assert_same(aggregated: dict[str, Any], full: dict[str, Any]) -> None:
    assert aggregated.keys() == full.keys()
    for name, value in full.items():
        if isinstance(value, pl.DataFrame):
            assert_frame_equal(aggregated[name], value, check_exact=False, rel_tol=1e-12), name
        else:
            assert aggregated[name] == value, name


def both_paths(scope: Scope, world: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    today = timezone.localdate()
    programmes = [programme.slug for programme in world["programmes"]]
    periods = [
        str(today.year),
        str(today.year - 1),
        f"{today.year - 1}-Q{(today.month - 1) // 3 + 1}",
        (today - dt.timedelta(days=200)).strftime("%Y-%m"),
    ]
    assert data.aggregates_key(scope) is not None  # the aggregates are used
    aggregated = published(scope, programmes, periods)
    with override_settings(MONITORING_AGGREGATES=False):
        full = published(scope, programmes, periods)
    return aggregated, full


def cells_kept() -> pl.DataFrame:
    rows = AggregateCell.objects.values_list("scope", "family", "cell", "measure", "value")
    frame = pl.DataFrame(list(rows), schema={"scope": pl.String, **CELLS_SCHEMA}, orient="row")
    # Key sums are kept whole by the hook and modulo 256 by the rebuild: compare them so.
    return (
        frame.with_columns(
            pl.when(pl.col("measure").str.ends_with("key"))
            .then(pl.col("value") % 256)
            .otherwise(pl.col("value"))
        )
        .filter(pl.col("value") != 0)
        .sort(pl.all())
    )
