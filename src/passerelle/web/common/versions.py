"""Versioned records: a record that counts its changes (`version`) and keeps one row per
change with the old and new value of each changed field, who made it and when.

Person files (`people.PersonVersion`) and follow-ups (`followups.FollowUpVersion`) are written
this way; an editor gives the version it loaded and is refused (`StaleVersionError`) when
someone changed the record since, so that two editors never overwrite each other silently.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models


class VersionRow(models.Model):
    """One change of a versioned record. A concrete subclass adds the foreign key to its
    record (`related_name="versions"`), its ordering and its one-row-per-number constraint."""

    number = models.PositiveIntegerField()
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    changed_by_label = models.CharField(max_length=150, blank=True)
    changed_at = models.DateTimeField(auto_now_add=True)
    changes = models.JSONField(default=dict)

    class Meta:
        abstract = True


class StaleVersionError(RuntimeError):
    """The record changed since the editor loaded it; `current_version` is its version now.

    The message starts with "version: " (the field the API's 409 names); a subclass says
    what the record is and what to do (`record`, `advice`)."""

    record = "record"
    advice = "reload it and apply your changes again"

    def __init__(self, current_version: int) -> None:
        self.current_version = current_version
        super().__init__(
            f"version: this {self.record} was changed by someone else (now version "
            f"{current_version}); {self.advice}"
        )


def changed_fields(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """{field: [old, new]} for each field of `after` whose value differs from `before`'s: a
    version row's `changes`."""
    return {name: [before[name], after[name]] for name in after if before[name] != after[name]}
