"""The task queue under load (docs/operations.md): tasks per second through the queue, and
the delay from a referral's transition to its webhook delivery at p50 and p95 while the
referral benchmark's simulated caseworkers move referrals through the API.

1. Throughput: N probe tasks (`ops.tasks.queue_probe`, which does nothing) are queued, then
   1 and then 2 worker processes (`manage.py worker`) run them; tasks per second from the
   first start to the last finish, read from the queue's own table.
2. Delay: the referral benchmark's synthetic network (benchmarks/referrals.py: 5 referring
   and 5 receiving organisations, one webhook each, synthetic people only) behind gunicorn,
   its caseworkers at --rate changes per second, with W workers sending the webhooks to a
   local receiver (an HTTP server in this process that answers 200 at once). For each
   delivery: `delivered_at` − the event's time; p50, p95, p99 and the deliveries left
   undelivered when the load stopped (then drained).

Creates `passerelle_bench_operations` (dropped at the end unless --keep). Needs PostgreSQL
on 127.0.0.1 (scripts/ensure-postgres.sh; DATABASE_URL when set). Figures on a shared
machine are noisy: the load average is printed with them.

    .venv/bin/python benchmarks/operations.py [--tasks 2000] [--duration 30] [--rate 100]
        [--caseworkers 20] [--workers 2] [--quick] [--keep]
"""

from __future__ import annotations

import argparse
import os
import secrets
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import referrals as referral_bench
from web import (
    BENCH_DIR,
    SETTINGS,
    create_database,
    drop_database,
    free_port,
    postgres_url,
    print_table,
    start_gunicorn,
    stop,
)

ROOT = BENCH_DIR.parent


class Receiver:
    """An organisation's system that answers 200 at once and counts what it got."""

    def __init__(self) -> None:
        self.count = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.count += 1
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def start_workers(count: int, env: dict[str, str], logs: Path) -> list[subprocess.Popen[bytes]]:
    command = [sys.executable, str(ROOT / "manage.py"), "worker", "--queue-name", "*"]
    command += ["--interval", "0.05", "--no-reload", "--no-startup-delay", "--verbosity", "0"]
    return [
        subprocess.Popen(
            command,
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=open(logs / f"worker-{n}.log", "wb"),
        )
        for n in range(count)
    ]


def stop_all(processes: list[subprocess.Popen[bytes]]) -> None:
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()


def wait_until(condition: Any, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


def throughput(tasks: int, workers: int, env: dict[str, str], logs: Path) -> list[str]:
    from django.db.models import Max, Min
    from django_tasks_db.models import DBTaskResult

    from passerelle.web.apps.ops.queue import enqueue
    from passerelle.web.apps.ops.tasks import queue_probe

    DBTaskResult.objects.all().delete()
    for _n in range(tasks):
        enqueue(queue_probe)
    started = start_workers(workers, env, logs)
    try:
        done = wait_until(
            lambda: not DBTaskResult.objects.exclude(status__in=("SUCCESSFUL", "FAILED")).exists(),
            600,
        )
    finally:
        stop_all(started)
    span = DBTaskResult.objects.aggregate(first=Min("started_at"), last=Max("finished_at"))
    seconds = (span["last"] - span["first"]).total_seconds()
    succeeded = DBTaskResult.objects.filter(status="SUCCESSFUL").count()
    return [
        f"{workers}",
        f"{tasks:,}",
        f"{succeeded:,}" + ("" if done else " (timed out)"),
        f"{seconds:.1f}",
        f"{succeeded / seconds:,.0f}",
    ]


def delays(database_url: str, args: argparse.Namespace, work: Path) -> list[list[str]]:
    data = referral_bench.prepare(database_url, args.caseworkers, args.files)  # Django set up
    from django.db import connection

    from passerelle.web.apps.referrals.models import Webhook

    receiver = Receiver()
    Webhook.objects.update(url=receiver.url)
    env = worker_env(database_url)
    port = free_port()
    server_env = {**env, "DJANGO_SECRET_KEY": secrets.token_urlsafe(50)}
    server_env["PASSERELLE_CACHE_DIR"] = str(work / "cache")
    gunicorn_args = argparse.Namespace(
        workers=2 * (os.cpu_count() or 2),
        worker_class="gthread",
        threads=4,
        keep_alive=5,
        preload=True,
    )
    server = start_gunicorn(gunicorn_args, port, server_env, work / "gunicorn.log")
    started = start_workers(args.workers, env, work)
    from passerelle.web.apps.ops.models import Heartbeat

    # The delay counts from a transition: the workers' start-up is not part of it.
    wait_until(lambda: Heartbeat.objects.filter(kind="worker").count() >= args.workers, 300)
    try:
        load = argparse.Namespace(caseworkers=args.caseworkers, rate=args.rate)
        stats = referral_bench.Stats()
        clock = time.perf_counter()
        for caseworker in referral_bench.run_load(
            f"http://127.0.0.1:{port}", data, load, stats, args.duration
        ):
            caseworker.join()
        seconds = time.perf_counter() - clock
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM referrals_webhookdelivery WHERE state = 'pending'")
            backlog = cursor.fetchone()[0]
        wait_until(lambda: pending() == 0, 300)
    finally:
        stop_all(started)
        stop(server)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT extract(epoch FROM d.delivered_at - e.at) * 1000 "
            "FROM referrals_webhookdelivery d JOIN referrals_referralevent e ON e.id = d.event_id "
            "WHERE d.state = 'delivered' ORDER BY 1"
        )
        values = [float(row[0]) for row in cursor.fetchall()]
    changes = sum(
        len(times) for name, times in stats.times.items() if name in referral_bench.WRITES
    )

    def at(share: float) -> str:
        return f"{referral_bench.percentile(values, share):,.0f}" if values else "-"

    return [
        [
            f"{changes / seconds:,.0f}",
            f"{args.workers}",
            f"{len(values):,}",
            at(0.50),
            at(0.95),
            at(0.99),
            f"{backlog:,}",
            f"{receiver.count:,}",
        ]
    ]


def pending() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM referrals_webhookdelivery WHERE state = 'pending'")
        return int(cursor.fetchone()[0])


def worker_env(database_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(BENCH_DIR)]),
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": SETTINGS,
        "PASSERELLE_OUTBOUND_ALLOW_LOCAL": "1",  # the receiver is on 127.0.0.1
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=2000, help="probe tasks per throughput run")
    parser.add_argument("--duration", type=float, default=30, help="seconds of referral load")
    parser.add_argument("--rate", type=float, default=100, help="referral changes per second")
    parser.add_argument("--caseworkers", type=int, default=20)
    parser.add_argument("--files", type=int, default=6, help="synthetic files per caseworker")
    parser.add_argument("--workers", type=int, default=2, help="worker processes for webhooks")
    parser.add_argument("--database", default="passerelle_bench_operations")
    parser.add_argument("--quick", action="store_true", help="500 tasks, 10 s of load")
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database")
    args = parser.parse_args()
    if args.quick:
        args.tasks, args.duration, args.caseworkers, args.files = 500, 10, 10, 4
        args.rate = min(args.rate, 50)
    base_url = postgres_url()
    database_url = create_database(base_url, args.database)
    try:
        with tempfile.TemporaryDirectory(prefix="passerelle-bench-operations-") as tmp:
            work = Path(tmp)
            print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores", flush=True)
            rows_delay = delays(database_url, args, work)
            env = worker_env(database_url)
            rows_rate = [throughput(args.tasks, n, env, work) for n in (1, 2)]
        print()
        print("Tasks through the queue (probe tasks that do nothing)")
        print_table(["workers", "queued", "done", "seconds", "tasks/s"], rows_rate)
        print()
        print("Referral transition -> webhook delivery, under the referral load (ms)")
        print_table(
            ["changes/s", "workers", "deliveries", "p50", "p95", "p99", "backlog", "received"],
            rows_delay,
        )
        print(f"load average after: {os.getloadavg()[0]:.2f}")
    finally:
        if args.keep:
            print(f"kept database: {database_url}")
        else:
            from django.db import connections

            connections.close_all()
            drop_database(base_url, args.database)


if __name__ == "__main__":
    main()
