"""Referrals under load, and after a crash: simulated caseworkers create and move referrals
through the API (/api/v1/referrals, organisations' tokens) against gunicorn on PostgreSQL,
then the database is checked for the loop's invariants; a second run kills the server
with SIGKILL in the middle, restarts it, and the invariants are checked again.

Creates a dedicated database (`passerelle_bench_referrals`, dropped and created again;
dropped at the end unless --keep), migrates it and adds synthetic data only (no real
person): 5 referring organisations (a CPAS-like caseworker team each) with synthetic person
files, each file consenting to share identity and profile with 5 receiving organisations;
each receiver runs 2 programmes, half of them with a capacity for 2027 (so that acceptances
overflow to the waiting list), one with an age criterion (so that some referrals need an
ineligibility reason); one webhook per organisation (never called: the deliveries pile up
in the outbox, as when the worker is down) and one token with the four scopes
persons:read|write and referrals:read|write per organisation.

Each simulated caseworker (a thread) creates referrals for its organisation's files and
moves them through the loop with the sender's and the receiver's tokens: send, accept (or
waiting list when full), reject with a reason, admit, start, complete with an outcome,
no_show, withdraw; every fifth change it reads an inbox or a referral. It keeps the version
of each referral as last answered and sends it with each transition (a 409 makes it read
again). --rate paces the changes (creations and transitions) in total per second, by
default 240 (20 % above the goal of 200, as arrivals are random); 0 runs flat out.

Prints per action: count, rate, errors, p50/p95/p99 in ms; then the invariants:
- every referral in one valid state, equal to its last event's, its version = its number
  of events (numbered 1..n);
- REFERRAL_TRANSITION audit entries = ReferralEvent rows (in total and per referral);
- no waiting-list position twice in a programme, a position exactly when waitlisted;
- two webhook deliveries queued per announced event (the sender's and the receiver's);
- every sent referral with its disclosure;
- no acknowledged change lost: each referral's version in the database is at least the
  last version the API answered.

Goal (issue 5): 200 transitions per second at p95 under 100 ms on 2 cores, zero invariant
violations. The load generator shares the machine with gunicorn and PostgreSQL; figures on
a shared machine are noisy.

    .venv/bin/python benchmarks/referrals.py [--duration 60] [--caseworkers 50] [--rate 200]
        [--workers 4] [--worker-class gthread|sync] [--threads 4] [--no-preload] [--quick]
        [--aggregates] [--keep]

--aggregates builds the figures' aggregates (`passerelle aggregates-rebuild`) once the data
is in, so that every change also goes through their write hook (docs/indicators.md); without
it they are never built and the hook does nothing.

gunicorn runs with --preload (the application loaded once, before the workers fork) and, by
default, 4 gthread workers of 4 threads each that keep connections open; each simulated
caseworker keeps one connection (`call`).

Needs PostgreSQL on 127.0.0.1 (scripts/ensure-postgres.sh; DATABASE_URL is used when set).
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import http.client
import json
import os
import random
import secrets
import signal
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))
import contextlib

from web import (
    BENCH_DIR,
    SETTINGS,
    busy_seconds,
    cpu_seconds,
    create_database,
    drop_database,
    free_port,
    postgres_url,
    postmaster_of,
    print_table,
    start_gunicorn,
    stop,
)

P95_GOAL_MS = 100.0
RATE_GOAL = 200.0
OFFERED_RATE = 1.2 * RATE_GOAL
"""Changes offered per second by default: more than the goal, since arrivals are random
(Poisson) and a load paced at exactly the goal falls short of it about half the time."""
SENDERS = 5
RECEIVERS = 5
PROGRAMMES_PER_RECEIVER = 2
PLACES_2027 = 10
FIELDS = ["identity", "profile"]
SCOPES = ["persons:read", "persons:write", "referrals:read", "referrals:write"]
REJECTIONS = ["not_eligible", "no_capacity", "unreachable", "declined"]
OUTCOMES = ["finished", "job_found", "training_started", "dropped_out", "moved"]
TERMINAL = {"rejected", "completed", "no_show", "withdrawn"}
WRITES = {"create", "send", "accept", "reject", "admit", "start", "complete", "no_show",
          "withdraw"}  # fmt: skip


# --- synthetic data ----------------------------------------------------------------------


def prepare(
    database_url: str, caseworkers: int, files_per_caseworker: int, *, aggregates: bool = False
) -> dict[str, Any]:
    """Migrate and add the synthetic network; the tokens, files and programmes to use; with
    `aggregates`, build the figures' aggregates on it."""
    os.environ["DATABASE_URL"] = database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = SETTINGS
    sys.path.insert(0, str(BENCH_DIR))
    import django

    django.setup()
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.db import connection

    from passerelle.web.apps.accounts.models import ApiToken, Membership
    from passerelle.web.apps.directory.models import Organisation, Programme, stable_uuid
    from passerelle.web.apps.people.services import consent_record, person_create
    from passerelle.web.apps.referrals.models import ProgrammeCapacity, Webhook
    from passerelle.web.common.actors import Actor

    call_command("migrate", verbosity=0, interactive=False)
    rng = random.Random(2026)

    def organisation(slug: str, kind: str) -> Any:
        return Organisation.objects.create(
            slug=slug,
            uuid=stable_uuid("organisation", slug),
            origin="user",
            names={"fr": slug, "nl": slug, "en": slug},
            kind=kind,
        )

    senders = [organisation(f"bench-cpas-{n}", "public") for n in range(1, SENDERS + 1)]
    receivers = [organisation(f"bench-service-{n}", "ngo") for n in range(1, RECEIVERS + 1)]
    programmes = []
    for n, receiver in enumerate(receivers):
        for m in range(PROGRAMMES_PER_RECEIVER):
            slug = f"{receiver.slug}-programme-{m + 1}"
            criterion = {"field": "age", "between": [18, 30]} if (n, m) == (0, 0) else None
            programme = Programme.objects.create(
                slug=slug,
                uuid=stable_uuid("programme", slug),
                origin="user",
                organisation=receiver,
                names={"fr": slug, "nl": slug, "en": slug},
                categories=["job_search_support"],
                eligibility=criterion,
            )
            if m == 0:
                ProgrammeCapacity.objects.create(
                    programme=programme,
                    period_start=dt.date(2027, 1, 1),
                    period_end=dt.date(2027, 12, 31),
                    places=PLACES_2027,
                )
            programmes.append(
                {"slug": slug, "receiver": receiver.slug, "needs_reason": criterion is not None}
            )
    tokens = {}
    for org in [*senders, *receivers]:
        _, tokens[org.slug] = ApiToken.issue(organisation=org, name="bench", scopes=SCOPES)
        Webhook.objects.create(
            organisation=org, url="http://127.0.0.1:9/never-called", secret=secrets.token_hex(16)
        )
    files: dict[str, list[str]] = {}
    per_sender = -(-caseworkers // SENDERS) * files_per_caseworker
    for org in senders:
        user = User.objects.create_user(username=f"coordinator-{org.slug}")
        Membership.objects.create(user=user, organisation=org, role="coordinator")
        actor = Actor(organisation=org, role="coordinator", user=user, label=user.username)
        files[org.slug] = []
        for number in range(per_sender):
            birth = dt.date(1970, 1, 1) + dt.timedelta(days=rng.randrange(35 * 365))
            person = person_create(
                actor=actor,
                data={
                    "given_names": f"Synthetic{number}",
                    "family_name": org.slug.title(),
                    "given_names_latin": f"Synthetic{number}",
                    "family_name_latin": org.slug.title(),
                    "birth_date": birth.isoformat(),
                    "language": "fr",
                    "profile": {
                        "nationality": rng.choice(["SY", "AF", "ER", "GN", "UA"]),
                        "legal_status": "refugee",
                        "asylum_application_date": "2019-02-01",
                        "asylum_decision_date": "2020-01-15",
                        "residence_permit_months": 60,
                        "arrival_in_belgium": "2019-01-20",
                        "municipality": "Anderlecht",
                    },
                },
            )
            for receiver in receivers:
                consent_record(
                    actor=actor,
                    person_id=person.pk,
                    purpose="referral",
                    recipient=receiver,
                    fields=FIELDS,
                    given_on=dt.date(2026, 1, 5),
                )
            files[org.slug].append(str(person.pk))
    if aggregates:
        from passerelle.web.apps.monitoring.aggregates import aggregates_rebuild

        aggregates_rebuild()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    connection.close()
    return {
        "senders": [org.slug for org in senders],
        "programmes": programmes,
        "tokens": tokens,
        "files": files,
    }


# --- the simulated caseworkers -----------------------------------------------------------


@dataclass
class Known:
    """What a caseworker knows of one of its referrals, from the API's last answer."""

    state: str
    version: int
    receiver: str
    stale: bool = False


@dataclass
class Stats:
    lock: threading.Lock = field(default_factory=threading.Lock)
    times: dict[str, list[float]] = field(default_factory=lambda: collections.defaultdict(list))
    errors: collections.Counter[tuple[str, str]] = field(default_factory=collections.Counter)
    acked: dict[str, tuple[int, str]] = field(default_factory=dict)

    def record(self, action: str, ms: float, status: int | str, answer: Any) -> None:
        with self.lock:
            if isinstance(status, int) and status < 400:
                self.times[action].append(ms)
                if isinstance(answer, dict) and "version" in answer and "id" in answer:
                    known = self.acked.get(answer["id"])
                    if known is None or known[0] < answer["version"]:
                        self.acked[answer["id"]] = (answer["version"], answer["state"])
            else:
                self.errors[action, str(status)] += 1


_local = threading.local()


def call(host: str, token: str, method: str, path: str, body: Any = None) -> tuple[Any, Any]:
    """One request on this thread's own connection: kept open when the server keeps it
    (gthread workers), opened again when the server closed it (sync workers close after
    each answer). A failed request is never sent again: it counts as an error."""
    data = json.dumps(body).encode() if body is not None else None
    headers = {"Authorization": f"Bearer {token}"}
    if data is not None:
        headers["Content-Type"] = "application/json"
    connection = getattr(_local, "connection", None)
    if connection is None or getattr(_local, "host", None) != host:
        parts = urllib.parse.urlsplit(host)
        connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=30)
        _local.connection, _local.host = connection, host
    try:
        connection.request(method, path, data, headers)
        response = connection.getresponse()
        raw = response.read()
        if response.will_close:
            connection.close()
    except (http.client.HTTPException, OSError) as error:
        connection.close()
        return type(error).__name__, None
    try:
        return int(response.status), json.loads(raw or b"null")
    except ValueError:
        return int(response.status), None


class Caseworker(threading.Thread):
    def __init__(
        self,
        number: int,
        host: str,
        data: dict[str, Any],
        stats: Stats,
        stop_at: float,
        interval: float,
    ) -> None:
        super().__init__(daemon=True)
        self.rng = random.Random(number)
        self.host, self.data, self.stats = host, data, stats
        self.stop_at, self.interval = stop_at, interval
        self.sender = data["senders"][number % SENDERS]
        self.files = data["files"][self.sender]
        self.open: dict[str, Known] = {}
        self.writes = 0

    def request(self, action: str, token_of: str, method: str, path: str, body: Any = None) -> Any:
        started = time.perf_counter()
        status, answer = call(self.host, self.data["tokens"][token_of], method, path, body)
        self.stats.record(action, 1000 * (time.perf_counter() - started), status, answer)
        if not isinstance(status, int):
            time.sleep(0.1)  # the server is down: do not spin
        return status, answer

    def remember(self, answer: dict[str, Any], receiver: str) -> None:
        if answer["state"] in TERMINAL:
            self.open.pop(answer["id"], None)
        else:
            self.open[answer["id"]] = Known(answer["state"], answer["version"], receiver)

    def create(self) -> None:
        programme = self.rng.choice(self.data["programmes"])
        body = {
            "person_id": self.rng.choice(self.files),
            "programme": programme["slug"],
            "planned_start": (
                dt.date(2027, 1, 4) + dt.timedelta(self.rng.randrange(300))
            ).isoformat(),
            "fields": FIELDS,
            "note": "Synthetic referral (benchmark).",
        }
        if programme["needs_reason"]:
            body["ineligibility_reason"] = "Synthetic: referred all the same (benchmark)."
        status, answer = self.request("create", self.sender, "POST", "/api/v1/referrals", body)
        if status == 201:
            self.remember(answer, programme["receiver"])

    def next_step(self, known: Known) -> tuple[str, dict[str, Any]]:
        draw = self.rng.random()
        if known.state == "draft":
            return ("withdraw", {}) if draw < 0.05 else ("send", {})
        if known.state == "sent":
            if draw < 0.15:
                return "reject", {"reason": self.rng.choice(REJECTIONS)}
            return "accept", {}
        if known.state == "waitlisted":
            return ("admit", {}) if draw < 0.6 else ("reject", {"reason": "no_capacity"})
        if known.state == "accepted":
            if draw < 0.05:
                return "withdraw", {}
            return ("no_show", {}) if draw < 0.15 else ("start", {})
        if draw < 0.1:
            return "withdraw", {}
        return "complete", {"outcome": self.rng.choice(OUTCOMES)}

    def move(self) -> None:
        referral_id = self.rng.choice(list(self.open))
        known = self.open[referral_id]
        if known.stale:  # an answer was lost (server killed): read the referral again
            status, answer = self.request(
                "read referral", self.sender, "GET", f"/api/v1/referrals/{referral_id}"
            )
            if status == 200:
                self.remember(answer, known.receiver)
            return
        action, extra = self.next_step(known)
        side = self.sender if action in ("send", "withdraw") else known.receiver
        body = {"action": action, "version": known.version, **extra}
        path = f"/api/v1/referrals/{referral_id}/transitions"
        status, answer = self.request(action, side, "POST", path, body)
        if status == 200:
            self.remember(answer, known.receiver)
        else:
            known.stale = True

    def read(self) -> None:
        if self.open and self.rng.random() < 0.5:
            referral_id = self.rng.choice(list(self.open))
            self.request("read referral", self.sender, "GET", f"/api/v1/referrals/{referral_id}")
            return
        receiver = self.rng.choice(self.data["programmes"])["receiver"]
        self.request("list inbox", receiver, "GET", "/api/v1/referrals?box=inbox&state=sent")

    def step(self) -> None:
        """One change (a creation or a transition), and every fifth change a read."""
        if len(self.open) < 6 or self.rng.random() < 0.2:
            self.create()
        else:
            self.move()
        self.writes += 1
        if self.writes % 5 == 0:
            self.read()

    def run(self) -> None:
        next_at = time.monotonic() + self.rng.random() * self.interval
        while time.monotonic() < self.stop_at:
            if self.interval:
                pause = next_at - time.monotonic()
                if pause > 0:
                    time.sleep(pause)
                next_at += self.rng.expovariate(1 / self.interval)
                if time.monotonic() >= self.stop_at:
                    break
            self.step()


def run_load(
    host: str, data: dict[str, Any], args: argparse.Namespace, stats: Stats, duration: float
) -> list[Caseworker]:
    interval = args.caseworkers / args.rate if args.rate > 0 else 0.0
    stop_at = time.monotonic() + duration
    workers = [Caseworker(n, host, data, stats, stop_at, interval) for n in range(args.caseworkers)]
    for worker in workers:
        worker.start()
    return workers


# --- the invariants ----------------------------------------------------------------------


def invariants(stats: Stats) -> list[tuple[str, int]]:
    """Violations per invariant (all should be 0), and the totals."""
    from django.db import connection

    from passerelle.web.apps.audit.models import AuditEntry
    from passerelle.web.apps.referrals.models import (
        Referral,
        ReferralEvent,
        State,
        WebhookDelivery,
    )

    connection.close()
    r, e = Referral._meta.db_table, ReferralEvent._meta.db_table
    a, d = AuditEntry._meta.db_table, WebhookDelivery._meta.db_table
    states = ", ".join(f"'{value}'" for value in State.values)
    checks = {
        "referrals in no valid state": f"SELECT count(*) FROM {r} WHERE state NOT IN ({states})",
        "referrals whose events are not 1..version": f"""
            SELECT count(*) FROM {r} r LEFT JOIN (
                SELECT referral_id, count(*) n, min(number) lo, max(number) hi FROM {e}
                GROUP BY referral_id) e ON e.referral_id = r.id
            WHERE e.n IS NULL OR e.n <> r.version OR e.lo <> 1 OR e.hi <> e.n""",
        "referrals whose state is not their last event's": f"""
            SELECT count(*) FROM {r} r JOIN {e} e
            ON e.referral_id = r.id AND e.number = r.version WHERE e.to_state <> r.state""",
        "events without their one audit entry (in total)": f"""
            SELECT abs((SELECT count(*) FROM {a} WHERE action = 'referral_transition')
                       - (SELECT count(*) FROM {e}))""",
        "referrals whose audit entries differ from their events": f"""
            SELECT count(*) FROM {r} r LEFT JOIN (
                SELECT detail->>'referral' referral, count(*) n FROM {a}
                WHERE action = 'referral_transition' GROUP BY 1) a ON a.referral = r.id::text
            WHERE coalesce(a.n, 0) <> r.version""",
        "waiting-list positions held twice in a programme": f"""
            SELECT count(*) FROM (SELECT programme_id, waitlist_position FROM {r}
            WHERE state = 'waitlisted' GROUP BY 1, 2 HAVING count(*) > 1) twice""",
        "positions without the waiting list, or waiting without one": f"""
            SELECT count(*) FROM {r} WHERE (state = 'waitlisted') <> (waitlist_position
            IS NOT NULL)""",
        "events without exactly their webhook deliveries": f"""
            SELECT count(*) FROM {e} e LEFT JOIN (
                SELECT event_id, count(*) n FROM {d} GROUP BY 1) d ON d.event_id = e.id
            WHERE coalesce(d.n, 0) <> CASE WHEN e.from_state = '' THEN 0 ELSE 2 END""",
        "sent referrals without their disclosure": f"""
            SELECT count(*) FROM {r} WHERE sent_at IS NOT NULL AND disclosure_id IS NULL""",
    }
    found = []
    with connection.cursor() as cursor:
        for name, sql in checks.items():
            cursor.execute(sql)
            found.append((name, int(cursor.fetchone()[0])))
        versions = dict(Referral.objects.values_list("id", "version"))
    lost = sum(
        1
        for referral_id, (version, _) in stats.acked.items()
        if versions.get(uuid.UUID(referral_id), 0) < version
    )
    found.append(("acknowledged changes lost", lost))
    connection.close()
    return found


def totals() -> dict[str, int]:
    from django.db import connection

    from passerelle.web.apps.referrals.models import Referral, ReferralEvent

    counts = {
        "referrals": Referral.objects.count(),
        "events": ReferralEvent.objects.count(),
        "waitlisted": Referral.objects.filter(state="waitlisted").count(),
    }
    connection.close()
    return counts


# --- the report --------------------------------------------------------------------------


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


def report(stats: Stats, seconds: float) -> tuple[float, float]:
    """Print the table per action; (transitions per second, p95 of transitions in ms)."""
    rows = []
    names = sorted(stats.times.keys() | {name for name, _ in stats.errors})
    for name in names:
        times = stats.times.get(name, [])
        errors = sum(n for (action, _), n in stats.errors.items() if action == name)
        rows.append(
            (
                name,
                f"{len(times):,}",
                f"{len(times) / seconds:,.1f}",
                f"{errors:,}",
                f"{percentile(times, 0.5):.0f}",
                f"{percentile(times, 0.95):.0f}",
                f"{percentile(times, 0.99):.0f}",
            )
        )
    writes = [ms for name, times in stats.times.items() if name in WRITES for ms in times]
    rate, p95 = len(writes) / seconds, percentile(writes, 0.95)
    rows.append(
        (
            "all changes",
            f"{len(writes):,}",
            f"{rate:,.1f}",
            f"{sum(n for (a, _), n in stats.errors.items() if a in WRITES):,}",
            f"{percentile(writes, 0.5):.0f}",
            f"{p95:.0f}",
            f"{percentile(writes, 0.99):.0f}",
        )
    )
    header = ("action", "done", "per s", "errors", "p50 ms", "p95 ms", "p99 ms")
    print_table(header, rows)
    shown = collections.Counter()
    for (_action, status), count in stats.errors.most_common():
        shown[status] += count
    if shown:
        print("errors by answer: " + ", ".join(f"{s} x {n:,}" for s, n in shown.most_common()))
    return rate, p95


def print_invariants(found: list[tuple[str, int]]) -> int:
    print_table(("invariant", "violations"), [(name, str(count)) for name, count in found])
    return sum(count for _, count in found)


def kill_server(server: Any) -> None:
    """SIGKILL gunicorn's master and every worker at once: requests die mid-transaction."""
    processes = [psutil.Process(server.pid)]
    processes += processes[0].children(recursive=True)
    for process in processes:
        with contextlib.suppress(psutil.Error):
            process.send_signal(signal.SIGKILL)
    server.wait()
    psutil.wait_procs(processes, timeout=10)


def main() -> None:
    cores = os.cpu_count() or 2
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=60, help="seconds of each run")
    parser.add_argument("--caseworkers", type=int, default=50, help="concurrent caseworkers")
    parser.add_argument(
        "--rate",
        type=float,
        default=OFFERED_RATE,
        help="changes per second offered in total (0: flat out)",
    )
    parser.add_argument("--files", type=int, default=8, help="synthetic files per caseworker")
    parser.add_argument("--workers", type=int, default=2 * cores, help="gunicorn workers")
    parser.add_argument("--worker-class", choices=("sync", "gthread"), default="gthread")
    parser.add_argument("--threads", type=int, default=4, help="threads per gthread worker")
    parser.add_argument(
        "--keep-alive", type=int, default=5, help="seconds gthread workers keep a connection"
    )
    parser.add_argument(
        "--no-preload",
        dest="preload",
        action="store_false",
        help="let each worker load the application itself (gunicorn without --preload)",
    )
    parser.add_argument("--database", default="passerelle_bench_referrals")
    parser.add_argument("--quick", action="store_true", help="10 s, 10 caseworkers")
    parser.add_argument("--no-crash", action="store_true", help="skip the SIGKILL run")
    parser.add_argument(
        "--aggregates", action="store_true", help="build the figures' aggregates first"
    )
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database")
    args = parser.parse_args()
    if args.quick:
        args.duration, args.caseworkers, args.files = 10, 10, 4
        args.rate = min(args.rate, 100) if args.rate else 0
    if args.worker_class == "gthread" and args.threads < 2:
        args.threads = 2
    if args.worker_class == "sync":
        args.threads = 1  # gunicorn turns sync workers with threads into gthread ones

    # The aggregates are used only under the cell-key secret they were built with: one secret
    # for this process and the server (else it comes from each one's random SECRET_KEY).
    os.environ.setdefault("PASSERELLE_CELL_KEY_SECRET", secrets.token_hex(32))
    base_url = postgres_url()
    print(f"preparing database {args.database} ...", flush=True)
    database_url = create_database(base_url, args.database)
    server = None
    failed = 0
    try:
        started = time.perf_counter()
        data = prepare(database_url, args.caseworkers, args.files, aggregates=args.aggregates)
        print(f"prepared in {time.perf_counter() - started:.0f} s", flush=True)
        with tempfile.TemporaryDirectory(prefix="passerelle-bench-referrals-") as tmp:
            work = Path(tmp)
            port = free_port()
            host = f"http://127.0.0.1:{port}"
            env = {
                **os.environ,
                "DATABASE_URL": database_url,
                "DJANGO_SETTINGS_MODULE": SETTINGS,
                "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
                "PASSERELLE_CACHE_DIR": str(work / "cache"),
                "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
            }
            server = start_gunicorn(args, port, env, work / "gunicorn.log")
            warm = Stats()
            for worker in run_load(host, data, argparse.Namespace(
                caseworkers=2 * args.workers, rate=0), warm, 3):  # fmt: skip
                worker.join()
            print(
                ("aggregates built; " if args.aggregates else "aggregates not built; ")
                + f"gunicorn: {args.workers} {args.worker_class} workers on {cores} cores; "
                f"{args.caseworkers} caseworkers at "
                + (f"{args.rate:g} changes/s" if args.rate else "full speed")
                + f" for {args.duration:g} s; load average {os.getloadavg()[0]:.2f}",
                flush=True,
            )
            gunicorn, postgres = psutil.Process(server.pid), postmaster_of(database_url)
            server_cpu, database_cpu = (
                cpu_seconds(gunicorn),
                cpu_seconds(postgres) if postgres else 0.0,
            )
            client_cpu, busy = time.process_time(), busy_seconds()
            stats = Stats()
            stats.acked.update(warm.acked)
            clock = time.perf_counter()
            for worker in run_load(host, data, args, stats, args.duration):
                worker.join()
            seconds = time.perf_counter() - clock
            server_cpu = cpu_seconds(gunicorn) - server_cpu
            database_cpu = (cpu_seconds(postgres) - database_cpu) if postgres else 0.0
            client_cpu = time.process_time() - client_cpu
            others = busy_seconds() - busy - server_cpu - database_cpu - client_cpu
            print()
            print("run 1: load")
            rate, p95 = report(stats, seconds)
            served = sum(len(times) for times in stats.times.values())
            per_request = 1000 * (server_cpu + database_cpu) / max(served, 1)
            print(
                f"CPU: gunicorn {server_cpu:.0f} s, PostgreSQL {database_cpu:.0f} s over "
                f"{seconds:.0f} s ({cores * seconds:.0f} core-seconds); {per_request:.1f} ms "
                f"per request, so at most ~{1000 * cores / per_request:,.0f} requests/s of "
                f"this mix on {cores} idle cores"
            )
            print(
                "CPU per request (ms): "
                + ", ".join(
                    f"{name} {1000 * used / max(served, 1):.2f}"
                    for name, used in (
                        ("gunicorn", server_cpu),
                        ("PostgreSQL", database_cpu),
                        ("load generator", client_cpu),
                    )
                )
                + f"; {served:,} requests; other processes used {others / seconds:.2f} of the "
                f"{cores} cores"
            )
            met = rate >= 0.97 * RATE_GOAL and p95 < P95_GOAL_MS
            print(
                f"goal {RATE_GOAL:g} changes/s at p95 < {P95_GOAL_MS:g} ms: "
                + ("met" if met else f"not met ({rate:.0f}/s, p95 {p95:.0f} ms)")
            )
            print(f"totals: {totals()}")
            failed += print_invariants(invariants(stats))

            if not args.no_crash:
                print()
                print("run 2: SIGKILL of gunicorn in the middle, restart", flush=True)
                crash = Stats()
                crash.acked.update(stats.acked)
                clock = time.perf_counter()
                workers = run_load(host, data, args, crash, args.duration)
                time.sleep(args.duration / 2)
                kill_server(server)
                killed = time.perf_counter()
                server = start_gunicorn(args, port, env, work / "gunicorn-2.log")
                down = time.perf_counter() - killed
                for worker in workers:
                    worker.join()
                seconds = time.perf_counter() - clock
                report(crash, seconds)
                print(f"server down {down:.1f} s (SIGKILL to answering again)")
                print(f"totals: {totals()}")
                failed += print_invariants(invariants(crash))
            log = (work / "gunicorn.log").read_text()
            if "Traceback" in log:
                print("gunicorn logged errors:\n" + log[-2000:])
    finally:
        if server is not None:
            stop(server)
        if args.keep:
            print(f"kept database: {database_url}")
        else:
            from django.db import connections

            connections.close_all()
            drop_database(base_url, args.database)
    print()
    print("invariants: " + ("all hold" if failed == 0 else f"{failed} violation(s)"))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
