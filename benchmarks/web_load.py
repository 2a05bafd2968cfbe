"""A cheap open-loop load generator for `benchmarks/web.py`: the same users as
`web_locustfile.py` (one class per endpoint, each user at a constant throughput from a
random phase, a random `Accept-Language`, the same words, slugs and profiles), on one
asyncio loop, each user with its own HTTP/1.1 connection kept alive while the server allows
it (gunicorn's sync workers close it after each answer: the user then opens a new one).

Locust (gevent, geventhttpclient) cost 2 ms of CPU per request on this machine, as much as
the server's answer: at 600 requests/s, more than half of one of the two cores. This one
costs a fraction of that (docs/benchmarks.md, "The load generator"), so that the server gets
the cores. Writes locust's CSV files (`<prefix>_stats.csv`, `<prefix>_failures.csv`, the
columns `web.py` reads), so the report is the same.

    python benchmarks/web_load.py --host http://127.0.0.1:PORT --bench-data DATA.json \\
        --rate 200 --users-per-endpoint 100 --run-time 60 --csv PREFIX \\
        [SearchUser ProgrammeUser OptionsUser]

Latency is measured from the moment a request is written to the moment its whole answer
is read, as locust does; a request fails on a connection error, a timeout (10 s) or a
status other than 200.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import csv
import json
import math
import random
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

LANGUAGES = ("fr", "nl", "en", "ar")
TIMEOUT = 10.0
NAMES = {
    "SearchUser": "GET /directory/?q=",
    "ProgrammeUser": "GET /programmes/<slug>/",
    "OptionsUser": "POST /api/options",
}


def request_maker(cls: str, data: dict[str, Any], host: str) -> Callable[[], bytes]:
    """The bytes of one request of a user class, drawn as the locustfile draws them."""

    def head(method: str, path: str, extra: str = "") -> str:
        language = random.choice(LANGUAGES)
        return (
            f"{method} {path} HTTP/1.1\r\nHost: {host}\r\nAccept-Language: {language}\r\n"
            f"User-Agent: passerelle-bench\r\nAccept-Encoding: identity\r\n{extra}"
        )

    if cls == "SearchUser":
        return lambda: (
            head("GET", f"/directory/?q={quote(random.choice(data['words']))}") + "\r\n"
        ).encode()
    if cls == "ProgrammeUser":
        return lambda: (
            head("GET", f"/programmes/{random.choice(data['slugs'])}/") + "\r\n"
        ).encode()
    bodies = [json.dumps(body).encode() for body in data["requests"]]

    def options() -> bytes:
        body = random.choice(bodies)
        extra = f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        return head("POST", "/api/options", extra).encode() + body

    return options


class Connection:
    """One user's connection: opened when needed, kept while the server keeps it."""

    def __init__(self, address: tuple[str, int]) -> None:
        self.address = address
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def exchange(self, payload: bytes) -> int:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(*self.address)
        assert self.reader is not None
        self.writer.write(payload)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        lines = head.decode("latin-1").lower().split("\r\n")
        headers = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
        if "content-length" in headers:
            await self.reader.readexactly(int(headers["content-length"]))
        elif headers.get("transfer-encoding") == "chunked":
            await self._chunks()
        else:  # the answer ends with the connection
            await self.reader.read()
            self.close()
        if headers.get("connection") == "close":
            self.close()
        return status

    async def _chunks(self) -> None:
        assert self.reader is not None
        while True:
            size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
            await self.reader.readexactly(size + 2)
            if size == 0:
                return

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


class Stats:
    def __init__(self) -> None:
        self.times: dict[str, list[float]] = collections.defaultdict(list)
        self.failures: collections.Counter[tuple[str, str]] = collections.Counter()
        self.recording = False


async def user(
    name: str,
    make: Callable[[], bytes],
    address: tuple[str, int],
    period: float,
    stop_at: float,
    stats: Stats,
) -> None:
    connection = Connection(address)
    await asyncio.sleep(random.uniform(0, period))
    next_start = time.perf_counter()
    while next_start < stop_at:
        payload = make()
        started = time.perf_counter()
        try:
            status = await asyncio.wait_for(connection.exchange(payload), TIMEOUT)
            error = "" if status == 200 else f"HTTP {status}"
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError) as exc:
            error = type(exc).__name__
            connection.close()
        except TimeoutError:
            error = "timeout"
            connection.close()
        if stats.recording:
            stats.times[name].append(1000 * (time.perf_counter() - started))
            if error:
                stats.failures[name, error] += 1
        # Constant throughput from this user's phase; behind schedule, go at once.
        now = time.perf_counter()
        next_start = max(next_start + period, now)
        await asyncio.sleep(next_start - now)
    connection.close()


async def run(args: argparse.Namespace, data: dict[str, Any]) -> tuple[Stats, float]:
    parts = urlsplit(args.host)
    address = (parts.hostname or "127.0.0.1", parts.port or 80)
    host = parts.netloc
    stats = Stats()
    period = args.users_per_endpoint / args.rate
    # Users start over one period; the statistics start once all run (locust's reset).
    warm = period + 1.0
    stop_at = time.perf_counter() + warm + args.run_time
    tasks = [
        asyncio.create_task(
            user(NAMES[cls], request_maker(cls, data, host), address, period, stop_at, stats)
        )
        for cls in args.classes
        for _ in range(args.users_per_endpoint)
    ]
    await asyncio.sleep(warm)
    stats.recording = True
    started = time.perf_counter()
    await asyncio.gather(*tasks)
    return stats, time.perf_counter() - started


def percentile(values: list[float], share: float) -> int:
    """The nearest-rank percentile in whole milliseconds."""
    ordered = sorted(values)
    return round(ordered[max(0, math.ceil(share * len(ordered)) - 1)])


def _row(kind: str, name: str, times: list[float], failed: int, seconds: float) -> list[Any]:
    shares = (0.5, 0.95, 0.99)
    rate = f"{len(times) / seconds:.2f}"
    return [kind, name, len(times), failed, rate, *(percentile(times, s) for s in shares)]


def write_csv(prefix: Path, stats: Stats, seconds: float) -> None:
    columns = ["Type", "Name", "Request Count", "Failure Count", "Requests/s", "50%", "95%",
               "99%"]  # fmt: skip
    everything: list[float] = []
    with Path(f"{prefix}_stats.csv").open("w", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(columns)
        for name, times in stats.times.items():
            failed = sum(n for (which, _), n in stats.failures.items() if which == name)
            everything += times
            out.writerow(_row(name.split()[0], name, times, failed, seconds))
        if everything:
            failed_all = sum(stats.failures.values())
            out.writerow(_row("", "Aggregated", everything, failed_all, seconds))
    with Path(f"{prefix}_failures.csv").open("w", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["Method", "Name", "Error", "Occurrences"])
        for (name, error), count in stats.failures.items():
            out.writerow([name.split()[0], name, error, count])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", required=True)
    parser.add_argument("--bench-data", type=Path, required=True)
    parser.add_argument("--rate", type=float, default=200.0, help="requests/s per endpoint")
    parser.add_argument("--users-per-endpoint", type=int, default=100)
    parser.add_argument("--run-time", type=float, default=60.0, help="seconds measured")
    parser.add_argument("--csv", type=Path, required=True, help="prefix of the CSV files")
    parser.add_argument("classes", nargs="*", default=list(NAMES))
    args = parser.parse_args()
    data = json.loads(args.bench_data.read_text(encoding="utf-8"))
    stats, seconds = asyncio.run(run(args, data))
    write_csv(args.csv, stats, seconds)


if __name__ == "__main__":
    main()
