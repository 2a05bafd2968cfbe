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

import polars as pl
import pytest
from django.contrib.auth.models import User
from django.test import override_settings
from django.utils import timezone
from polars.testing import assert_frame_equal
from tests.support.accounts import actor_of
from tests.support.aggregates import (
    assert_same,
    both_paths,
    cells_kept,
    event_on,
    history,
    person_file,
    referral_of,
    scopes,
    world,
)

from passerelle.core.indicators.aggregates import CELLS_SCHEMA, sum_cells
from passerelle.web.apps.directory.models import Organisation, Partnership
from passerelle.web.apps.followups.models import FollowUp, FollowUpState
from passerelle.web.apps.monitoring import aggregates, data
from passerelle.web.apps.monitoring.models import AggregateCell, AggregatePending, AggregateState
from passerelle.web.apps.monitoring.selectors import SECTOR
from passerelle.web.apps.people.models import Person
from passerelle.web.apps.referrals.models import Referral

__all__ = ["world"]  # the fixture


@pytest.fixture(autouse=True)
def platform_records() -> Iterator[None]:
    with override_settings(PASSERELLE_DEMONSTRATION=False, MONITORING_THRESHOLD=3):
        yield


@pytest.mark.parametrize("seed", [1, 2])
def test_the_hook_keeps_the_same_figures_as_the_full_computation(
    world: dict[str, Any], seed: int
) -> None:
    aggregates.aggregates_rebuild()  # on empty tables: from here on, the hook alone
    persons = history(seed, world, persons=7)
    # Changes after the fact: a file edited, a referral deleted, a file erased.
    persons[0].profile = {**persons[0].profile, "legal_status": "refugee"}
    persons[0].save()
    referral = Referral.objects.filter(person__in=persons[1:]).order_by("pk").first()
    if referral is not None:
        referral.delete()
    Referral.objects.filter(person=persons[-1]).delete()
    persons[-1].delete()
    for scope in scopes(world):
        aggregated, full = both_paths(scope, world)
        assert_same(aggregated, full)
    kept = cells_kept()
    aggregates.aggregates_rebuild()
    assert_frame_equal(cells_kept(), kept)  # the hook's totals are the rebuild's


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
        person = person_file(rng, world["organisations"][1], today)
        person.profile["legal_status"] = "refugee"  # a right to work: counted by the curve
        person.save()
    aggregates.aggregates_rebuild()
    programme = world["programmes"][0]
    person = Person.objects.filter(organisation=programme.organisation).first()
    assert person is not None
    referral = referral_of(person, programme, "completed", planned_start=today, outcome="finished")
    ended = today - dt.timedelta(days=200)
    for number, (before, after) in enumerate(
        [("draft", "sent"), ("sent", "accepted"), ("accepted", "in_progress")], start=2
    ):
        event_on(referral, number, before, after, ended - dt.timedelta(days=10))
    event_on(referral, 5, "in_progress", "completed", ended)
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
    history(3, world, persons=5)
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
    history(4, world, persons=5)
    aggregates.aggregates_rebuild()
    Partnership.objects.get(slug="test-partnership").members.add(organisations["c"])
    assert aggregates.usable() is None


def test_the_command_rebuilds_the_aggregates(world: dict[str, Any]) -> None:
    from typer.testing import CliRunner

    from passerelle.cli.main import app

    history(6, world, persons=2)
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

    history(7, world, persons=6)
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
    history(8, world, persons=1)  # a change: a newer evaluation is due
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
    history(9, world, persons=4)
    marks = AggregatePending.objects.count()
    monkeypatch.setattr(aggregates, "APPLY_BATCH", 3)
    assert marks > 3  # more than one batch
    assert aggregates.aggregates_apply_task.call() == marks
    assert not AggregatePending.objects.exists()
    kept = cells_kept()
    aggregates.aggregates_rebuild()
    assert_frame_equal(cells_kept(), kept)


def test_a_view_with_more_pending_than_it_takes_in_computes_in_full(
    world: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    aggregates.aggregates_rebuild()
    history(10, world, persons=3)
    monkeypatch.setattr(aggregates, "VIEW_APPLY_LIMIT", 2)
    assert AggregatePending.objects.count() > 2
    # Nothing stale: the figures computed from every record, and the applier queued (the
    # tests' immediate backend runs it once the view's transaction commits).
    with django_capture_on_commit_callbacks(execute=True):
        assert data.aggregates_key(SECTOR) is None
    assert not AggregatePending.objects.exists()
    assert data.aggregates_key(SECTOR) is not None
