"""The audit log in the admin: read only (no add, change or delete)."""

from __future__ import annotations

from django.contrib import admin

from passerelle.web.apps.audit.models import AuditEntry
from passerelle.web.common.admin import ReadOnlyAdmin


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin[AuditEntry]):
    list_display = ("at", "action", "actor_label", "organisation", "object_kind", "flagged")
    list_filter = ("action", "flagged")
    search_fields = ("actor_label", "object_id")
