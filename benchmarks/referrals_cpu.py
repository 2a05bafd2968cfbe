"""CPU per API request of the referral benchmark's mix, in one process: the same simulated
caseworkers as `benchmarks/referrals.py` (same actions, same checks), taking turns, one
request at a time, through Django's test client (the whole middleware stack and
django-ninja, no gunicorn, no network), on PostgreSQL. Synthetic data only.

Prints the Python CPU (process time) per request, the PostgreSQL CPU per request (the
backends of the server the DATABASE_URL names) and the queries per request by action; with
--profile, the cProfile of the measured requests (by cumulative and by own time). Less noisy
than the load benchmark on a shared machine: compare two versions of the code by running
this script on each, in turns. With --calls N, N more requests are each run under cProfile
to count the Python function calls per request by action: a figure that, unlike CPU time,
the machine's other load does not change (issue 20 was bisected on it).

    .venv/bin/python benchmarks/referrals_cpu.py [--requests 3000] [--profile] [--top 40]
        [--calls 300]
"""

from __future__ import annotations

import argparse
import collections
import cProfile
import io
import json
import os
import pstats
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import referrals
from web import cpu_seconds, create_database, drop_database, postgres_url, postmaster_of


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000, help="requests measured")
    parser.add_argument("--warm", type=int, default=600, help="requests before measuring")
    parser.add_argument("--caseworkers", type=int, default=50)
    parser.add_argument("--profile", action="store_true", help="cProfile the measured requests")
    parser.add_argument("--top", type=int, default=40, help="profile lines shown")
    parser.add_argument("--dump", type=Path, help="with --profile: write the pstats file here")
    parser.add_argument(
        "--calls", type=int, default=0, help="requests after the measured ones, each profiled"
    )
    parser.add_argument("--database", default="passerelle_bench_referrals_cpu")
    args = parser.parse_args()

    base_url = postgres_url()
    database_url = create_database(base_url, args.database)
    try:
        data = referrals.prepare(database_url, args.caseworkers, 4)
        from django.db import connection
        from django.test import Client

        client = Client(HTTP_HOST="127.0.0.1")
        queries: collections.Counter[str] = collections.Counter()
        cpu: collections.defaultdict[str, float] = collections.defaultdict(float)
        done: collections.Counter[str] = collections.Counter()
        current = {"action": ""}
        calls: collections.Counter[str] = collections.Counter()
        profiled: collections.Counter[str] = collections.Counter()
        per_call = {"profile": False}

        def call(host: str, token: str, method: str, path: str, body: Any = None) -> Any:
            payload = json.dumps(body) if body is not None else ""
            counted[0] = 0
            one = cProfile.Profile() if per_call["profile"] else None
            started = time.process_time()
            if one:
                one.enable()
            response = client.generic(
                method,
                path,
                payload,
                content_type="application/json",
                HTTP_AUTHORIZATION=f"Bearer {token}",
            )
            if one:
                one.disable()
                calls[current["action"]] += sum(entry.callcount for entry in one.getstats())
                profiled[current["action"]] += 1
            answer = json.loads(response.content or b"null")
            action = current["action"]
            cpu[action] += time.process_time() - started
            queries[action] += counted[0]
            done[action] += 1
            return response.status_code, answer

        referrals.call = call
        stats = referrals.Stats()
        workers = [
            referrals.Caseworker(n, "", data, stats, 0.0, 0.0) for n in range(args.caseworkers)
        ]
        original = referrals.Caseworker.request

        def request(self: Any, action: str, *rest: Any, **kw: Any) -> Any:
            current["action"] = action
            return original(self, action, *rest, **kw)

        referrals.Caseworker.request = request  # type: ignore[method-assign]
        counted = [0]

        def counting(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
            counted[0] += 1
            return execute(sql, params, many, context)

        def run(count: int) -> None:
            turn = 0
            with connection.execute_wrapper(counting):
                while sum(done.values()) < count:
                    workers[turn % len(workers)].step()
                    turn += 1

        run(args.warm)
        for counter in (cpu, queries, done):
            counter.clear()
        postgres = postmaster_of(database_url)
        db_before = cpu_seconds(postgres) if postgres else 0.0
        profile = cProfile.Profile(time.process_time) if args.profile else None
        wall = time.perf_counter()
        if profile:
            profile.enable()
        run(args.requests)
        if profile:
            profile.disable()
        wall = time.perf_counter() - wall
        db_cpu = (cpu_seconds(postgres) - db_before) if postgres else 0.0
        total = sum(done.values())
        print(f"{total} requests in {wall:.1f} s; load average {os.getloadavg()[0]:.2f}")
        print(f"{'action':<14} {'done':>6} {'CPU ms':>8} {'queries':>8}")
        for action in sorted(done):
            print(
                f"{action:<14} {done[action]:>6} {1000 * cpu[action] / done[action]:>8.2f} "
                f"{queries[action] / done[action]:>8.1f}"
            )
        print(
            f"{'all':<14} {total:>6} {1000 * sum(cpu.values()) / total:>8.2f} "
            f"{sum(queries.values()) / total:>8.1f}"
        )
        print(f"PostgreSQL CPU per request: {1000 * db_cpu / total:.2f} ms")
        if args.calls:
            per_call["profile"] = True
            run(total + args.calls)
            print(f"{'action':<14} {'done':>6} {'Python calls per request':>25}")
            for action in sorted(profiled):
                mean = calls[action] / profiled[action]
                print(f"{action:<14} {profiled[action]:>6} {mean:>25,.0f}")
            mean = sum(calls.values()) / max(sum(profiled.values()), 1)
            print(f"{'all':<14} {sum(profiled.values()):>6} {mean:>25,.0f}")
        errors = sum(stats.errors.values())
        print(f"errors: {errors} {dict(stats.errors) if errors else ''}")
        if profile and args.dump:
            profile.dump_stats(args.dump)
        if profile:
            for order in ("cumulative", "tottime"):
                out = io.StringIO()
                pstats.Stats(profile, stream=out).sort_stats(order).print_stats(args.top)
                print(out.getvalue())
        connection.close()
    finally:
        drop_database(base_url, args.database)


if __name__ == "__main__":
    main()
