"""Commands on referrals and background work: the webhook delivery loop, the task worker
and the scheduler.

Starts Django (like the person-file commands) and sends through `referrals.webhooks`.
"""

from __future__ import annotations

import signal
import time
from typing import Annotated, Any

import typer

from passerelle.cli.common import (
    FormatOption,
    OutputFormat,
    console,
    django_setup,
    fail,
    print_json,
)
from passerelle.core.i18n import _


def deliver_webhooks(
    once: Annotated[
        bool, typer.Option("--once", help="One pass over the due deliveries, then exit.")
    ] = False,
    interval: Annotated[
        float, typer.Option(help="Seconds to wait when nothing is due (without --once).")
    ] = 5.0,
    limit: Annotated[int, typer.Option(help="Deliveries sent at most per pass.")] = 1000,
    output: FormatOption = OutputFormat.table,
) -> None:
    """Send the pending webhook deliveries of referral events, retrying failures with
    exponential backoff. Several workers may run at once: each delivery is claimed by one.
    Runs until stopped (SIGTERM or Ctrl-C) unless --once."""
    if interval <= 0 or interval > 3600:
        fail("--interval: from more than 0 to 3600 seconds")
    if limit < 1:
        fail("--limit: 1 or more")
    django_setup()
    from django.db import connections

    from passerelle.web.apps.referrals.webhooks import deliver_due

    stopping = False

    def stop(signum: int, frame: Any) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    totals = {"delivered": 0, "retried": 0, "failed": 0}
    try:
        while not stopping:
            report = deliver_due(limit=limit)
            totals["delivered"] += report.delivered
            totals["retried"] += report.retried
            totals["failed"] += report.failed
            if report.attempted and not once and output is OutputFormat.table:
                console.print(
                    _("{delivered} delivered, {retried} to retry, {failed} given up").format(
                        delivered=report.delivered, retried=report.retried, failed=report.failed
                    )
                )
            if once:
                break
            if report.attempted < limit:
                connections.close_all()
                deadline = time.monotonic() + interval
                while not stopping and time.monotonic() < deadline:
                    time.sleep(min(0.2, interval))
    except KeyboardInterrupt:
        pass
    if output is OutputFormat.json:
        print_json(totals)
    elif once:
        console.print(
            _("{delivered} delivered, {retried} to retry, {failed} given up").format(**totals)
        )


def worker(
    queue: Annotated[str, typer.Option(help="Queues to run, comma-separated; * for all.")] = "*",
    interval: Annotated[float, typer.Option(help="Seconds between looks at an empty queue.")] = 1.0,
    batch: Annotated[bool, typer.Option("--batch", help="Run what is due, then exit.")] = False,
) -> None:
    """Run the background tasks (linkage runs, webhook deliveries, e-mails, scheduled jobs)
    until stopped, with a heartbeat that /readyz checks (docs/operations.md)."""
    if not 0 <= interval <= 60:
        fail("--interval: from 0 to 60 seconds")
    django_setup()
    from django.core.management import call_command

    arguments = ["--queue-name", queue, "--interval", str(interval), "--no-reload"]
    call_command("worker", *arguments, *(["--batch"] if batch else []))


def scheduler(
    once: Annotated[bool, typer.Option("--once", help="One look at the clock, then exit.")] = False,
) -> None:
    """Enqueue the scheduled jobs of settings.PASSERELLE_SCHEDULES at their times, until
    stopped (docs/operations.md, "Schedules")."""
    django_setup()
    from django.core.management import call_command

    call_command("scheduler", *(["--once"] if once else []))
