"""Which of the site header's staff links the logged-in user may follow (a link that would
answer 403 is not shown)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from passerelle.web.apps.accounts.decorators import (
    is_analyst_or_platform_admin,
    may_see_aggregates,
)
from passerelle.web.apps.accounts.models import Role
from passerelle.web.common.actors import POLICY


def start_page(roles: set[str], analysis: bool) -> str | None:
    """The URL name of a staff user's start page (after logging in, and the error pages'
    way back): the person files, or for employers and hosts alone their offers, or for
    the platform's analysts without a membership the analysis; None when none is open."""
    if roles - {Role.EMPLOYER}:
        return "people:list"
    if roles:
        return "matching:home"
    return "accounts:home" if analysis else None


def _links(user: Any) -> dict[str, Any]:
    roles = set(user.memberships.values_list("role", flat=True))
    analysis = may_see_aggregates(user)
    return {
        "persons": bool(roles - {Role.EMPLOYER}),
        "matching": bool(roles),
        "analysis": analysis,
        # The sector's linkage runs and review queue (`beneficiaries.access.linkage_view`).
        "linkage": is_analyst_or_platform_admin(user),
        # An organisation's encodings: the roles `common.actors.POLICY` lets share them.
        "encodings": any("encodings_share" in POLICY[role]["organisation"] for role in roles),
        "start": start_page(roles, analysis),
    }


def staff_links(request: HttpRequest) -> dict[str, Any]:
    user: Any = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"staff_links": SimpleLazyObject(lambda: _links(user))}
