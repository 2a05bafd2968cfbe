"""Which of the site header's staff links the logged-in user may follow (a link that would
answer 403 is not shown)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from passerelle.web.apps.accounts.decorators import may_see_aggregates
from passerelle.web.apps.accounts.models import Role


def _links(user: Any) -> dict[str, bool]:
    roles = set(user.memberships.values_list("role", flat=True))
    return {
        "persons": bool(roles - {Role.EMPLOYER}),
        "matching": bool(roles),
        "analysis": may_see_aggregates(user),
    }


def staff_links(request: HttpRequest) -> dict[str, Any]:
    user: Any = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"staff_links": SimpleLazyObject(lambda: _links(user))}
