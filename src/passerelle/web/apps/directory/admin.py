"""Admin for platform administrators. Knowledge records are edited in the YAML (a data
change with a test case), so the admin shows them read-only; records entered by
organisations can be edited."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from passerelle.web.apps.directory.models import Event, Organisation, Origin, Partnership, Programme


class DirectoryAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("slug", "origin", "in_knowledge", "updated_at")
    list_filter = ("origin", "in_knowledge")
    search_fields = ("slug", "search_text")
    readonly_fields = ("uuid", "knowledge_digest", "created_at", "updated_at")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and obj.origin == Origin.KNOWLEDGE:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and obj.origin == Origin.KNOWLEDGE:
            return False
        return super().has_delete_permission(request, obj)


for model in (Organisation, Programme, Partnership, Event):
    admin.site.register(model, DirectoryAdmin)
