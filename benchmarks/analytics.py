"""The analysis side on the platform's records in PostgreSQL: dashboard, funder report and
evaluation page timed right after a change (a new referral event, so every cached figure
is recomputed: figures are never stale), and again without a change (the cache), against
the synthetic-only path (the demonstration) in the same run. Prints a table.

The database is filled with synthetic records written in bulk (synthetic data only, never
real people): persons spread over organisations, each with referrals that go through
sent, accepted, started and completed (some rejected with a reason), dated over three
years. Issue 17 asks for 100 000 persons and 1 000 000 events (`--persons 100000
--referrals 250000`); the default runs in about a minute.

    .venv/bin/python benchmarks/analytics.py [--persons 3000] [--referrals 8000] [--repeats 5]

The database of PASSERELLE_BENCH_DATABASE_URL (its name must contain "bench"; default above)
is created if missing and emptied of the platform's person files and referrals first; the
benchmark never reads DATABASE_URL.
"""

from __future__ import annotations

import os

os.environ.setdefault("POLARS_MAX_THREADS", "2")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "passerelle.web.config.settings.test")

import argparse
import datetime as dt
import statistics
import time
import uuid
from collections.abc import Callable
from typing import Any

import numpy as np

DEFAULT_URL = "postgres://passerelle@127.0.0.1:54329/passerelle_bench_analytics"
STATES = ("sent", "accepted", "in_progress", "completed")
OUTCOMES = ("job_found", "finished", "training_started", "dropped_out")
LEVELS = ("A1", "A2", "B1", "B2", "C1", "C2")


def _create_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as connection:
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
        if exists.fetchone() is None:
            connection.execute(f'CREATE DATABASE "{name}"')


def _fill(persons: int, referrals: int, seed: int) -> int:
    """Synthetic organisations, programmes, person files, referrals and their events;
    returns the number of referral events."""
    from django.db import connection, transaction

    from passerelle.web.apps.directory.models import Organisation, Programme, stable_uuid
    from passerelle.web.apps.people.models import Person
    from passerelle.web.apps.referrals.models import Referral, ReferralEvent

    rng = np.random.default_rng(seed)
    from passerelle.web.apps.monitoring.models import AggregateState

    with transaction.atomic():
        # The aggregates are rebuilt after the fill: without their state the hook that each
        # deleted row sends does nothing (it would otherwise update them row by row).
        AggregateState.objects.all().delete()
        ReferralEvent.objects.all().delete()
        Referral.objects.all().delete()
        Person.objects.all().delete()
        organisations = []
        for index in range(8):
            slug = f"bench-organisation-{index}"
            organisation, _ = Organisation.objects.get_or_create(
                slug=slug,
                defaults={
                    "uuid": stable_uuid("organisation", slug),
                    "origin": "knowledge",
                    "names": {"fr": slug, "nl": slug, "en": slug},
                    "kind": "ngo",
                },
            )
            organisations.append(organisation)
        programmes = []
        for index in range(16):
            slug = f"bench-programme-{index}"
            programme, _ = Programme.objects.get_or_create(
                slug=slug,
                defaults={
                    "uuid": stable_uuid("programme", slug),
                    "origin": "knowledge",
                    "organisation": organisations[index % len(organisations)],
                    "names": {"fr": slug, "nl": slug, "en": slug},
                },
            )
            programmes.append(programme)
        statuses = ("refugee", "subsidiary_protection", "asylum_seeker", "family_reunification")
        files = [
            Person(
                organisation=organisations[int(rng.integers(len(organisations)))],
                given_names="Synthetic",
                given_names_latin="Synthetic",
                birth_date=dt.date(1970, 1, 1) + dt.timedelta(days=int(rng.integers(0, 12000))),
                profile={
                    "legal_status": statuses[int(rng.integers(len(statuses)))],
                    "asylum_application_date": "2019-02-01",
                    "asylum_decision_date": "2020-01-15",
                    "arrival_in_belgium": "2019-01-20",
                    # Varied, so that the evaluation's covariates are not constant.
                    "languages": {
                        "fr": LEVELS[int(rng.integers(len(LEVELS)))],
                        "en": LEVELS[int(rng.integers(len(LEVELS)))],
                    },
                    "education_isced": int(rng.integers(0, 8)),
                },
            )
            for _ in range(persons)
        ]
        Person.objects.bulk_create(files, batch_size=5000)
        made = []
        for _ in range(referrals):
            programme = programmes[int(rng.integers(len(programmes)))]
            person = files[int(rng.integers(persons))]
            rejected = rng.random() < 0.15
            last = int(rng.integers(0, len(STATES)))
            made.append(
                Referral(
                    id=uuid.uuid4(),
                    person=person,
                    programme=programme,
                    sender=person.organisation,
                    receiver=programme.organisation,
                    state="rejected" if rejected else STATES[last],
                    planned_start=dt.date(2024, 1, 1),
                    rejection_reason="no_capacity" if rejected else "",
                    outcome=OUTCOMES[int(rng.integers(len(OUTCOMES)))]
                    if not rejected and STATES[last] == "completed"
                    else "",
                )
            )
        Referral.objects.bulk_create(made, batch_size=5000)
        events = []
        for referral in made:
            path = (
                ["sent", "rejected"]
                if referral.state == "rejected"
                else list(STATES[: STATES.index(referral.state) + 1])
            )
            before = "draft"
            for number, state in enumerate(path, start=1):
                events.append(
                    ReferralEvent(
                        referral=referral,
                        number=number,
                        from_state=before,
                        to_state=state,
                        organisation_id=referral.receiver_id,
                    )
                )
                before = state
        ReferralEvent.objects.bulk_create(events, batch_size=10000)
        # Three years of activity: each referral starts on a random day, each step 9 days on.
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE referrals_referralevent AS e SET at = now() - "
                "((abs(hashtext(e.referral_id::text)) % 1000) - 9 * e.number) * interval '1 day'"
            )
    return len(events)


def _change(index: int = 0) -> float:
    """One recorded change: a new referral event (what a completion writes) of the
    `index`-th referral in progress (another person for each index), in its own transaction
    with the aggregates' hook (which marks the person pending); returns the seconds the
    write took."""
    from django.db import transaction

    from passerelle.web.apps.referrals.models import Referral, ReferralEvent

    in_progress = Referral.objects.filter(state="in_progress").order_by("pk")
    referral = in_progress[index : index + 1].first() or Referral.objects.first()
    assert referral is not None
    last = referral.events.order_by("-number").first()
    started = time.perf_counter()
    with transaction.atomic():
        ReferralEvent.objects.create(
            referral=referral,
            number=(last.number if last else 0) + 1,
            from_state="in_progress",
            to_state="completed",
            organisation_id=referral.receiver_id,
        )
    return time.perf_counter() - started


def _views(path: str) -> dict[str, Callable[[], Any]]:
    from passerelle.web.apps.monitoring import data, evaluations, views
    from passerelle.web.apps.monitoring.selectors import SECTOR

    def dashboard() -> Any:
        return data.dashboard_tables(SECTOR), data.km_curves(SECTOR), data.summary(SECTOR)

    def report() -> Any:
        source = data.summary(SECTOR)
        programme = views._programmes(SECTOR)[0]
        period = str(source.as_of.year - 1 if source.synthetic else source.as_of.year)
        return data.funder_report_of(SECTOR, programme, period)

    def evaluation() -> Any:
        if data.demonstration():
            return data.mentoring_evaluation("unobserved")
        starts = data.programme_starts(SECTOR)
        programme = min(starts, key=lambda name: (-starts[name], name))
        if path == "full":  # what the page computed in its request before the queue
            return data.platform_evaluation(SECTOR, programme)
        # The page: the latest finished evaluation, a newer one queued (its computation,
        # on the worker, is timed apart: "evaluation task").
        return evaluations.platform_evaluation_shown(SECTOR, programme)

    return {"dashboard": dashboard, "funder report": report, "evaluation": evaluation}


def _time(call: Callable[[], Any]) -> float:
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


def _p95(values: list[float]) -> float:
    return float(np.quantile(values, 0.95)) if values else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--persons", type=int, default=3000)
    parser.add_argument("--referrals", type=int, default=8000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    arguments = parser.parse_args()
    # Its own variable, never DATABASE_URL: the benchmark empties the tables it fills.
    url = os.environ.get("PASSERELLE_BENCH_DATABASE_URL", DEFAULT_URL)
    if "bench" not in url.rsplit("/", 1)[1]:
        parser.error("PASSERELLE_BENCH_DATABASE_URL: the database's name must contain 'bench'")
    os.environ["DATABASE_URL"] = url
    _create_database(url)
    import django
    from django.core.management import call_command
    from django.test import override_settings

    django.setup()
    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    events = _fill(arguments.persons, arguments.referrals, arguments.seed)
    fill_seconds = time.perf_counter() - started
    from passerelle.web.apps.monitoring.aggregates import aggregates_rebuild

    rebuild = aggregates_rebuild().build_seconds
    print(f"  filled in {fill_seconds:.1f} s, aggregates rebuilt in {rebuild:.1f} s", flush=True)
    rows: list[tuple[str, str, float, float, float]] = []
    writes: list[float] = []
    # The database queue (tasks stored, not run): the page never waits for the evaluation.
    for path, aggregated in (("aggregates", True), ("full", False)):
        with override_settings(
            PASSERELLE_DEMONSTRATION=False,
            MONITORING_BOOTSTRAP=20,
            MONITORING_AGGREGATES=aggregated,
            PASSERELLE_TASK_BACKEND="database",
        ):
            for name, call in _views(path).items():
                after_change, cached = [], []
                for _ in range(arguments.repeats):
                    writes.append(_change())
                    after_change.append(_time(call))
                    cached.append(_time(call))
                label = "aggregates + queue" if aggregated else "full recompute (before)"
                print(f"  measured: {name}, {label}: {after_change}", flush=True)
                rows.append(
                    (name, label, statistics.median(after_change), _p95(after_change),
                     _p95(cached))
                )  # fmt: skip
    write_to_view = _write_to_view(arguments.repeats)
    rows.append(_evaluation_task(arguments.repeats))
    rows.extend(_synthetic(arguments.repeats))
    print(
        f"\n{arguments.persons} persons, {arguments.referrals} referrals, {events} referral "
        f"events in PostgreSQL (filled in {fill_seconds:.1f} s); {arguments.repeats} changes "
        f"per view; aggregates rebuilt in {rebuild:.1f} s; a change's write with the hook: "
        f"median {statistics.median(writes) * 1000:.0f} ms, p95 {_p95(writes) * 1000:.0f} ms\n"
    )
    print(f"{'view':<20} {'path':<24} {'median s':>9} {'p95 s':>8} {'cached p95 s':>13}")
    for name, source, median, p95, warm in rows:
        print(f"{name:<20} {source:<24} {median:>9.3f} {p95:>8.3f} {warm:>13.4f}")
    print(f"\n{'writes':>6} {'then the dashboard, median s':>29} {'p95 s':>8}")
    for count, median, p95 in write_to_view:
        print(f"{count:>6} {median:>29.3f} {p95:>8.3f}")
    print(
        "\nafter a change (a new referral event): aggregates + queue takes in the changes "
        "pending (each change only marks its person) and reads the scope's aggregates, and "
        "queues the evaluation (the "
        "page shows the latest finished one, saying so); full recompute reads every record; "
        "evaluation task: the queued computation on the worker; synthetic: the first "
        "computation (the cohort does not change)."
    )


WRITE_COUNTS = (1, 10, 50)


def _write_to_view(repeats: int) -> list[tuple[int, float, float]]:
    """A view right after N writes (of N persons): what the view pays to take them in."""
    from django.test import override_settings

    from passerelle.web.apps.monitoring import data
    from passerelle.web.apps.monitoring.selectors import SECTOR

    rows = []
    with override_settings(PASSERELLE_DEMONSTRATION=False, PASSERELLE_TASK_BACKEND="database"):
        for count in WRITE_COUNTS:
            seconds = []
            for repeat in range(repeats):
                for index in range(count):
                    _change(1 + repeat * count + index)
                seconds.append(_time(lambda: data.dashboard_tables(SECTOR)))
            print(f"  measured: dashboard after {count} writes: {seconds}", flush=True)
            rows.append((count, statistics.median(seconds), _p95(seconds)))
    return rows


def _evaluation_task(repeats: int) -> tuple[str, str, float, float, float]:
    """The worker's part: each queued evaluation computed (on the records after a change)."""
    from django.test import override_settings

    from passerelle.web.apps.monitoring import data, evaluations
    from passerelle.web.apps.monitoring.selectors import SECTOR

    seconds = []
    with override_settings(
        PASSERELLE_DEMONSTRATION=False, MONITORING_BOOTSTRAP=20, PASSERELLE_TASK_BACKEND="database"
    ):
        starts = data.programme_starts(SECTOR)
        programme = min(starts, key=lambda name: (-starts[name], name))
        for _ in range(repeats):
            _change()
            version = evaluations.records_version(SECTOR)
            evaluations.platform_evaluation_shown(SECTOR, programme)  # queues it
            started = time.perf_counter()
            evaluations.platform_evaluation_task.call("sector", "", [], programme, version)
            seconds.append(time.perf_counter() - started)
    return ("evaluation task", "queue (worker)", statistics.median(seconds), _p95(seconds), 0.0)


def _synthetic(repeats: int) -> list[tuple[str, str, float, float, float]]:
    from django.test import override_settings

    rows = []
    with override_settings(
        PASSERELLE_DEMONSTRATION=True,
        MONITORING_SYNTHETIC_PERSONS=20_000,
        MONITORING_BOOTSTRAP=20,
    ):
        for name, call in _views("synthetic").items():
            first = _time(call)  # the synthetic cohort never changes: computed once
            cached = [_time(call) for _ in range(repeats)]
            rows.append((name, "synthetic (20 000)", first, first, _p95(cached)))
    return rows


if __name__ == "__main__":
    main()
