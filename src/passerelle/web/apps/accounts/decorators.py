"""`staff_view`: the door of every staff page.

It asks for a login, then for the second factor where the role needs one, resolves the
organisation the user acts for (chosen in the session among their memberships) and hands
the view an `Actor`. Lookups that find nothing become 404 and refused operations 403, the
same for every page.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse

from passerelle.web.apps.accounts.services import memberships_of, two_factor_required
from passerelle.web.common.actors import POLICY, Actor, OperationDeniedError, PersonNotFoundError

ORGANISATION_SESSION_KEY = "passerelle_organisation"

StaffView = Callable[..., HttpResponseBase]


def needs_second_factor(request: HttpRequest) -> bool:
    user: Any = request.user
    return two_factor_required(user) and not user.is_verified()


def actor_for_request(request: HttpRequest) -> Actor | None:
    user: Any = request.user
    memberships = memberships_of(user)
    if not memberships:
        return None
    chosen = request.session.get(ORGANISATION_SESSION_KEY)
    membership = next((m for m in memberships if m.organisation_id == chosen), memberships[0])
    return Actor(
        organisation=membership.organisation,
        role=membership.role,
        user=user,
        label=user.get_username(),
    )


def _login_and_second_factor(
    request: HttpRequest, *, second_factor: bool = False
) -> HttpResponseBase | None:
    """Where to send a request that has not logged in, or not given its second factor (that
    its role needs, or that the page needs whatever the role: `second_factor`)."""
    if not request.user.is_authenticated:
        query = urlencode({"next": request.get_full_path()})
        return redirect(f"{reverse('accounts:login')}?{query}")
    user: Any = request.user
    if second_factor and not user.is_verified():
        query = urlencode({"next": request.get_full_path()})
        return redirect(f"{reverse('accounts:two-factor')}?{query}")
    if needs_second_factor(request):
        return redirect("accounts:two-factor")
    return None


def staff_view(view: StaffView) -> Callable[..., HttpResponseBase]:
    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        refused = _login_and_second_factor(request)
        if refused is not None:
            return refused
        actor = actor_for_request(request)
        if actor is None:
            # Refused, with the way to the pages the account may open (an analyst's).
            return render(
                request,
                "accounts/no_organisation.html",
                {"analysis": may_see_aggregates(request.user)},
                status=403,
            )
        try:
            response = view(request, actor, *args, **kwargs)
        except (PersonNotFoundError, Http404):
            # The site's page in the reader's language, also when DEBUG would show Django's.
            return render(request, "404.html", status=404)
        except (OperationDeniedError, PermissionDenied):
            return render(request, "403.html", status=403)
        response.headers["Cache-Control"] = "no-store"
        return response

    return wrapper


def is_analyst_or_platform_admin(user: Any) -> bool:
    """The platform's analysts and administrators (neutral to the organisations)."""
    from passerelle.web.apps.accounts.models import PlatformRole, StaffProfile

    profile = StaffProfile.objects.filter(user=user).first()
    return profile is not None and profile.platform_role in (
        PlatformRole.ANALYST,
        PlatformRole.ADMIN,
    )


def may_see_aggregates(user: Any) -> bool:
    """Analysts and platform administrators, and the roles `common.actors.POLICY` lets
    see aggregates (coordinators and organisation administrators) at any organisation:
    aggregate figures, never a person."""
    if is_analyst_or_platform_admin(user):
        return True
    roles = [
        role for role, relations in POLICY.items() if "aggregates_view" in relations["organisation"]
    ]
    return bool(user.memberships.filter(role__in=roles).exists())


def gated_view(
    may_enter: Callable[[Any], bool], *, second_factor: bool = False
) -> Callable[[Callable[..., HttpResponseBase]], Callable[..., HttpResponseBase]]:
    """A door for pages that are not an organisation's: a login, the second factor where
    the role needs one (or always, with `second_factor`), and `may_enter(user)`; answers
    are never cached. Who may not enter is refused before being asked for a second factor,
    so the door does not tell them it exists."""

    def decorator(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            refused = _login_and_second_factor(request)
            if refused is not None:
                return refused
            if not may_enter(request.user):
                raise PermissionDenied
            refused = _login_and_second_factor(request, second_factor=second_factor)
            if refused is not None:
                return refused
            response = view(request, *args, **kwargs)
            response.headers["Cache-Control"] = "no-store"
            return response

        return wrapper

    return decorator


# The door of the analysts' pages (dashboards, evaluation, scenarios).
aggregates_view = gated_view(may_see_aggregates)
