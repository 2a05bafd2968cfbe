"""The aggregates under concurrent writes (issue 17): writes only mark their person pending,
never wait on the applier nor on one another, and whatever the interleaving of writers and
appliers on the persons of one linkage cluster, the totals taken in equal a rebuild's.
PostgreSQL only (row and advisory locks); synthetic people only."""

from __future__ import annotations

import datetime as dt
import random
import threading
from collections.abc import Callable, Iterator
from typing import Any
from unittest import mock

import pytest
from django.db import connection, transaction
from django.test import override_settings
from django.utils import timezone
from polars.testing import assert_frame_equal
from tests.support.aggregates import (
    assert_same,
    both_paths,
    cells_kept,
    event_on,
    person_file,
    referral_of,
    world,
)
from tests.support.concurrency import at_once

from passerelle.web.apps.beneficiaries.models import (
    BatchSource,
    ClusterMember,
    EncodedRecord,
    EncodingBatch,
    LinkageRun,
)
from passerelle.web.apps.directory.models import Organisation
from passerelle.web.apps.followups.models import Participation
from passerelle.web.apps.monitoring import aggregates, data
from passerelle.web.apps.monitoring.models import AggregatePending, AggregateState
from passerelle.web.apps.monitoring.selectors import SECTOR
from passerelle.web.apps.people.models import Person
from passerelle.web.apps.referrals.models import ReferralEvent

__all__ = ["world"]  # the fixture

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="locks need PostgreSQL"),
]

STATUSES = ("refugee", "asylum_seeker", "subsidiary_protection")
WRITERS = 4
CHANGES = 6


@pytest.fixture(autouse=True)
def platform_records() -> Iterator[None]:
    with override_settings(PASSERELLE_DEMONSTRATION=False, MONITORING_THRESHOLD=3):
        yield


def _linked(files: list[list[Person]]) -> None:
    """A finished linkage run whose clusters put each list of files together (as a run
    stores them: the clustering itself is the linkage's tests' business)."""
    run = LinkageRun.objects.create(
        threshold=0.6, review_low=0.3, review_high=0.9, status="done", finished_at=timezone.now()
    )
    batches: dict[int, EncodingBatch] = {}
    for cluster, members in enumerate(files, start=1):
        for person in members:
            organisation = person.organisation
            if organisation.pk not in batches:
                batches[organisation.pk] = EncodingBatch.objects.create(
                    organisation=organisation, source=BatchSource.PLATFORM
                )
            record = EncodedRecord.objects.create(
                batch=batches[organisation.pk],
                organisation=organisation,
                record_id=str(person.pk),
                encoding={},
            )
            ClusterMember.objects.create(run=run, record=record, cluster=cluster)


def _change(rng: random.Random, person: Person, world: dict[str, Any]) -> None:
    """One recorded change of the person, in its own transaction, through the signals."""
    today = timezone.localdate()
    programme = rng.choice(world["programmes"])
    day = today - dt.timedelta(days=rng.randrange(20, 700))
    with transaction.atomic():
        kind = rng.randrange(3)
        if kind == 0:
            fresh = Person.objects.get(pk=person.pk)
            fresh.profile = {**fresh.profile, "legal_status": rng.choice(STATUSES)}
            fresh.save()
        elif kind == 1:
            Participation.objects.create(
                person=person,
                organisation=programme.organisation,
                programme=programme,
                started_on=day,
                ended_on=day + dt.timedelta(days=60),
            )
        else:
            referral = referral_of(person, programme, "in_progress", planned_start=day)
            path = [("draft", "sent"), ("sent", "accepted"), ("accepted", "in_progress")]
            for number, (before, after) in enumerate(path, start=2):
                event_on(referral, number, before, after, day)


def _in_threads(targets: list[Callable[[], None]]) -> None:
    """Run each target in its own thread (its own database connection), released together;
    re-raise the first error."""
    outcomes = at_once({str(n): target for n, target in enumerate(targets)}, Exception)
    for outcome in outcomes.values():
        if isinstance(outcome, Exception):
            raise outcome


def test_concurrent_writes_on_one_cluster_give_the_rebuild_s_totals(
    world: dict[str, Any], organisations: dict[str, Organisation]
) -> None:
    rng, today = random.Random(17), timezone.localdate()
    a, b, c = organisations["a"], organisations["b"], organisations["c"]
    # One person with files at a, b and c (one cluster), another at a and b, and two alone.
    files = [person_file(rng, holder, today) for holder in (a, b, c, a, b, c, a)]
    _linked([files[0:3], files[3:5]])
    aggregates.aggregates_rebuild()
    assert data.aggregates_key(SECTOR) is not None
    stop = threading.Event()

    def writer(number: int) -> Callable[[], None]:
        def write() -> None:
            local = random.Random(number)
            for _ in range(CHANGES):  # mostly the shared cluster's files
                _change(local, local.choice(files[:3] * 2 + files[3:]), world)

        return write

    applied: list[int] = []

    def applier() -> None:  # a few marks at a time, between the writes
        try:
            while not stop.is_set():
                applied.append(aggregates.aggregates_apply(limit=3) or 0)
        finally:
            connection.close()

    # `event_on` dates each event in the past by patching the field; patched here first, so
    # that the threads' patches all find and leave it patched.
    with mock.patch.object(ReferralEvent._meta.get_field("at"), "auto_now_add", False):
        applying = threading.Thread(target=applier)
        applying.start()
        try:
            _in_threads([writer(number) for number in range(WRITERS)])
        finally:
            stop.set()
            applying.join(timeout=300)
            connection.close()
    assert sum(applied) > 0  # the applier took changes in while the writers wrote
    for scope in (SECTOR,):
        aggregated, full = both_paths(scope, world)  # the view takes in what is pending
        assert_same(aggregated, full)
    assert not AggregatePending.objects.exists()
    kept = cells_kept()
    aggregates.aggregates_rebuild()
    assert_frame_equal(cells_kept(), kept)


def test_a_write_does_not_wait_for_the_applier(
    world: dict[str, Any], organisations: dict[str, Organisation]
) -> None:
    rng, today = random.Random(3), timezone.localdate()
    person = person_file(rng, organisations["a"], today)
    aggregates.aggregates_rebuild()
    held, release = threading.Event(), threading.Event()

    def applier_holding_its_lock() -> None:
        # The applier's lock and the state's row, as long as the write below takes.
        with transaction.atomic():
            aggregates._applier_lock()
            AggregateState.objects.select_for_update().get()
            held.set()
            release.wait(timeout=60)

    holder = threading.Thread(target=lambda: _in_threads([applier_holding_its_lock]))
    holder.start()
    try:
        assert held.wait(timeout=60)
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '2s'")  # a wait would fail here
            person.profile = {**person.profile, "legal_status": "refugee"}
            person.save()
        assert AggregatePending.objects.filter(file=str(person.pk)).exists()
    finally:
        release.set()
        holder.join(timeout=60)
    assert data.aggregates_key(SECTOR) is not None  # the next view takes it in
    assert not AggregatePending.objects.exists()
