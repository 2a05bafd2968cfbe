"""The queue: retries with backoff, idempotency keys, a failed task retried by an
administrator, tasks lost with a dead worker put back, and the platform's background work
(a transition's e-mails and webhook deliveries, a linkage run) queued as tasks."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone, translation
from django_tasks_db.models import DBTaskResult
from tests.support.referrals import Network, draft, move
from tests.web.ops import sample_tasks

from passerelle.web.apps.beneficiaries import services as beneficiaries
from passerelle.web.apps.beneficiaries import tasks as beneficiary_tasks
from passerelle.web.apps.beneficiaries.models import LinkageRun, RunStatus
from passerelle.web.apps.ops.models import Heartbeat, ProcessKind, TaskKey
from passerelle.web.apps.ops.queue import (
    ATTEMPT,
    TaskNotRetriableError,
    enqueue,
    retry_wait,
    task_retry,
)
from passerelle.web.apps.ops.worker import beat, reap_lost_tasks

Worker = Callable[[], None]


def results(name: str) -> list[DBTaskResult]:
    return list(DBTaskResult.objects.filter(task_path__endswith=name).order_by("enqueued_at"))


def make_due() -> None:
    """Advance the queue's clock: every deferred task is due now."""
    DBTaskResult.objects.filter(status="READY").update(run_after=timezone.now())


def test_the_backoff_doubles_up_to_an_hour() -> None:
    base = dt.timedelta(seconds=30)
    assert [retry_wait(n, base).total_seconds() for n in (1, 2, 3)] == [30, 60, 120]
    assert retry_wait(20, base) == dt.timedelta(hours=1)


@pytest.mark.django_db
def test_a_failing_task_is_retried_with_backoff_until_it_succeeds(run_worker: Worker) -> None:
    sample_tasks.FAILURES["twice"] = 2
    enqueue(sample_tasks.flaky, "twice")
    run_worker()
    first, second = results("flaky")
    assert first.status == "FAILED"
    assert "failing on purpose" in first.traceback
    assert second.status == "READY"
    assert second.args_kwargs["kwargs"][ATTEMPT] == 2
    wait = (second.run_after - first.finished_at).total_seconds()
    assert 29 <= wait <= 31  # the first backoff: 30 s
    make_due()
    run_worker()
    third = results("flaky")[2]
    assert (third.run_after - results("flaky")[1].finished_at).total_seconds() >= 59  # doubled
    make_due()
    run_worker()
    assert [r.status for r in results("flaky")] == ["FAILED", "FAILED", "SUCCESSFUL"]
    assert results("flaky")[2].return_value == "twice done"


@pytest.mark.django_db
def test_a_task_failing_past_its_retries_stays_failed(run_worker: Worker) -> None:
    sample_tasks.FAILURES["always"] = 10
    enqueue(sample_tasks.flaky, "always")
    for _round in range(4):
        make_due()
        run_worker()
    # retries=2: three attempts, then nothing more is queued.
    assert [r.status for r in results("flaky")] == ["FAILED"] * 3


@pytest.mark.django_db
def test_an_idempotency_key_queues_the_work_once(run_worker: Worker) -> None:
    assert enqueue(sample_tasks.mark, "once", key="mark:once") is True
    assert enqueue(sample_tasks.mark, "once", key="mark:once") is False
    assert len(results("mark")) == 1
    assert TaskKey.objects.get(key="mark:once").task_id == str(results("mark")[0].pk)
    run_worker()
    assert TaskKey.objects.filter(key__startswith="ran:once:").count() == 1


@pytest.mark.django_db
def test_an_administrator_retries_a_failed_task(run_worker: Worker) -> None:
    sample_tasks.FAILURES["fixed-later"] = 10
    enqueue(sample_tasks.flaky.using(), "fixed-later")
    for _round in range(3):
        make_due()
        run_worker()
    failed = results("flaky")[-1]
    assert failed.status == "FAILED"
    sample_tasks.FAILURES["fixed-later"] = 0  # the cause is fixed
    again = task_retry(result_id=str(failed.pk))
    assert again.pk != failed.pk
    assert again.status == "READY"
    assert ATTEMPT not in again.args_kwargs["kwargs"]  # a fresh start: all its retries
    run_worker()
    again.refresh_from_db()
    assert again.status == "SUCCESSFUL"
    with pytest.raises(TaskNotRetriableError, match="only FAILED"):
        task_retry(result_id=str(again.pk))


@pytest.mark.django_db
def test_a_task_of_a_dead_worker_is_queued_again_then_failed(
    stored_tasks: None, settings: Any
) -> None:
    settings.PASSERELLE_WORKER_LOST_SECONDS = 60
    settings.PASSERELLE_TASK_MAX_CLAIMS = 2
    enqueue(sample_tasks.mark, "lost")
    now = timezone.now()
    task = results("mark")[0]
    beat(process_id="dead", kind=ProcessKind.WORKER, now=now - dt.timedelta(minutes=5))
    beat(process_id="alive", kind=ProcessKind.WORKER, now=now)
    task.claim("dead")
    DBTaskResult.objects.filter(pk=task.pk).update(started_at=now - dt.timedelta(minutes=4))
    assert reap_lost_tasks(now=now) == {"requeued": 1, "failed": 0}
    task.refresh_from_db()
    assert task.status == "READY"
    # Claimed by a live worker: left alone, however long it runs.
    task.claim("alive")
    DBTaskResult.objects.filter(pk=task.pk).update(started_at=now - dt.timedelta(minutes=4))
    assert reap_lost_tasks(now=now) == {"requeued": 0, "failed": 0}
    # That worker dies too: the second loss is the last (PASSERELLE_TASK_MAX_CLAIMS = 2).
    Heartbeat.objects.filter(process_id="alive").update(seen_at=now - dt.timedelta(minutes=3))
    assert reap_lost_tasks(now=now) == {"requeued": 0, "failed": 1}
    task.refresh_from_db()
    assert task.status == "FAILED"
    assert "WorkerLostError" in task.traceback


@pytest.mark.django_db
def test_a_transition_queues_its_e_mails_and_deliveries_in_its_transaction(
    consented: Network, run_worker: Worker
) -> None:
    referral = move(consented, "cw_a", draft(consented), "send")
    event_id = referral.events.order_by("-number").values_list("pk", flat=True)[0]
    assert [r.status for r in results("referral_notify")] == ["READY"]
    assert [r.status for r in results("webhooks_deliver_event")] == ["READY"]
    assert mail.outbox == []  # nothing is sent by the request itself
    assert results("referral_notify")[0].args_kwargs["args"][1] == event_id
    run_worker()
    assert [r.status for r in results("referral_notify")] == ["SUCCESSFUL"]
    assert sorted(m.to[0] for m in mail.outbox) == ["co_b@example.org", "cw_b@example.org"]
    ids = {m.extra_headers["Message-ID"] for m in mail.outbox}
    assert len(ids) == 2
    assert all(i.startswith(f"<referral-event-{event_id}.") for i in ids)


@pytest.mark.django_db
def test_a_linkage_run_is_a_task_marked_failed_then_retried(
    run_worker: Worker, settings: Any
) -> None:
    settings.LINKAGE_RUN_INLINE = False
    run = beneficiaries.run_start(actor_label="test")
    beneficiary_tasks.run_in_background(run)
    beneficiary_tasks.run_in_background(run)  # a second click: the same run is queued once
    assert [r.status for r in results("linkage_run")] == ["READY"]
    run.refresh_from_db()
    assert run.status == RunStatus.RUNNING
    run_worker()
    run.refresh_from_db()
    # No encodings at all: the run fails with its reason, nothing half-written.
    assert run.status == RunStatus.FAILED
    assert "at least 50" in run.error
    (task,) = results("linkage_run")
    assert task.status == "SUCCESSFUL"
    assert task.return_value == RunStatus.FAILED
    LinkageRun.objects.filter(pk=run.pk).update(status=RunStatus.RUNNING)  # as if killed
    enqueue(results("linkage_run")[0].task, run.pk)
    run_worker()
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED
    assert run.step >= 1
    assert run.finished_at is not None


@pytest.mark.django_db
def test_the_admin_lists_tasks_and_retries_only_failed_ones(
    run_worker: Worker, make_user: Callable[..., Any]
) -> None:
    from django.contrib import admin
    from django.contrib.messages import get_messages
    from django.contrib.messages.storage.fallback import FallbackStorage
    from django.test import RequestFactory

    sample_tasks.FAILURES["admin"] = 10
    enqueue(sample_tasks.flaky, "admin")
    enqueue(sample_tasks.mark, "admin")
    for _round in range(3):
        make_due()
        run_worker()
    task_admin = admin.site._registry[DBTaskResult]
    superuser = make_user("root")
    superuser.is_superuser = superuser.is_staff = True
    superuser.save()
    request = RequestFactory().post("/admin/django_tasks_db/dbtaskresult/")
    request.user = superuser
    request.session = {}  # type: ignore[assignment]
    request._messages = FallbackStorage(request)  # type: ignore[attr-defined]
    assert task_admin.has_change_permission(request)
    assert [task_admin.attempt(r) for r in results("flaky")] == [1, 2, 3]
    sample_tasks.FAILURES["admin"] = 0
    with translation.override("en"):
        task_admin.retry_failed(request, DBTaskResult.objects.filter(task_path__endswith="mark"))
        task_admin.retry_failed(request, DBTaskResult.objects.filter(pk=results("flaky")[-1].pk))
    said = [str(m) for m in get_messages(request)]
    assert said == [
        "1 task skipped: only failed tasks can be retried.",
        "1 task queued again.",
    ]
    run_worker()
    assert results("flaky")[-1].status == "SUCCESSFUL"


@pytest.mark.django_db
def test_heartbeats_of_processes_long_gone_are_deleted() -> None:
    now = timezone.now()
    beat(process_id="gone", kind=ProcessKind.WORKER, now=now - dt.timedelta(days=2))
    beat(process_id="recent", kind=ProcessKind.WORKER, now=now - dt.timedelta(hours=2))
    beat(process_id="new", kind=ProcessKind.SCHEDULER, now=now)
    assert set(Heartbeat.objects.values_list("process_id", flat=True)) == {"recent", "new"}
