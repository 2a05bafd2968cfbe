"""CPU per request of `benchmarks/web.py`'s mix, in one process: the same site (the
knowledge base and 5 000 synthetic programmes on PostgreSQL) and the same requests (a search
for a random word, a random programme's page, `POST /api/options` with a random synthetic
profile, each in a random interface language), taking turns, one at a time, through the WSGI
application gunicorn serves (`passerelle.web.config.wsgi.application`: whatever it answers
before Django, then the whole middleware stack; no gunicorn, no network), each request from
a new visitor (no cookie, as the load generator's), with the production-like
`bench_settings` and a file page cache of its own. `--client django` goes through Django's
test client instead (Django's handler only, cookies kept between requests), as this script
did until 8 December 2026.

Prints, per endpoint, the Python CPU (process time) and the PostgreSQL CPU (this
connection's backend only, so other loads on a shared server do not count) per request,
and the queries per request; with --profile, the cProfile of the measured requests. Less
noisy than the load benchmark on a shared machine: compare two versions of the code by
running this script on each, in turns (docs/benchmarks.md).

    .venv/bin/python benchmarks/web_cpu.py [--requests 3000] [--profile] [--top 30]
        [--client wsgi|django]
"""

from __future__ import annotations

import argparse
import collections
import cProfile
import io
import json
import os
import pstats
import random
import sys
import tempfile
import time
import types
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))
import web
from web import create_database, drop_database, postgres_url

LANGUAGES = ("fr", "nl", "en", "ar")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000, help="requests measured")
    parser.add_argument("--warm", type=int, default=600, help="requests before measuring")
    parser.add_argument("--programmes", type=int, default=5000, help="synthetic programmes")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--profile", action="store_true", help="cProfile the measured requests")
    parser.add_argument("--top", type=int, default=30, help="profile lines shown")
    parser.add_argument("--database", default="passerelle_bench_web_cpu")
    parser.add_argument(
        "--cold",
        action="store_true",
        help="no page rendered ahead (the worker's task after a load): first visits render",
    )
    parser.add_argument(
        "--client",
        choices=("wsgi", "django"),
        default="wsgi",
        help="gunicorn's WSGI application (default) or Django's test client",
    )
    args = parser.parse_args()

    base_url = postgres_url()
    database_url = create_database(base_url, args.database)
    with tempfile.TemporaryDirectory(prefix="passerelle-web-cpu-") as cache_dir:
        os.environ["PASSERELLE_CACHE_DIR"] = cache_dir
        try:
            measure(args, database_url)
        finally:
            drop_database(base_url, args.database)


def measure(args: argparse.Namespace, database_url: str) -> None:
    data = web.prepare(
        database_url, args.programmes, args.seed, prerender=() if args.cold else LANGUAGES
    )
    from django.db import connection
    from django.test import Client

    rng = random.Random(args.seed)
    client = Client(HTTP_HOST="127.0.0.1") if args.client == "django" else WsgiClient()
    counted = [0]

    def counting(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        counted[0] += 1
        return execute(sql, params, many, context)

    def search() -> int:
        word = quote(rng.choice(data["words"]))
        return client.get(f"/directory/?q={word}", HTTP_ACCEPT_LANGUAGE=language()).status_code

    def page() -> int:
        slug = rng.choice(data["slugs"])
        return client.get(f"/programmes/{slug}/", HTTP_ACCEPT_LANGUAGE=language()).status_code

    def options() -> int:
        body = rng.choice(data["requests"])
        return client.post(
            "/api/options", body, content_type="application/json", HTTP_ACCEPT_LANGUAGE=language()
        ).status_code

    def language() -> str:
        return rng.choice(LANGUAGES)

    endpoints = {"directory search": search, "programme page": page, "POST /api/options": options}
    cpu: collections.defaultdict[str, float] = collections.defaultdict(float)
    queries: collections.Counter[str] = collections.Counter()
    done: collections.Counter[str] = collections.Counter()
    failed: collections.Counter[str] = collections.Counter()

    def run(count: int) -> None:
        names = list(endpoints)
        with connection.execute_wrapper(counting):
            for turn in range(count):
                name = names[turn % len(names)]
                counted[0] = 0
                started = time.process_time()
                status = endpoints[name]()
                cpu[name] += time.process_time() - started
                queries[name] += counted[0]
                done[name] += 1
                failed[name] += status != 200

    run(args.warm)
    for counter in (cpu, queries, done, failed):
        counter.clear()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = psutil.Process(cursor.fetchone()[0])
    db_before = sum(backend.cpu_times()[:2])
    profile = cProfile.Profile(time.process_time) if args.profile else None
    wall = time.perf_counter()
    if profile:
        profile.enable()
    run(args.requests)
    if profile:
        profile.disable()
    wall = time.perf_counter() - wall
    db_cpu = sum(backend.cpu_times()[:2]) - db_before
    total = sum(done.values())
    print(f"{total} requests in {wall:.1f} s; load average {os.getloadavg()[0]:.2f}")
    print(f"{'endpoint':<18} {'done':>6} {'failed':>6} {'CPU ms':>8} {'queries':>8}")
    for name in endpoints:
        print(
            f"{name:<18} {done[name]:>6} {failed[name]:>6} "
            f"{1000 * cpu[name] / done[name]:>8.2f} {queries[name] / done[name]:>8.1f}"
        )
    print(
        f"{'all':<18} {total:>6} {sum(failed.values()):>6} "
        f"{1000 * sum(cpu.values()) / total:>8.2f} {sum(queries.values()) / total:>8.1f}"
    )
    print(f"PostgreSQL CPU per request (this connection): {1000 * db_cpu / total:.2f} ms")
    print(
        f"server and database: {1000 * (sum(cpu.values()) + db_cpu) / total:.2f} ms of CPU per "
        "request"
    )
    if profile:
        for order in ("cumulative", "tottime"):
            out = io.StringIO()
            pstats.Stats(profile, stream=out).sort_stats(order).print_stats(args.top)
            print(out.getvalue())
    connection.close()


class WsgiClient:
    """Requests to gunicorn's WSGI application, as gunicorn makes them, from new visitors."""

    def __init__(self) -> None:
        from django.core.signals import request_finished, request_started
        from django.db import close_old_connections

        from passerelle.web.config.wsgi import application

        self.application = application
        # One database connection for the whole run, as the test client keeps it: its
        # backend's CPU is what is measured (gunicorn keeps it CONN_MAX_AGE seconds).
        request_started.disconnect(close_old_connections)
        request_finished.disconnect(close_old_connections)

    def get(self, url: str, **headers: str) -> Any:
        path, _sep, query = url.partition("?")
        return self._call("GET", path, query, b"", "", headers)

    def post(self, path: str, body: Any, content_type: str, **headers: str) -> Any:
        return self._call("POST", path, "", json.dumps(body).encode(), content_type, headers)

    def _call(
        self, method: str, path: str, query: str, body: bytes, kind: str, headers: dict[str, str]
    ) -> Any:
        environ = {
            "REQUEST_METHOD": method, "PATH_INFO": unquote(path), "QUERY_STRING": query,
            "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "80", "HTTP_HOST": "127.0.0.1",
            "REMOTE_ADDR": "127.0.0.1", "SERVER_PROTOCOL": "HTTP/1.1",
            "CONTENT_TYPE": kind, "CONTENT_LENGTH": str(len(body)),
            "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(body), "wsgi.errors": sys.stderr,
            **headers,
        }  # fmt: skip
        given: list[str] = []
        result = self.application(environ, lambda status, _headers, *_: given.append(status))
        b"".join(result)
        close = getattr(result, "close", None)
        if close is not None:
            close()  # as gunicorn: request_finished, connections returned
        return types.SimpleNamespace(status_code=int(given[0][:3]))


if __name__ == "__main__":
    main()
