"""The platform evaluation as the page shows it: computed by the queue for one version of
the records (`tasks.platform_evaluation_task`), never in the request. While the result of
the current version computes, the page shows the latest finished one with its time ("figures
as of"), or says that it computes when none has finished yet: never a stale figure without
saying so."""

from __future__ import annotations

import datetime as dt
import hashlib
import pickle
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from passerelle.web.apps.monitoring import data, selectors
from passerelle.web.apps.monitoring.models import EvaluationState, PlatformEvaluationRun
from passerelle.web.apps.monitoring.selectors import Scope
from passerelle.web.apps.ops.queue import background_task, enqueue


@dataclass(frozen=True)
class EvaluationShown:
    result: data.PlatformEvaluation | None
    """The latest finished evaluation (None while none has finished)."""
    finished_at: dt.datetime | None
    computing: bool
    """A newer evaluation (of the current records) is being computed."""
    failed: bool = False
    """The evaluation of the current records failed (the queue retries it)."""


def records_version(scope: Scope) -> str:
    """A digest of what the evaluation depends on: the aggregates' version where they are
    kept (one row), else the records' `data_version`."""
    key = data.aggregates_key(scope)
    source = key[:3] if key is not None else ("records", *selectors.data_version())
    return hashlib.sha256(repr((source, scope.key, data.bootstrap())).encode()).hexdigest()[:32]


@background_task(retries=2)
def platform_evaluation_task(
    kind: str, slug: str, organisations: list[str], programme: str, version: str
) -> str:
    """Compute the platform evaluation of the programme in the scope for this version of
    the records (`evaluations.py`); idempotent: a finished run is not computed again."""
    scope = Scope(kind, slug, frozenset(organisations))  # type: ignore[arg-type]
    run = PlatformEvaluationRun.objects.get(scope=scope.key, programme=programme, version=version)
    if run.state == EvaluationState.DONE:
        return run.state
    try:
        result = data.platform_evaluation(scope, programme)
    except Exception as error:
        run.state, run.error = EvaluationState.FAILED, repr(error)[:2000]
        run.save(update_fields=["state", "error"])
        raise
    run.result = pickle.dumps(result)
    run.state, run.error, run.finished_at = EvaluationState.DONE, "", timezone.now()
    run.save(update_fields=["result", "state", "error", "finished_at"])
    # Older finished runs of this programme and scope are no longer shown.
    PlatformEvaluationRun.objects.filter(
        scope=scope.key,
        programme=programme,
        state=EvaluationState.DONE,
        finished_at__lt=run.finished_at,
    ).delete()
    return run.state


def _run_for(scope: Scope, programme: str, version: str) -> PlatformEvaluationRun:
    """The run of this version, queued once (by whichever request sees the version first)."""
    run = PlatformEvaluationRun.objects.filter(
        scope=scope.key, programme=programme, version=version
    ).first()
    if run is not None:
        return run
    try:
        with transaction.atomic():
            run = PlatformEvaluationRun.objects.create(
                scope=scope.key, programme=programme, version=version, state="computing"
            )
            enqueue(
                platform_evaluation_task,
                scope.kind,
                scope.slug,
                sorted(scope.organisations),
                programme,
                version,
                key=f"platform-evaluation:{run.pk}",
            )
    except IntegrityError:  # another request queued it meanwhile
        run = PlatformEvaluationRun.objects.get(
            scope=scope.key, programme=programme, version=version
        )
    return run


def result_of(run: PlatformEvaluationRun) -> data.PlatformEvaluation:
    # Written by `tasks.platform_evaluation_task` only, never from outside.
    result: data.PlatformEvaluation = pickle.loads(bytes(run.result or b""))  # noqa: S301
    return result


def platform_evaluation_shown(scope: Scope, programme: str) -> EvaluationShown:
    """What the evaluation page shows of the programme in the scope (see the module)."""
    run = _run_for(scope, programme, records_version(scope))
    if run.state == EvaluationState.DONE:
        return EvaluationShown(result_of(run), run.finished_at, computing=False)
    latest = (
        PlatformEvaluationRun.objects.filter(
            scope=scope.key, programme=programme, state=EvaluationState.DONE
        )
        .order_by("-finished_at")
        .first()
    )
    return EvaluationShown(
        result_of(latest) if latest is not None else None,
        latest.finished_at if latest is not None else None,
        computing=run.state == EvaluationState.COMPUTING,
        failed=run.state == EvaluationState.FAILED,
    )
