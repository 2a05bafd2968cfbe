"""Health endpoints for a load balancer or a process manager (docs/operations.md, "Health
and logs"). Neither needs a login, and neither says more than what is wrong.

- `/healthz`: the process answers (no database query).
- `/readyz`: the database answers, every migration is applied, and a worker has beaten
  within `PASSERELLE_READY_WORKER_SECONDS` (a minute); 200 `{"ready": true}`, or 503
  with the reasons, e.g. `{"ready": false, "reasons": ["no worker heartbeat within 60 s"]}`.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from passerelle.web.apps.ops.models import Heartbeat, ProcessKind


@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"alive": True})


_migrated = False


def readiness_problems(now: dt.datetime | None = None) -> list[str]:
    """What keeps this installation from serving fully (empty: ready)."""
    connection = connections[DEFAULT_DB_ALIAS]
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as error:  # the reason is the class only: no address or password
        return [f"database: {type(error).__name__}"]
    reasons = []
    global _migrated
    if not _migrated:
        executor = MigrationExecutor(connection)
        unapplied = executor.migration_plan(executor.loader.graph.leaf_nodes())
        if unapplied:
            reasons.append(f"migrations: {len(unapplied)} not applied")
        else:
            # Applied migrations stay applied for this code: a deployment that brings new
            # ones starts new processes, which look again.
            _migrated = True
    window = int(getattr(settings, "PASSERELLE_READY_WORKER_SECONDS", 60))
    since = (now or timezone.now()) - dt.timedelta(seconds=window)
    if not Heartbeat.objects.filter(kind=ProcessKind.WORKER, seen_at__gte=since).exists():
        reasons.append(f"worker: no heartbeat within {window} s")
    return reasons


@never_cache
@require_safe
def readyz(request: HttpRequest) -> JsonResponse:
    reasons = readiness_problems()
    if reasons:
        return JsonResponse({"ready": False, "reasons": reasons}, status=503)
    return JsonResponse({"ready": True})
