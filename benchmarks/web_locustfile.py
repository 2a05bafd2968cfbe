"""Locust users for `benchmarks/web.py`: one user class per endpoint, each user paced at a
constant throughput so that the users of a class together send `--rate` requests per second
(an open-loop target as long as the server keeps up; when it does not, the achieved rate
falls and the report says so).

    locust -f benchmarks/web_locustfile.py --headless --host http://127.0.0.1:PORT \\
        --bench-data DATA.json --rate 200 --users-per-endpoint 100 -u 300 -r 300 \\
        --run-time 60s [SearchUser ProgrammeUser OptionsUser]

DATA.json (written by web.py) holds the search words, the programme slugs and synthetic
profiles: {"words": [...], "slugs": [...], "requests": [{"profile": {...}, "on": "..."}]}.

The pacing is locust's `constant_throughput` with one change: each user starts at a random
phase of its period and keeps it. Locust starts a batch of users at the same instant and
`constant_throughput` keeps them in step (it makes up for a delay in `on_start`), so the
requests arrive in bursts: measured here, 90 % of them within 0.1 ms of the previous one,
which tripled the latency of a programme page at 20 requests per second (20 ms instead of
7 ms). With random phases the arrivals are spread as independent visitors' are.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from time import perf_counter
from typing import Any
from urllib.parse import quote

import gevent
from locust import events, task
from locust.contrib.fasthttp import FastHttpUser

INTERFACE_LANGUAGES = ("fr", "nl", "en", "ar")
DATA: dict[str, Any] = {"words": ["cours"], "slugs": [], "requests": []}


@events.init_command_line_parser.add_listener
def _arguments(parser: Any) -> None:
    parser.add_argument("--bench-data", default="", help="JSON file written by web.py")
    parser.add_argument("--rate", type=float, default=200.0, help="requests/s per endpoint")
    parser.add_argument("--users-per-endpoint", type=int, default=100)


@events.init.add_listener
def _configure(environment: Any, **_kwargs: Any) -> None:
    options = environment.parsed_options
    if options is None:
        return
    if options.bench_data:
        DATA.update(json.loads(Path(options.bench_data).read_text(encoding="utf-8")))
    for user in (SearchUser, ProgrammeUser, OptionsUser):
        user.fixed_count = options.users_per_endpoint
        user.period = options.users_per_endpoint / options.rate


class _PasserelleUser(FastHttpUser):
    abstract = True
    period = 0.5
    """Seconds between two requests of one user."""
    connection_timeout = 10.0
    network_timeout = 10.0
    next_start = 0.0

    def on_start(self) -> None:
        gevent.sleep(random.uniform(0, self.period))
        self.next_start = perf_counter()

    def wait_time(self) -> float:
        """Constant throughput from this user's phase; behind schedule (slow answers), go
        at once and take the new phase."""
        now = perf_counter()
        self.next_start = max(self.next_start + self.period, now)
        return self.next_start - now

    def _headers(self) -> dict[str, str]:
        return {"Accept-Language": random.choice(INTERFACE_LANGUAGES)}


class SearchUser(_PasserelleUser):
    """GET /directory/?q=<a word>: full-text search over names and descriptions."""

    @task
    def search(self) -> None:
        word = random.choice(DATA["words"])
        self.client.get(
            f"/directory/?q={quote(word)}", name="GET /directory/?q=", headers=self._headers()
        )


class ProgrammeUser(_PasserelleUser):
    """GET /programmes/<slug>/: one programme page, knowledge or synthetic."""

    @task
    def programme(self) -> None:
        slug = random.choice(DATA["slugs"])
        self.client.get(
            f"/programmes/{slug}/", name="GET /programmes/<slug>/", headers=self._headers()
        )


class OptionsUser(_PasserelleUser):
    """POST /api/options: what a synthetic person can do on a date (JSON in, JSON out)."""

    @task
    def options(self) -> None:
        body = random.choice(DATA["requests"])
        self.client.post(
            "/api/options",
            data=json.dumps(body),
            name="POST /api/options",
            headers={**self._headers(), "Content-Type": "application/json"},
        )
