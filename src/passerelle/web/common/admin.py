"""Admin pieces several apps share."""

from __future__ import annotations

from typing import TypeVar

from django.contrib import admin
from django.db import models
from django.http import HttpRequest

_M = TypeVar("_M", bound=models.Model)


class ViewOnlyAdmin(admin.ModelAdmin[_M]):
    """Records the admin shows but never adds or changes: a service writes them (heartbeats,
    schedule slots), so a hand-made or edited row would contradict what the service did."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: _M | None = None) -> bool:
        return False


class ReadOnlyAdmin(ViewOnlyAdmin[_M]):
    """Records nobody may add, change or delete from the admin (the audit log, the record of
    a matching round): they are the evidence of what happened."""

    def has_delete_permission(self, request: HttpRequest, obj: _M | None = None) -> bool:
        return False
