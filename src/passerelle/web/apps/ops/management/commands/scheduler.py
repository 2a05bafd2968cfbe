"""`python manage.py scheduler` (also `passerelle scheduler`): enqueues the jobs of
settings.PASSERELLE_SCHEDULES at their times (ops.schedule), with a heartbeat."""

from __future__ import annotations

import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections
from django.utils.crypto import get_random_string

from passerelle.web.apps.ops.models import ProcessKind
from passerelle.web.apps.ops.schedule import configured_jobs, scheduler_tick
from passerelle.web.apps.ops.worker import Heartbeats


class Command(BaseCommand):
    help = "Enqueue the scheduled jobs at their times (see docs/operations.md)"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--interval", type=float, default=5.0, help="Seconds between two looks at the clock."
        )
        parser.add_argument("--once", action="store_true", help="One tick, then exit.")

    def handle(self, *args: Any, interval: float, once: bool, **options: Any) -> None:
        if not 0.1 <= interval <= 60:
            self.stderr.write("--interval: from 0.1 to 60 seconds")
            raise SystemExit(2)
        configured_jobs()  # a wrong schedule stops the process at once, with its reason
        stopping = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_args: stopping.set())
        signal.signal(signal.SIGINT, lambda *_args: stopping.set())
        beats = Heartbeats(process_id=get_random_string(32), kind=ProcessKind.SCHEDULER)
        beats.start()
        try:
            while True:
                close_old_connections()
                for name in scheduler_tick():
                    self.stdout.write(f"enqueued {name}")
                if once or stopping.wait(interval):
                    break
        finally:
            beats.stop()
