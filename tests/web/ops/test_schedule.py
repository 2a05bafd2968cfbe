"""Scheduled jobs, by a clock the test advances: each job once per slot, at its time, and
what each job does (webhook retries, overdue flags, retention purge report, token
clean-up)."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from tests.support.referrals import Network, draft, move

from passerelle.web.apps.accounts.models import ApiToken, PlatformRole
from passerelle.web.apps.ops.models import ScheduleSlot
from passerelle.web.apps.ops.schedule import Job, ScheduleError, jobs_from, scheduler_tick
from passerelle.web.apps.referrals.models import Referral

BRUSSELS = zoneinfo.ZoneInfo("Europe/Brussels")
Worker = Callable[[], None]


def at(text: str) -> dt.datetime:
    """A time in Brussels, as the schedules read it."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=BRUSSELS)


@pytest.mark.django_db
def test_each_job_runs_once_per_slot_as_the_clock_advances(stored_tasks: None) -> None:
    start = at("2026-12-07 01:00:10")
    assert sorted(scheduler_tick(now=start)) == [
        "aggregates-rebuild",
        "api-token-clean-up",
        "follow-up-reminders",
        "public-pages-render",
        "referrals-overdue",
        "retention-purge",
        "scenarios-precompute",
        "webhook-retries",
    ]  # a first start catches up the latest slot of each, once
    assert scheduler_tick(now=start) == []  # a second scheduler at the same moment: nothing
    assert scheduler_tick(now=start + dt.timedelta(seconds=30)) == []
    assert scheduler_tick(now=at("2026-12-07 01:01:00")) == ["webhook-retries"]
    assert scheduler_tick(now=at("2026-12-07 02:00:05")) == ["webhook-retries", "referrals-overdue"]
    assert scheduler_tick(now=at("2026-12-07 02:30:00")) == ["webhook-retries", "retention-purge"]
    assert scheduler_tick(now=at("2026-12-07 03:00:30")) == [
        "webhook-retries",
        "referrals-overdue",
        "api-token-clean-up",
    ]
    assert scheduler_tick(now=at("2026-12-07 04:00:00")) == [
        "webhook-retries",
        "referrals-overdue",
        "scenarios-precompute",
    ]
    assert scheduler_tick(now=at("2026-12-07 08:00:00")) == [
        "webhook-retries",
        "referrals-overdue",
        "follow-up-reminders",
    ]
    # Down for a day and a half: the missed slots are not replayed one by one.
    later = scheduler_tick(now=at("2026-12-08 20:00:00"))
    assert sorted(later) == sorted(
        [
            "webhook-retries",
            "referrals-overdue",
            "follow-up-reminders",
            "retention-purge",
            "scenarios-precompute",
            "api-token-clean-up",
            "public-pages-render",
            "aggregates-rebuild",
        ]
    )
    assert ScheduleSlot.objects.filter(job="retention-purge").count() == 3
    queued = DBTaskResult.objects.filter(task_path__endswith=".retention_purge").count()
    assert queued == 3


def test_a_daily_slot_follows_brussels_time_across_the_clock_change() -> None:
    job = Job("purge", "x.y", daily_at=dt.time(2, 30))
    summer = dt.datetime(2026, 7, 1, 1, 0, tzinfo=dt.UTC)  # 03:00 in Brussels
    winter = dt.datetime(2026, 12, 1, 2, 0, tzinfo=dt.UTC)  # 03:00 in Brussels
    assert job.slot(summer, BRUSSELS) == dt.datetime(2026, 7, 1, 0, 30, tzinfo=dt.UTC)
    assert job.slot(winter, BRUSSELS) == dt.datetime(2026, 12, 1, 1, 30, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"task": "nodots"}, "task: a dotted path"),
        ({"task": "a.b"}, "exactly one of every"),
        ({"task": "a.b", "every": 60, "daily_at": "02:00"}, "exactly one of every"),
        ({"task": "a.b", "every": 1}, "every: seconds from 10 to 604800"),
        ({"task": "a.b", "daily_at": "25:99"}, "daily_at: HH:MM"),
    ],
)
def test_a_wrong_schedule_is_refused_naming_the_job_and_field(
    spec: dict[str, Any], message: str
) -> None:
    with pytest.raises(ScheduleError, match=f"^job: .*{message}"):
        jobs_from({"job": spec})


@pytest.mark.django_db
def test_an_overdue_referral_is_flagged_to_the_receiver_once(
    consented: Network, run_worker: Worker
) -> None:
    referral = move(consented, "cw_a", draft(consented), "send")
    Referral.objects.filter(pk=referral.pk).update(answer_due=dt.date(2026, 11, 1))
    jobs = jobs_from({"overdue": {"task": "passerelle.web.apps.referrals.tasks."
                                  "referrals_flag_overdue", "every": 3600}})  # fmt: skip
    run_worker()  # the transition's own e-mails
    mail.outbox.clear()
    scheduler_tick(now=timezone.now(), jobs=jobs)
    run_worker()
    assert sorted(m.to[0] for m in mail.outbox) == ["co_b@example.org", "cw_b@example.org"]
    assert all(f"/staff/referrals/{referral.pk}" in m.body for m in mail.outbox)
    mail.outbox.clear()
    scheduler_tick(now=timezone.now() + dt.timedelta(hours=1), jobs=jobs)
    run_worker()
    assert mail.outbox == []  # flagged once, not every hour


@pytest.mark.django_db
def test_the_retention_purge_reports_a_dry_run_to_administrators(
    run_worker: Worker, make_user: Callable[..., User], settings: Any
) -> None:
    admin = make_user("platform-admin", platform_role=PlatformRole.ADMIN)
    admin.email = "admin@example.org"
    admin.save()
    make_user("someone-else", "caseworker", "a")
    settings.RETENTION_PURGE_ENABLED = False
    jobs = jobs_from({"purge": {"task": "passerelle.web.apps.people.tasks.retention_purge",
                                "daily_at": "02:30"}})  # fmt: skip
    scheduler_tick(now=timezone.now(), jobs=jobs)
    run_worker()
    (message,) = mail.outbox
    assert message.to == ["admin@example.org"]
    (result,) = DBTaskResult.objects.filter(task_path__endswith=".retention_purge")
    assert result.return_value["dry_run"] is True
    assert result.return_value["anonymised"] == 0


@pytest.mark.django_db
def test_revoked_tokens_are_deleted_after_the_keeping_period(
    run_worker: Worker, organisations: dict[str, Any]
) -> None:
    now = timezone.now()
    old, _key = ApiToken.issue(organisation=organisations["a"], name="old", scopes=[])
    recent, _key = ApiToken.issue(organisation=organisations["a"], name="recent", scopes=[])
    ApiToken.issue(organisation=organisations["a"], name="live", scopes=[])
    ApiToken.objects.filter(pk=old.pk).update(revoked_at=now - dt.timedelta(days=91))
    ApiToken.objects.filter(pk=recent.pk).update(revoked_at=now - dt.timedelta(days=10))
    jobs = jobs_from({"tokens": {"task": "passerelle.web.apps.accounts.tasks.tokens_clean_up",
                                 "daily_at": "03:00"}})  # fmt: skip
    scheduler_tick(now=now, jobs=jobs)
    run_worker()
    assert set(ApiToken.objects.values_list("name", flat=True)) == {"recent", "live"}


@pytest.mark.django_db
def test_the_scenarios_are_computed_ahead_once(
    run_worker: Worker, settings: Any, tmp_path: Any
) -> None:
    from passerelle.web.apps.scenarios.services import is_cached, shipped_scenarios

    settings.SCENARIO_CACHE_DIR = str(tmp_path)
    settings.SCENARIO_PERSONS, settings.SCENARIO_REPLICATIONS = 500, 1
    settings.SCENARIO_SEED, settings.SCENARIO_MONTHS = 7, 12
    jobs = jobs_from({"scenarios": {"task": "passerelle.web.apps.scenarios.tasks."
                                    "scenarios_precompute", "daily_at": "04:00"}})  # fmt: skip
    scheduler_tick(now=timezone.now(), jobs=jobs)
    run_worker()
    scenarios = shipped_scenarios()
    first = DBTaskResult.objects.get(task_path__endswith=".scenarios_precompute")
    assert first.return_value == {"computed": len(scenarios), "cached": 0}
    from passerelle.web.apps.scenarios.services import sizes_from_settings

    assert all(is_cached(s, sizes_from_settings()) for s in scenarios)
    scheduler_tick(now=timezone.now() + dt.timedelta(days=1), jobs=jobs)
    run_worker()
    second = DBTaskResult.objects.filter(task_path__endswith=".scenarios_precompute").latest(
        "enqueued_at"
    )
    assert second.return_value == {"computed": 0, "cached": len(scenarios)}
