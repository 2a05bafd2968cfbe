"""Who may do what here.

- An organisation's coordinators and administrators share its encodings (upload, or
  encode its person files on the platform); caseworkers may not.
- The sector's linkage is run and reviewed by the platform's analysts and administrators
  (neutral to the organisations, which compete for beneficiaries); they see encodings'
  levels and weights, never a name, since there is none here.
- The figures (aggregates, small cells withheld) are for everyone who may see aggregates
  (`aggregates_view`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponseBase

from passerelle.web.apps.accounts.decorators import _login_and_second_factor
from passerelle.web.apps.accounts.models import PlatformRole, Role, StaffProfile

SHARING_ROLES = frozenset({Role.COORDINATOR, Role.ORG_ADMIN})


def may_share_encodings(actor: Any) -> bool:
    return actor.role in SHARING_ROLES


def may_run_linkage(user: Any) -> bool:
    profile = StaffProfile.objects.filter(user=user).first()
    return profile is not None and profile.platform_role in (
        PlatformRole.ANALYST,
        PlatformRole.ADMIN,
    )


def linkage_view(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """The door of the linkage runs and the review queue."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        refused = _login_and_second_factor(request)
        if refused is not None:
            return refused
        if not may_run_linkage(request.user):
            raise PermissionDenied
        response = view(request, *args, **kwargs)
        response.headers["Cache-Control"] = "no-store"
        return response

    return wrapper
