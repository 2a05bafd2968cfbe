"""The directory: organisations, programmes, partnerships and events, as loaded from the
knowledge base (origin "knowledge") or entered by organisations (origin "user").

Texts in several languages are JSON objects {"fr", "nl", "en", "ar"}; lists used as filters
are also kept as a space-separated index (`*_index`) so that one query filters them on
SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

HSDS_NAMESPACE = uuid.UUID("5b7f0a8e-2f0b-4c43-9d3e-7f3c2a1d9b10")
"""Namespace of the stable UUIDs derived from our slugs (uuid5), for HSDS ids."""


def stable_uuid(kind: str, slug: str) -> uuid.UUID:
    return uuid.uuid5(HSDS_NAMESPACE, f"{kind}:{slug}")


class Origin(models.TextChoices):
    KNOWLEDGE = "knowledge", _("knowledge base")
    USER = "user", _("entered by an organisation")


class DirectoryRecord(models.Model):
    slug = models.SlugField(max_length=120, unique=True)
    uuid = models.UUIDField(unique=True, editable=False)
    origin = models.CharField(max_length=16, choices=Origin.choices, default=Origin.USER)
    in_knowledge = models.BooleanField(
        default=False, help_text=_("Present in the knowledge base at the last load.")
    )
    knowledge_digest = models.CharField(max_length=64, blank=True)
    names = models.JSONField(default=dict)
    sources = models.JSONField(default=list)
    search_text = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True

    def name(self, language: str) -> str:
        value = self.names.get(language) or self.names.get("en") or self.slug
        return str(value)


class Organisation(DirectoryRecord):
    kind = models.CharField(max_length=64)
    languages = models.JSONField(default=list)
    funders = models.JSONField(default=list)
    founders = models.JSONField(default=list)
    mandate = models.JSONField(null=True, blank=True)
    target_groups = models.JSONField(default=list)
    municipality = models.CharField(max_length=80, blank=True)
    website = models.URLField(blank=True)
    status_history = models.JSONField(default=list)
    is_demo = models.BooleanField(
        default=False,
        help_text=_(
            "A synthetic organisation made for the demonstration: never listed in the public "
            "directory, the HSDS API or the recipients of a consent."
        ),
    )

    class Meta:
        ordering = ("slug",)

    def __str__(self) -> str:
        return self.name("en")


class Programme(DirectoryRecord):
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="programmes"
    )
    categories = models.JSONField(default=list)
    categories_index = models.CharField(max_length=400, blank=True, db_index=True)
    description = models.JSONField(default=dict)
    target_groups = models.JSONField(default=list)
    target_groups_index = models.CharField(max_length=400, blank=True)
    languages = models.JSONField(default=list)
    languages_index = models.CharField(max_length=100, blank=True)
    municipality = models.CharField(max_length=80, blank=True)
    modules = models.JSONField(default=list)
    capacity = models.JSONField(null=True, blank=True)
    duration = models.JSONField(null=True, blank=True)
    cost = models.JSONField(null=True, blank=True)
    how_to_apply = models.JSONField(null=True, blank=True)
    valid_from = models.DateField(null=True, blank=True)
    valid_from_text = models.CharField(max_length=10, blank=True)
    valid_to = models.DateField(null=True, blank=True)
    valid_to_text = models.CharField(max_length=10, blank=True)
    eligibility = models.JSONField(null=True, blank=True)
    eligibility_note = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ("slug",)

    def __str__(self) -> str:
        return self.name("en")


class Partnership(DirectoryRecord):
    formal = models.BooleanField(default=False)
    members = models.ManyToManyField(Organisation, related_name="partnerships")
    purpose = models.JSONField(default=dict)
    programmes = models.ManyToManyField(Programme, related_name="partnerships", blank=True)
    routing_basis = models.JSONField(default=list)
    valid_from_text = models.CharField(max_length=10, blank=True)
    valid_to_text = models.CharField(max_length=10, blank=True)

    class Meta:
        ordering = ("slug",)

    def __str__(self) -> str:
        return self.name("en")


class Event(DirectoryRecord):
    partnership = models.ForeignKey(
        Partnership, on_delete=models.CASCADE, related_name="events", null=True, blank=True
    )
    organiser = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="events")
    venue = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="hosted_events",
        null=True,
        blank=True,
    )
    recurrence = models.CharField(max_length=16)
    schedule = models.JSONField(
        null=True,
        blank=True,
        help_text=_("The days it is held (knowledge EventSchedule), assumed or sourced."),
    )

    class Meta:
        ordering = ("slug",)

    def __str__(self) -> str:
        return self.name("en")
