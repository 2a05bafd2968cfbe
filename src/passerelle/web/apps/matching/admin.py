"""Admin: mentors, offers and vacancies editable; rounds read-only (proposals, which name
persons by id, are seen on the coordinator's pages only)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from passerelle.web.apps.matching.models import InternshipOffer, MatchingRound, Mentor, Vacancy


@admin.register(Mentor)
class MentorAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("label", "organisation", "age", "max_mentees", "active")
    list_filter = ("organisation", "active", "retired")


@admin.register(InternshipOffer)
class InternshipOfferAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("title", "host", "programme", "start_date", "places", "active")
    list_filter = ("active",)


@admin.register(Vacancy)
class VacancyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("title", "employer", "occupation", "start_date", "posts", "active")
    list_filter = ("active",)


@admin.register(MatchingRound)
class MatchingRoundAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("created_at", "organisation", "programme", "kind", "on", "status")
    list_filter = ("kind", "status")
    exclude = ("options",)
    readonly_fields = (
        "organisation",
        "programme",
        "kind",
        "on",
        "summary",
        "status",
        "started_by",
        "started_by_label",
        "confirmed_at",
        "confirmed_by_label",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
