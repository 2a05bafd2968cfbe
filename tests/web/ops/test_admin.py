"""What the admin lets a platform administrator do with records that services write: the
processes' heartbeats and the schedule's slots may be deleted (a dead process, a slot to run
again) but not added or edited; a matching round's record may not be touched at all."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.db import models
from django.test import RequestFactory

from passerelle.web.apps.matching.models import MatchingRound
from passerelle.web.apps.ops.models import Heartbeat, ScheduleSlot


@pytest.mark.parametrize(
    ("model", "deletable"),
    [(Heartbeat, True), (ScheduleSlot, True), (MatchingRound, False)],
)
def test_the_admin_shows_service_records_without_adding_or_editing(
    model: type[models.Model], deletable: bool
) -> None:
    model_admin = admin.site._registry[model]
    request = RequestFactory().get("/admin/")
    assert model_admin.has_add_permission(request) is False
    assert model_admin.has_change_permission(request) is False
    # A superuser's delete is Django's default answer, which only the read-only records refuse.
    request.user = type("Superuser", (), {"has_perm": lambda self, perm, obj=None: True})()
    assert model_admin.has_delete_permission(request) is deletable
