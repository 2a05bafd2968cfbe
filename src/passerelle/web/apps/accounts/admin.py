"""Accounts in the admin. Person files are deliberately absent: they are read only through
`people.access`, never through the admin."""

from __future__ import annotations

from django.contrib import admin

from passerelle.web.apps.accounts.models import ApiToken, Membership, StaffProfile


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("user", "organisation", "role")
    list_filter = ("role",)
    autocomplete_fields = ("organisation",)


@admin.register(StaffProfile)
class StaffProfileAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("user", "platform_role")


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("name", "organisation", "created_at", "last_used_at", "revoked_at")
    readonly_fields = ("key_hash", "created_at", "last_used_at")
