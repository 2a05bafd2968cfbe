"""An employer or host never reaches a candidate's identity through matching: every page of
the matching app (GET and POST, with real ids of rounds, proposals, mentors, offers and
vacancies) and every endpoint of /api/v1/matching, with an employer's login and with a
token of the employer's organisation holding both matching scopes, before and after a round
is confirmed and referred with consent."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern
from tests.support.accounts import logged_in
from tests.support.matching import NAMES, ROUND_DAY, Setting, bricklayer

from passerelle.web.apps.accounts.models import ApiToken
from passerelle.web.apps.matching import api, urls
from passerelle.web.apps.matching.models import MatchingRound
from passerelle.web.apps.matching.services import (
    offer_save,
    round_confirm,
    round_start,
)
from passerelle.web.apps.people.models import Person

pytestmark = pytest.mark.django_db
ALLOWED = {200, 302, 400, 403, 404, 405, 422}


def _identities() -> list[str]:
    """What identifies a candidate: names, file ids, birth date, phone."""
    found = [*NAMES]
    for person in Person.objects.all():
        found += [str(person.pk), person.pk.hex]
    return [*found, "2001-03-14", "+32 470"]


def _assert_no_identity(where: str, body: str) -> None:
    for identity in _identities():
        assert identity not in body, f"{where} shows {identity!r}"


def _setup(setting: Setting) -> dict[str, str]:
    employer = setting.actor("employer")
    vacancy = bricklayer(setting)
    offer = offer_save(
        actor=employer,
        data={
            "title": "Two weeks",
            "programme": "duo-for-a-job-mentoring",
            "start_date": "2027-01-04",
        },
    )
    matching_round = round_start(
        actor=setting.actor("co_b"), programme=setting.mentoring, kind="mentoring", on=ROUND_DAY
    )
    return {
        "round_id": str(matching_round.pk),
        "number": "1",
        "action": "remove",
        "mentor_id": str(setting.mentors[0].pk),
        "offer_id": str(offer.pk),
        "vacancy_id": str(vacancy.pk),
    }


def _fill(route: str, ids: dict[str, str]) -> str:
    def value(match: re.Match[str]) -> str:
        return ids[match.group(1)]

    route = re.sub(r"<(?:\w+:)?(\w+)>", value, route)
    return re.sub(r"\{(\w+)\}", value, route)


def _walk(setting: Setting, ids: dict[str, str]) -> int:
    client = logged_in(setting.users["employer"], second_factor=False)
    _token, key = ApiToken.issue(
        organisation=setting.organisations["acme"],
        name="acme system",
        scopes=["matching:read", "matching:write"],
    )
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    visited = 0
    for pattern in urls.urlpatterns:
        assert isinstance(pattern, URLPattern)
        route = str(pattern.pattern)
        path = "/staff/matching/" + _fill(route, ids)
        actions = ["remove", "restore", "move"] if "<slug:action>" in route else [None]
        for action in actions:
            target = path.replace("/remove/", f"/{action}/") if action else path
            for method in ("get", "post"):
                response = getattr(client, method)(target, follow=True)
                assert response.status_code in ALLOWED, (method, target, response.status_code)
                if "round" in route:  # rounds are Duo's: not found, or not allowed
                    assert response.status_code in {403, 404, 405}, (method, target)
                _assert_no_identity(f"{method.upper()} {target}", response.content.decode())
                visited += 1
    for route, view in api.router.path_operations.items():
        path = "/api/v1" + _fill(route, ids)
        for operation in view.operations:
            for method in operation.methods:
                body: Any = {"programme": "duo-for-a-job-mentoring"} if "POST" in method else {}
                response = Client().generic(
                    method, path, data=json.dumps(body), content_type="application/json", **bearer
                )
                assert response.status_code in ALLOWED | {201}, (method, path)
                if "round" in route:
                    assert response.status_code in {403, 404, 422}, (method, path)
                _assert_no_identity(f"{method} {path}", response.content.decode())
                visited += 1
    return visited


def test_no_identity_before_or_after_confirmation(setting: Setting) -> None:
    ids = _setup(setting)
    before = _walk(setting, ids)
    pages = len(urls.urlpatterns) * 2 + 4  # three proposal actions, GET and POST
    assert before >= pages + 10  # every page and every API operation
    matching_round = MatchingRound.objects.get(pk=ids["round_id"])
    done = round_confirm(actor=setting.actor("co_b"), round_id=matching_round.pk)
    assert done.referred == 2  # confirmed and consented: referred to Duo, not to the employer
    _walk(setting, ids)
    # The employer's own records stay theirs, and the round stays Duo's.
    client = logged_in(setting.users["employer"], second_factor=False)
    assert client.get(f"/staff/matching/rounds/{ids['round_id']}/").status_code == 404
    assert client.get(f"/staff/matching/vacancies/{ids['vacancy_id']}/").status_code == 200
