"""Login (password, then TOTP where required), logout, organisation switch."""

from __future__ import annotations

import base64
from io import BytesIO
from typing import Any
from urllib.parse import urlsplit

import qrcode
import qrcode.image.svg
from django import forms
from django.contrib.auth import login, logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import Resolver404, resolve, reverse
from django.utils.formats import date_format
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.timezone import localtime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST
from django_otp import login as otp_login

from passerelle.web.apps.accounts.context import start_page
from passerelle.web.apps.accounts.decorators import (
    ORGANISATION_SESSION_KEY,
    is_analyst_or_platform_admin,
    may_see_aggregates,
    needs_second_factor,
)
from passerelle.web.apps.accounts.services import (
    login_attempt,
    memberships_of,
    two_factor_device,
    two_factor_enrolment_confirm,
    two_factor_enrolment_start,
    two_factor_offered,
)
from passerelle.web.apps.audit.models import Action
from passerelle.web.apps.audit.services import audit_record


class LoginForm(forms.Form):
    username = forms.CharField(label=gettext_lazy("User name"), max_length=150)
    password = forms.CharField(
        label=gettext_lazy("Password"), strip=False, widget=forms.PasswordInput
    )


class TokenForm(forms.Form):
    token = forms.RegexField(
        label=gettext_lazy("Six-digit code from your authenticator app"),
        regex=r"^\s*\d{6}\s*$",
        error_messages={"invalid": gettext_lazy("Enter the six digits your app shows.")},
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )


def _next_url(request: HttpRequest) -> str:
    """Where to go after logging in: `next` when it is a path of this site, else the user's
    start page. Anything else in `next` (another host, a word such as "foo", which
    `redirect` would try as a view name, a control character such as NUL) is ignored, so the
    login is never lost."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if (
        target.startswith("/")
        and target.isprintable()
        and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure())
        and _resolves(target)
    ):
        return target
    user: Any = request.user
    if not user.is_authenticated:
        return "people:list"
    roles = set(user.memberships.values_list("role", flat=True))
    return start_page(roles, may_see_aggregates(user)) or "people:list"


def _resolves(target: str) -> bool:
    try:
        resolve(urlsplit(target).path)
    except Resolver404:
        return False
    return True


@sensitive_post_parameters("password")
@never_cache
def login_view(request: HttpRequest) -> HttpResponse:
    form = LoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        outcome = login_attempt(
            username=form.cleaned_data["username"],
            password=form.cleaned_data["password"],
            request=request,
        )
        if outcome.user is not None:
            login(request, outcome.user)
            return redirect(_next_url(request))
        if outcome.locked_until is not None:
            form.add_error(
                None,
                _(
                    "Too many failed attempts: this account is locked until %(time)s. "
                    "Ask your organisation's administrator if you need help sooner."
                )
                % {"time": date_format(localtime(outcome.locked_until), "TIME_FORMAT")},
            )
        else:
            form.add_error(None, _("This user name and password do not match an account."))
    return render(
        request, "accounts/login.html", {"form": form, "next": request.GET.get("next", "")}
    )


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        audit_record(action=Action.LOGOUT, actor=request.user)
    logout(request)
    return redirect("directory:home")


def _qr_svg(uri: str) -> str:
    image = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    buffer = BytesIO()
    image.save(buffer)
    return buffer.getvalue().decode()


@never_cache
def two_factor_view(request: HttpRequest) -> HttpResponse:
    """Verify the second factor, or register an authenticator app first."""
    user: Any = request.user
    if not user.is_authenticated:
        return redirect("accounts:login")
    if user.is_verified() or not (needs_second_factor(request) or two_factor_offered(user)):
        return redirect(_next_url(request) if user.is_verified() else "people:list")
    form = TokenForm(request.POST or None)
    device = two_factor_device(user, confirmed=True)
    context: dict[str, Any] = {"form": form, "enrolling": device is None}
    if device is None:
        pending = two_factor_enrolment_start(user=user)
        secret = base64.b32encode(pending.bin_key).decode()
        context.update(secret=secret, qr_svg=_qr_svg(pending.config_url))
    if request.method == "POST" and form.is_valid():
        token = form.cleaned_data["token"].strip()
        if device is None:
            device = two_factor_enrolment_confirm(user=user, token=token)
            verified = device is not None
        else:
            verified = device.verify_token(token)
        if verified and device is not None:
            otp_login(request, device)
            return redirect(_next_url(request))
        audit_record(action=Action.LOGIN_FAILED, actor=user, detail={"second_factor": True})
        form.add_error("token", _("This code is not valid. Codes change every 30 seconds."))
    return render(request, "accounts/two_factor.html", context)


@require_POST
def organisation_switch(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    if user.is_authenticated:
        chosen = request.POST.get("organisation", "")
        for membership in memberships_of(user):
            if str(membership.organisation_id) == chosen:
                request.session[ORGANISATION_SESSION_KEY] = membership.organisation_id
    return redirect("people:list")


ANALYSIS_PAGES = (
    (
        "monitoring:dashboard",
        gettext_lazy("Dashboard"),
        gettext_lazy("Referrals, outcomes and capacity across the organisations, as aggregates."),
    ),
    (
        "beneficiaries:overview",
        gettext_lazy("Unique beneficiaries"),
        gettext_lazy("People counted once across organisations, and the overlaps between them."),
    ),
    (
        "monitoring:evaluation",
        gettext_lazy("Evaluation"),
        gettext_lazy("The estimated effect of the programmes, with its assumptions."),
    ),
    (
        "monitoring:report",
        gettext_lazy("Report"),
        gettext_lazy("The funders' report: figures with small counts withheld (CSV, PDF, XLSX)."),
    ),
    (
        "scenarios:list",
        gettext_lazy("Scenarios"),
        gettext_lazy("What would change under another rule or more places: simulated, compared."),
    ),
)
"""The analysis pages, as the analyst's start page lists them."""


@never_cache
def staff_home(request: HttpRequest) -> HttpResponse:
    """A staff member's start page: the pages their roles open. Analysts and platform
    administrators, who belong to no organisation, land here after logging in."""
    user: Any = request.user
    if not user.is_authenticated:
        return redirect(f"{reverse('accounts:login')}?next={reverse('accounts:home')}")
    analysis = may_see_aggregates(user)
    if analysis and needs_second_factor(request):
        return redirect("accounts:two-factor")
    roles = set(user.memberships.values_list("role", flat=True))
    if not analysis:
        target = start_page(roles, analysis)
        return (
            redirect(target)
            if target
            else render(request, "accounts/no_organisation.html", status=403)
        )
    return render(
        request,
        "accounts/home.html",
        {
            "analysis_pages": ANALYSIS_PAGES,
            "linkage": is_analyst_or_platform_admin(user),
        },
    )
