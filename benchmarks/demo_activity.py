"""The demo's activity (`passerelle demo-activity`, issue 17): seconds and database queries
per person, and per call of each service the lives go through.

On a fresh database by default: a SQLite file in a temporary directory (what `make demo`
uses), migrated, with the knowledge base and `demo-data` loaded, then `--persons` synthetic
lives recorded through the services (SYNTHETIC DATA ONLY). With DATABASE_URL set, that
database is used as it is (load the knowledge base and `demo-data` first; the seed's
persons already there are skipped, so use a fresh one or another --seed).

Prints: the lives' seconds and queries per person, the tail's seconds (matching rounds,
encodings and the linkage run), then per service: calls, queries, queries per call.

    .venv/bin/python benchmarks/demo_activity.py [--persons 300] [--seed 2026]

Figures and the goal: docs/indicators.md, "The demo's activity".
"""

from __future__ import annotations

import collections
import datetime as dt
import functools
import importlib
import os
import tempfile
import time
from typing import Any

from harness import arguments, timed

SERVICES = (
    ("passerelle.web.apps.people.services", "person_create"),
    ("passerelle.web.apps.people.services", "consent_record"),
    ("passerelle.web.apps.referrals.services", "referral_create"),
    ("passerelle.web.apps.referrals.services", "referral_transition"),
    ("passerelle.web.apps.followups.services", "follow_ups_schedule"),
    ("passerelle.web.apps.followups.services", "follow_up_record"),
)
TAIL = ("_matching_rounds", "_encodings_and_linkage")


class Counts:
    """Queries of the connection, in total and within each watched function (inclusive)."""

    def __init__(self) -> None:
        self.total = 0
        self.queries: collections.Counter[str] = collections.Counter()
        self.calls: collections.Counter[str] = collections.Counter()
        self.seconds: collections.Counter[str] = collections.Counter()

    def execute(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        self.total += 1
        return execute(sql, params, many, context)

    def watch(self, module: Any, name: str) -> None:
        function = getattr(module, name)

        @functools.wraps(function)
        def watched(*args: Any, **kwargs: Any) -> Any:
            before, started = self.total, time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                self.queries[name] += self.total - before
                self.calls[name] += 1
                self.seconds[name] += time.perf_counter() - started

        setattr(module, name, watched)


def _fresh_database() -> None:
    """Migrate the new SQLite database and load the knowledge base and demo-data into it,
    as `make demo` does before `demo-activity`."""
    from django.core.management import call_command

    from passerelle.cli.main import app

    call_command("migrate", verbosity=0)
    for command in (["load"], ["demo-data"]):
        app(command, standalone_mode=False)


def main() -> None:
    parser = arguments(__doc__)
    parser.add_argument("--persons", type=int, default=300)
    parser.add_argument("--seed", type=int, default=2026)
    options = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "passerelle.web.config.settings.dev")
    fresh = not os.environ.get("DATABASE_URL")
    if fresh:  # read by the settings: set before Django starts
        folder = tempfile.mkdtemp(prefix="passerelle-demo-bench-")
        os.environ["DATABASE_URL"] = f"sqlite:///{folder}/demo.sqlite3"
    import django

    django.setup()
    if fresh:
        _fresh_database()
    from django.db import connection

    from passerelle.cli import demo_activity

    counts = Counts()
    for module, name in SERVICES:
        counts.watch(importlib.import_module(module), name)
    for name in TAIL:
        counts.watch(demo_activity, name)
    with connection.execute_wrapper(counts.execute):
        report, seconds = timed(
            lambda: demo_activity.demo_activity_record(
                persons=options.persons, seed=options.seed, on=dt.date.today()
            )
        )
    _print(report, seconds, counts)


def _print(report: Any, seconds: float, counts: Counts) -> None:
    tail_seconds = sum(counts.seconds[name] for name in TAIL)
    tail_queries = sum(counts.queries[name] for name in TAIL)
    lives, persons = seconds - tail_seconds, max(1, report.persons)
    print(f"database: {os.environ.get('DATABASE_URL', '')[:60]}")
    print(f"persons {report.persons}, files {report.files}, referrals {report.referrals}")
    print(f"{'':28} {'seconds':>9} {'per person':>11} {'queries':>9} {'per person':>11}")
    print(
        f"{'lives':28} {lives:9.1f} {lives / persons:11.3f} "
        f"{counts.total - tail_queries:9d} {(counts.total - tail_queries) / persons:11.1f}"
    )
    print(f"{'tail (rounds, linkage)':28} {tail_seconds:9.1f} {'':11} {tail_queries:9d}")
    print(f"\n{'service':28} {'calls':>9} {'queries':>9} {'per call':>9} {'seconds':>9}")
    for _module, name in SERVICES:
        calls = max(1, counts.calls[name])
        print(
            f"{name:28} {counts.calls[name]:9d} {counts.queries[name]:9d} "
            f"{counts.queries[name] / calls:9.1f} {counts.seconds[name]:9.1f}"
        )


if __name__ == "__main__":
    main()
