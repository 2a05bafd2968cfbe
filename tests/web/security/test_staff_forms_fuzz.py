"""Every staff form takes any input without a 5xx (issue 15, item 7).

The forms are found, not listed: each user below walks the staff and analysis pages it can
reach from its start pages (following links), and every `<form method="post">` found is
posted random data by hypothesis, built from the form's own fields (names, hidden values,
select options) and from values that broke things before: huge numbers, impossible dates,
controls, brackets, very long text, missing fields, repeated fields. A new form is covered
without editing this test, as long as a page links to it.

PASSERELLE_FORM_EXAMPLES sets the examples per form (default 8)."""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
from django.contrib.auth.models import User
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.support.accounts import PASSWORD, actor_of, logged_in
from tests.support.matching import Setting
from tests.support.matching import setting as matching_setting

from passerelle.web.apps.accounts.models import PlatformRole, StaffProfile
from passerelle.web.apps.referrals.services import referral_create

pytestmark = pytest.mark.django_db

setting = matching_setting  # the matching tests' world: organisations, people, mentors

START_PAGES = (
    "/staff/persons/",
    "/staff/referrals/inbox/",
    "/staff/referrals/settings/",
    "/staff/integrations/",
    "/staff/matching/",
    "/analysis/",
)
SKIPPED_LINKS = re.compile(r"(logout|\.csv|\.pdf|\.xlsx|\.json|\.ics)(/|$)")
LAST = re.compile(r"(erase|close|logout|two-factor|organisation)/?$")
"""Forms that end a file, a session or a membership: posted after the others."""
MAX_PAGES = 120
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


@dataclass
class FormField:
    name: str
    value: str = ""
    options: list[str] = field(default_factory=list)


@dataclass
class Form:
    action: str
    page: str
    fields: dict[str, FormField] = field(default_factory=dict)

    @property
    def key(self) -> tuple[str, tuple[str, ...]]:
        return UUID.sub("<id>", urlsplit(self.action).path), tuple(sorted(self.fields))


class _PageParser(HTMLParser):
    def __init__(self, url: str) -> None:
        super().__init__()
        self.url = url
        self.links: list[str] = []
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: FormField | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        if tag == "a" and attributes.get("href", "").startswith("/"):
            self.links.append(attributes["href"])
        elif tag == "form" and attributes.get("method", "get").lower() == "post":
            action = urljoin(self.url, attributes.get("action") or self.url)
            self._form = Form(action=action, page=self.url)
            self.forms.append(self._form)
        elif self._form is not None and tag in ("input", "textarea", "select", "button"):
            name = attributes.get("name")
            if not name or name == "csrfmiddlewaretoken":
                return
            known = self._form.fields.setdefault(name, FormField(name))
            if tag in ("input", "button") and attributes.get("value"):
                known.options.append(attributes["value"])
                known.value = known.value or attributes["value"]
            if tag == "select":
                self._select = known
        elif tag == "option" and self._select is not None:
            self._select.options.append(attributes.get("value", ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None


def _forms_reachable(client: Client) -> list[Form]:
    """Every post form on the staff and analysis pages reachable from START_PAGES."""
    seen: set[str] = set()
    queue = list(START_PAGES)
    forms: list[Form] = []
    while queue and len(seen) < MAX_PAGES:
        url = queue.pop(0)
        path = urlsplit(url).path
        if path in seen or SKIPPED_LINKS.search(path):
            continue
        seen.add(path)
        response = client.get(url)
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        parser = _PageParser(url)
        parser.feed(response.content.decode())
        forms.extend(parser.forms)
        for link in parser.links:
            target = urlsplit(link).path
            if target.startswith(("/staff/", "/analysis/")) and target not in seen:
                queue.append(link)
    return forms


AWKWARD = st.sampled_from(
    [
        "",
        " ",
        "0",
        "-1",
        "99999999999999999999999999",
        "1e309",
        "NaN",
        "1000-01-01",
        "9999-12-31",
        "2026-02-30",
        "31/12/2025",
        "[[[[[[[[",
        "{" * 200,
        "\x00",
        "\x85\x9b",
        "Ahmad\u202eKarimi",
        "\u200b",
        "' OR 1=1 --",
        "<script>alert(1)</script>",
        "x" * 5000,
        "00000000-0000-0000-0000-000000000000",
    ]
)


def _value(form_field: FormField) -> st.SearchStrategy[str]:
    choices: list[st.SearchStrategy[str]] = [
        AWKWARD,
        st.text(max_size=60),
        st.from_regex(r"-?[0-9]{1,25}(\.[0-9]{1,5})?", fullmatch=True),
    ]
    if form_field.options:
        choices.append(st.sampled_from(form_field.options))
    if form_field.value:
        choices.append(st.just(form_field.value))
    return st.one_of(choices)


def _data(form: Form) -> st.SearchStrategy[dict[str, Any]]:
    optional = {
        name: st.one_of(_value(form_field), st.lists(_value(form_field), max_size=3))
        for name, form_field in form.fields.items()
    }
    return st.fixed_dictionaries({}, optional=optional)


def _fuzz(client: Client, form: Form) -> None:
    @settings(
        max_examples=int(os.environ.get("PASSERELLE_FORM_EXAMPLES", "8")),
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(data=_data(form))
    def post(data: dict[str, Any]) -> None:
        response = client.post(form.action, data)
        assert response.status_code < 500, (form.action, data, response.status_code)

    post()


@pytest.fixture
def world(setting: Setting, make_user: Callable[..., User]) -> Setting:
    """The matching tests' world (with its mentors), a referral in Duo's inbox, and a
    platform analyst. The employer's offer and vacancy forms are reached empty ("new")."""
    referral_create(
        actor=actor_of(setting.users["cw_a"]),
        person_id=setting.persons["consented"].pk,
        programme=setting.mentoring,
        planned_start=dt.date.today() + dt.timedelta(days=30),
        fields=["identity", "contact", "profile"],
        note="first meeting on Monday",
    )
    analyst = User.objects.create_user(username="analyst", password=PASSWORD)
    StaffProfile.objects.create(user=analyst, platform_role=PlatformRole.ANALYST)
    setting.users["analyst"] = analyst
    setting.users["admin_b"] = make_user("admin_b", "org_admin", "b")
    return setting


@pytest.mark.parametrize("user", ["cw_a", "co_b", "admin_b", "employer", "analyst"])
def test_every_staff_form_takes_random_input_without_a_server_error(
    user: str, world: Setting
) -> None:
    client = logged_in(world.users[user])
    client.raise_request_exception = True  # a view's exception fails the example, shrunk
    forms = {form.key: form for form in _forms_reachable(client)}
    assert forms, f"{user} reaches no form: the walk is broken"
    ordered = sorted(forms.values(), key=lambda form: bool(LAST.search(form.action)))
    for form in ordered:
        _fuzz(client, form)
