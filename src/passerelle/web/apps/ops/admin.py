"""The queue in the admin: every task with its state (queued, running, failed, done), its
attempts and traceback, the processes' heartbeats, and a "retry" action on failed tasks."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django_tasks_db.admin import DBTaskResultAdmin
from django_tasks_db.models import DBTaskResult

from passerelle.web.apps.ops.models import Heartbeat, ScheduleSlot
from passerelle.web.apps.ops.queue import ATTEMPT, task_retry
from passerelle.web.common.admin import ViewOnlyAdmin

admin.site.unregister(DBTaskResult)


@admin.register(DBTaskResult)
class TaskAdmin(DBTaskResultAdmin):
    list_display = (  # type: ignore[assignment]  # one column more than django-tasks' own
        "task_name",
        "status",
        "attempt",
        "enqueued_at",
        "started_at",
        "finished_at",
        "run_after",
        "worker_count",
        "reason",
    )
    actions = ("retry_failed",)

    @admin.display(description=_("attempt"))
    def attempt(self, obj: DBTaskResult[..., Any]) -> int:
        return int(obj.args_kwargs.get("kwargs", {}).get(ATTEMPT, 1))

    @admin.display(description=_("workers that took it"))
    def worker_count(self, obj: DBTaskResult[..., Any]) -> int:
        return len(obj.worker_ids)

    @admin.display(description=_("why it failed"))
    def reason(self, obj: DBTaskResult[..., Any]) -> str:
        """The exception's message (the traceback's last line, its class left out): for a
        task its workers left, how many times they stopped."""
        if obj.status != "FAILED" or not obj.traceback:
            return ""
        last = str(obj.traceback).rstrip().rsplit("\n", 1)[-1]
        return last.split(": ", 1)[-1][:200]

    def has_change_permission(
        self, request: HttpRequest, obj: DBTaskResult[..., Any] | None = None
    ) -> bool:
        # The list's actions need it; every field stays read-only (get_readonly_fields).
        return bool(request.user.is_superuser)

    @admin.action(description=_("Retry the selected failed tasks"))
    def retry_failed(
        self, request: HttpRequest, queryset: QuerySet[DBTaskResult[..., Any]]
    ) -> None:
        retried = skipped = 0
        for result in queryset.only("id", "status"):
            if result.status != "FAILED":
                skipped += 1
                continue
            task_retry(result_id=str(result.pk))
            retried += 1
        if retried:
            self.message_user(
                request,
                ngettext("%(count)d task queued again.", "%(count)d tasks queued again.", retried)
                % {"count": retried},
                messages.SUCCESS,
            )
        if skipped:
            self.message_user(
                request,
                ngettext(
                    "%(count)d task skipped: only failed tasks can be retried.",
                    "%(count)d tasks skipped: only failed tasks can be retried.",
                    skipped,
                )
                % {"count": skipped},
                messages.WARNING,
            )


@admin.register(Heartbeat)
class HeartbeatAdmin(ViewOnlyAdmin[Heartbeat]):
    list_display = ("kind", "process_id", "host", "pid", "started_at", "seen_at")
    list_filter = ("kind",)
    ordering = ("-seen_at",)


@admin.register(ScheduleSlot)
class ScheduleSlotAdmin(ViewOnlyAdmin[ScheduleSlot]):
    list_display = ("job", "slot", "enqueued_at", "task_id")
    list_filter = ("job",)
    ordering = ("-slot",)
