"""The figures' aggregates (issue 17, item 7): kept in step by the one hook in the
transaction of every recorded change, they give exactly the published figures that the
full computation gives, for every scope; a recorded outcome shows in the next view; a new
day, a new partnership member or writes that bypass the hook never give stale figures.
Synthetic people only, seeded random histories."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Iterator
from typing import Any
from unittest import mock

import polars as pl
import pytest
from django.contrib.auth.models import User
from django.test import override_settings
from django.utils import timezone
from polars.testing import assert_frame_equal
from tests.support.accounts import actor_of
from tests.support.referrals import make_programme

from passerelle.core.indicators.aggregates import CELLS_SCHEMA, sum_cells
from passerelle.web.apps.directory.models import Organisation, Partnership, Programme, stable_uuid
from passerelle.web.apps.followups.models import FollowUp, FollowUpState, Participation
from passerelle.web.apps.monitoring import aggregates, data
from passerelle.web.apps.monitoring.models import AggregateCell, AggregatePending, AggregateState
from passerelle.web.apps.monitoring.selectors import SECTOR, Scope
from passerelle.web.apps.people.models import Person
from passerelle.web.apps.referrals.models import Referral, ReferralEvent

STATUSES = ("refugee", "subsidiary_protection", "asylum_seeker", "family_reunification", None)
LEVELS = ("A1", "A2", "B1", "B2", "C1")
SITUATIONS = ("employed", "training", "looking_for_work", "not_looking", "moved_away")
OUTCOMES = ("job_found", "finished", "dropped_out")


@pytest.fixture(autouse=True)
def platform_records() -> Iterator[None]:
    with override_settings(PASSERELLE_DEMONSTRATION=False, MONITORING_THRESHOLD=3):
        yield


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


def _day(rng: random.Random, today: dt.date) -> dt.date:
    return today - dt.timedelta(days=rng.randrange(20, 1100))


def _person(rng: random.Random, organisation: Organisation, today: dt.date) -> Person:
    status = rng.choice(STATUSES)
    decision = _day(rng, today)
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


def _event(referral: Referral, number: int, before: str, after: str, on: dt.date) -> None:
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


def _referral_of(person: Person, programme: Programme, state: str, **fields: Any) -> Referral:
    """A referral of the person's organisation to the programme, in that state."""
    return Referral.objects.create(
        person=person,
        programme=programme,
        sender=person.organisation,
        receiver=programme.organisation,
        state=state,
        **fields,
    )


def _referral(rng: random.Random, person: Person, programme: Programme, today: dt.date) -> None:
    sent = _day(rng, today)
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
    referral = _referral_of(
        person,
        programme,
        path[-1],
        planned_start=sent,
        rejection_reason="no_capacity" if path[-1] == "rejected" else "",
        outcome=rng.choice(OUTCOMES) if completed else "",
    )
    before, on = "draft", sent
    for number, state in enumerate(path, start=2):
        _event(referral, number, before, state, min(on, today))
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


def _history(seed: int, world: dict[str, Any], persons: int) -> list[Person]:
    """A seeded random history: files at random organisations, referrals through part of
    their life, follow-ups recorded, participations recorded without a referral."""
    rng, today = random.Random(seed), timezone.localdate()
    made = []
    for _ in range(persons):
        person = _person(rng, rng.choice(world["organisations"]), today)
        for _ in range(rng.randrange(0, 4)):
            _referral(rng, person, rng.choice(world["programmes"]), today)
        if rng.random() < 0.25:
            programme = rng.choice(world["programmes"])
            started = _day(rng, today)
            Participation.objects.create(
                person=person,
                organisation=programme.organisation,
                programme=programme,
                started_on=started,
                ended_on=min(started + dt.timedelta(days=90), today),
            )
        made.append(person)
    return made


def _scopes(world: dict[str, Any]) -> list[Scope]:
    a, b, c = (organisation.slug for organisation in world["organisations"])
    return [
        SECTOR,
        Scope("partnership", "test-partnership", frozenset({a, b})),
        *(Scope("organisation", slug, frozenset({slug})) for slug in (a, b, c)),
    ]


def _published(scope: Scope, programmes: list[str], periods: list[str]) -> dict[str, Any]:
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


def _assert_same(aggregated: dict[str, Any], full: dict[str, Any]) -> None:
    assert aggregated.keys() == full.keys()
    for name, value in full.items():
        if isinstance(value, pl.DataFrame):
            assert_frame_equal(aggregated[name], value, check_exact=False, rel_tol=1e-12), name
        else:
            assert aggregated[name] == value, name


def _both_paths(scope: Scope, world: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    today = timezone.localdate()
    programmes = [programme.slug for programme in world["programmes"]]
    periods = [
        str(today.year),
        str(today.year - 1),
        f"{today.year - 1}-Q{(today.month - 1) // 3 + 1}",
        (today - dt.timedelta(days=200)).strftime("%Y-%m"),
    ]
    assert data.aggregates_key(scope) is not None  # the aggregates are used
    aggregated = _published(scope, programmes, periods)
    with override_settings(MONITORING_AGGREGATES=False):
        full = _published(scope, programmes, periods)
    return aggregated, full


def _cells() -> pl.DataFrame:
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


@pytest.mark.parametrize("seed", [1, 2])
def test_the_hook_keeps_the_same_figures_as_the_full_computation(
    world: dict[str, Any], seed: int
) -> None:
    aggregates.aggregates_rebuild()  # on empty tables: from here on, the hook alone
    persons = _history(seed, world, persons=7)
    # Changes after the fact: a file edited, a referral deleted, a file erased.
    persons[0].profile = {**persons[0].profile, "legal_status": "refugee"}
    persons[0].save()
    referral = Referral.objects.filter(person__in=persons[1:]).order_by("pk").first()
    if referral is not None:
        referral.delete()
    Referral.objects.filter(person=persons[-1]).delete()
    persons[-1].delete()
    for scope in _scopes(world):
        aggregated, full = _both_paths(scope, world)
        _assert_same(aggregated, full)
    kept = _cells()
    aggregates.aggregates_rebuild()
    assert_frame_equal(_cells(), kept)  # the hook's totals are the rebuild's


def test_sum_cells_drops_cells_back_to_zero() -> None:
    cells = pl.DataFrame(
        [("flows", "a|b", "count", 2), ("flows", "a|b", "count", -2)],
        schema=CELLS_SCHEMA,
        orient="row",
    )
    assert sum_cells(cells).is_empty()


def test_a_recorded_outcome_shows_in_the_next_view(
    world: dict[str, Any], make_user: Callable[..., User]
) -> None:
    from passerelle.web.apps.followups.services import follow_up_record

    rng, today = random.Random(5), timezone.localdate()
    for _ in range(8):
        person = _person(rng, world["organisations"][1], today)
        person.profile["legal_status"] = "refugee"  # a right to work: counted by the curve
        person.save()
    aggregates.aggregates_rebuild()
    programme = world["programmes"][0]
    person = Person.objects.filter(organisation=programme.organisation).first()
    assert person is not None
    referral = _referral_of(person, programme, "completed", planned_start=today, outcome="finished")
    ended = today - dt.timedelta(days=200)
    for number, (before, after) in enumerate(
        [("draft", "sent"), ("sent", "accepted"), ("accepted", "in_progress")], start=2
    ):
        _event(referral, number, before, after, ended - dt.timedelta(days=10))
    _event(referral, 5, "in_progress", "completed", ended)
    follow_up = FollowUp.objects.create(
        person=person,
        organisation=programme.organisation,
        referral=referral,
        programme=programme,
        ended_on=ended,
        months=6,
        due_on=today,
        state=FollowUpState.OPEN,
    )
    key = data.aggregates_key(SECTOR)
    assert key is not None
    jobs_before = int(data._dashboard_raw_from_aggregates(key)["km"]["events"].sum())
    version = AggregateState.objects.get().version
    marks = AggregatePending.objects.count()
    follow_up_record(
        actor=actor_of(make_user("cw", "caseworker", "b")),
        follow_up_id=follow_up.pk,
        situation="employed",
        contract_type="permanent",
        hours_per_week=38,
        situation_on=today,
    )
    # The service marked the person pending and computed nothing in its transaction...
    assert AggregatePending.objects.count() > marks
    assert AggregateState.objects.get().version == version
    key = data.aggregates_key(SECTOR)  # ... the next view takes it in first
    assert key is not None
    assert AggregateState.objects.get().version > version
    assert not AggregatePending.objects.exists()
    # The next view counts the job (a first job after the right to work), before any
    # publication (a handful of persons: the published cells are withheld as small)...
    assert int(data._dashboard_raw_from_aggregates(key)["km"]["events"].sum()) == jobs_before + 1
    # ... and publishes what the full computation publishes.
    after = data.dashboard_tables(SECTOR)
    with override_settings(MONITORING_AGGREGATES=False):
        full = data.dashboard_tables(SECTOR)
    for name, table in full.items():
        assert_frame_equal(after[name], table)


def test_aggregates_of_another_day_are_not_used(
    world: dict[str, Any], django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    _history(3, world, persons=5)
    aggregates.aggregates_rebuild()
    assert data.aggregates_key(SECTOR) is not None
    AggregateState.objects.update(as_of=timezone.localdate() - dt.timedelta(days=1))
    # Yesterday's aggregates: the view computes in full and queues today's rebuild (the
    # tests' immediate backend runs it once the view's transaction commits).
    assert aggregates.usable() is None
    with django_capture_on_commit_callbacks(execute=True):
        assert data.aggregates_key(SECTOR) is None
    assert AggregateState.objects.get().as_of == timezone.localdate()
    assert data.aggregates_key(SECTOR) is not None


def test_a_new_partnership_member_asks_for_a_rebuild(
    world: dict[str, Any], organisations: dict[str, Organisation]
) -> None:
    _history(4, world, persons=5)
    aggregates.aggregates_rebuild()
    Partnership.objects.get(slug="test-partnership").members.add(organisations["c"])
    assert aggregates.usable() is None


def test_the_command_rebuilds_the_aggregates(world: dict[str, Any]) -> None:
    from typer.testing import CliRunner

    from passerelle.cli.main import app

    _history(6, world, persons=2)
    result = CliRunner().invoke(app, ["aggregates-rebuild"])
    assert result.exit_code == 0, result.output
    state = AggregateState.objects.get()
    assert state.as_of == timezone.localdate()
    assert str(state.as_of) in result.output
    assert AggregateCell.objects.filter(scope="sector", family="persons").get().value == 2


def test_the_evaluation_computes_on_the_queue_and_the_page_says_when_it_is_older(
    world: dict[str, Any],
    make_user: Callable[..., User],
    login: Callable[[User], Any],
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    from passerelle.web.apps.accounts.models import PlatformRole
    from passerelle.web.apps.monitoring import evaluations

    _history(7, world, persons=6)
    aggregates.aggregates_rebuild()
    programme = sorted(data.programme_starts(SECTOR))[0]
    analyst = login(make_user("analyst", platform_role=PlatformRole.ANALYST))
    first = evaluations.platform_evaluation_shown(SECTOR, programme)
    assert (first.result, first.computing) == (None, True)  # queued, nothing to show yet
    page = analyst.get("/analysis/evaluation/", {"programme": programme}).content.decode()
    # The page (in French, the staff's default): "it shows here when it is ready".
    assert "ici une fois prête" in page
    with django_capture_on_commit_callbacks(execute=True):  # the worker's turn
        evaluations.platform_evaluation_task.call(
            "sector", "", [], programme, evaluations.records_version(SECTOR)
        )
    done = evaluations.platform_evaluation_shown(SECTOR, programme)
    assert done.result == data.platform_evaluation(SECTOR, programme)
    assert not done.computing
    _history(8, world, persons=1)  # a change: a newer evaluation is due
    newer = evaluations.platform_evaluation_shown(SECTOR, programme)
    assert newer.computing
    assert newer.result == done.result
    assert newer.finished_at == done.finished_at
    page = analyst.get("/analysis/evaluation/", {"programme": programme}).content.decode()
    assert "; chiffres au " in page  # "computing ...; figures as of <time>"


def test_the_queue_s_applier_takes_in_every_pending_change_batch_by_batch(
    world: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    aggregates.aggregates_rebuild()
    _history(9, world, persons=4)
    marks = AggregatePending.objects.count()
    monkeypatch.setattr(aggregates, "APPLY_BATCH", 3)
    assert marks > 3  # more than one batch
    assert aggregates.aggregates_apply_task.call() == marks
    assert not AggregatePending.objects.exists()
    kept = _cells()
    aggregates.aggregates_rebuild()
    assert_frame_equal(_cells(), kept)


def test_a_view_with_more_pending_than_it_takes_in_computes_in_full(
    world: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    aggregates.aggregates_rebuild()
    _history(10, world, persons=3)
    monkeypatch.setattr(aggregates, "VIEW_APPLY_LIMIT", 2)
    assert AggregatePending.objects.count() > 2
    # Nothing stale: the figures computed from every record, and the applier queued (the
    # tests' immediate backend runs it once the view's transaction commits).
    with django_capture_on_commit_callbacks(execute=True):
        assert data.aggregates_key(SECTOR) is None
    assert not AggregatePending.objects.exists()
    assert data.aggregates_key(SECTOR) is not None
