"""Admin: mentors, offers and vacancies editable; rounds read-only (proposals, which name
persons by id, are seen on the coordinator's pages only)."""

from __future__ import annotations

from django.contrib import admin

from passerelle.web.apps.matching.models import InternshipOffer, MatchingRound, Mentor, Vacancy
from passerelle.web.common.admin import ReadOnlyAdmin


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
class MatchingRoundAdmin(ReadOnlyAdmin[MatchingRound]):
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
