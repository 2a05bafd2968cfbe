"""The participations API for organisations that record them in their own system: a
recorded one plans its follow-ups as the file's page does, is audited and announced to the
organisation's webhooks (`participation.recorded`, naming no person); another
organisation's file is 404; bad fields are 422 naming them; the same reference twice
records once. Synthetic people only."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from tests.support.followups import consent_to_follow_up
from tests.support.referrals import Network, make_programme

from passerelle.web.apps.audit.models import AuditEntry
from passerelle.web.apps.followups.models import FollowUp, Participation
from passerelle.web.apps.people.services import person_erase
from passerelle.web.apps.referrals import webhooks
from passerelle.web.apps.referrals.models import Webhook, WebhookDelivery
from passerelle.web.outbound import Answer

pytestmark = pytest.mark.django_db
URL = "/api/v1/participations"
STARTED, ENDED = "2026-03-02", "2026-09-30"


@pytest.fixture
def coaching(network: Network) -> object:
    return make_programme(network.organisations["a"], "cpas-job-coaching")


@pytest.fixture
def writer(token_for: Callable[..., str]) -> str:
    return token_for("a", ("persons:read", "persons:write"))


def _api(key: str, **headers: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {key}", "HTTP_ACCEPT_LANGUAGE": "en", **headers}


def _post(key: str, body: dict[str, Any], **headers: str) -> Any:
    return Client().post(
        URL, json.dumps(body), content_type="application/json", **_api(key, **headers)
    )


def _body(network: Network, **changes: str) -> dict[str, str]:
    return {
        "person_id": str(network.person.pk),
        "programme": "cpas-job-coaching",
        "started_on": STARTED,
        "ended_on": ENDED,
        **changes,
    }


def _problems(response: Any, status: int) -> dict[str, str]:
    assert response.status_code == status, response.content.decode()[:500]
    return {detail["loc"][-1]: str(detail["msg"]) for detail in response.json()["detail"]}


def test_a_recorded_participation_plans_follow_ups_is_audited_and_read_back(
    network: Network, coaching: object, writer: str
) -> None:
    consent_to_follow_up(network)
    created = _post(writer, _body(network, external_id="crm-4711"))
    assert created.status_code == 201, created.content
    item = created.json()
    assert (item["person_id"], item["programme"], item["started_on"], item["ended_on"]) == (
        str(network.person.pk),
        "cpas-job-coaching",
        STARTED,
        ENDED,
    )
    assert [(f["months"], f["due_on"], f["state"]) for f in item["follow_ups"]] == [
        (6, "2027-03-30", "open"),
        (12, "2027-09-30", "open"),
    ]
    participation = Participation.objects.get()
    assert (str(participation.pk), participation.external_id) == (item["id"], "crm-4711")
    assert FollowUp.objects.filter(participation=participation).count() == 2
    changes = AuditEntry.objects.filter(object_id=str(network.person.pk)).values_list(
        "detail__change", flat=True
    )
    assert {"participation_recorded", "scheduled"} <= set(changes)
    one = Client().get(f"{URL}/{item['id']}", **_api(writer))
    assert one.status_code == 200
    assert one.json() == item
    listed = Client().get(URL, {"person_id": str(network.person.pk)}, **_api(writer)).json()
    assert (listed["count"], [i["id"] for i in listed["items"]]) == (1, [item["id"]])
    assert Client().get(URL, {"external_id": "crm-0"}, **_api(writer)).json()["count"] == 0


def test_the_same_reference_records_once_and_a_different_one_is_409(
    network: Network, coaching: object, writer: str
) -> None:
    first = _post(writer, _body(network), HTTP_IDEMPOTENCY_KEY="crm-1")
    again = _post(writer, _body(network), HTTP_IDEMPOTENCY_KEY="crm-1")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    by_body = _post(writer, _body(network, external_id="crm-1"))
    assert (by_body.status_code, by_body.json()["id"]) == (200, first.json()["id"])
    assert Participation.objects.count() == 1
    other = _post(writer, _body(network, ended_on="2026-10-31"), HTTP_IDEMPOTENCY_KEY="crm-1")
    problems = _problems(other, 409)
    assert "ended_on differ" in problems["external_id"]
    mismatch = _post(writer, _body(network, external_id="crm-2"), HTTP_IDEMPOTENCY_KEY="crm-3")
    assert "Idempotency-Key" in _problems(mismatch, 422)["external_id"]
    assert Participation.objects.count() == 1


def test_bad_fields_are_422_naming_each_and_what_is_allowed(
    network: Network, coaching: object, writer: str
) -> None:
    response = _post(
        writer,
        _body(
            network,
            programme="duo-for-a-job-mentoring",  # Duo's, not the CPAS's
            started_on="2999-02-01",
            ended_on="2999-01-01",
            external_id="has space",
        ),
    )
    problems = _problems(response, 422)
    assert set(problems) == {"programme", "started_on", "ended_on", "external_id"}
    assert "cpas-job-coaching" in problems["programme"]  # what is allowed
    assert "on or before the end" in problems["started_on"]
    assert "today" in problems["ended_on"]
    assert "letters, digits" in problems["external_id"]
    missing = _post(writer, {"person_id": str(network.person.pk)})
    assert {"programme", "started_on", "ended_on"} <= set(_problems(missing, 422))
    assert Participation.objects.count() == 0


def test_another_organisations_file_or_participation_is_404_and_scopes_hold(
    network: Network, coaching: object, writer: str, token_for: Callable[..., str]
) -> None:
    theirs = token_for("b", ("persons:read", "persons:write"))
    make_programme(network.organisations["b"], "duo-other")
    refused = _post(theirs, _body(network, programme="duo-other"))
    assert set(_problems(refused, 404)) == {"person_id"}
    assert set(_problems(_post(writer, _body(network, person_id="nope")), 404)) == {"person_id"}
    mine = _post(writer, _body(network)).json()
    assert set(_problems(Client().get(f"{URL}/{mine['id']}", **_api(theirs)), 404)) == {
        "participation_id"
    }
    assert Client().get(URL, **_api(theirs)).json()["count"] == 0
    reader = token_for("a", ("persons:read",))
    assert set(_problems(_post(reader, _body(network)), 403)) == {"scope"}
    assert Participation.objects.count() == 1


def test_recording_announces_participation_recorded_without_the_person(
    network: Network, coaching: object, writer: str
) -> None:
    consent_to_follow_up(network)
    hook = Webhook.objects.create(
        organisation=network.organisations["a"], url="https://cpas.example.org/hook", secret="s1"
    )
    Webhook.objects.create(  # another organisation hears nothing of it
        organisation=network.organisations["b"], url="https://duo.example.org/hook", secret="s2"
    )
    item = _post(writer, _body(network, external_id="crm-9")).json()
    _post(writer, _body(network, external_id="crm-9"))  # a replay announces nothing again
    sent: list[tuple[str, bytes, dict[str, str]]] = []

    def send(url: str, body: bytes, headers: dict[str, str], timeout: float) -> Answer:
        sent.append((url, body, headers))
        return Answer(status=200, error="")

    assert webhooks.deliver_due(send=send).delivered == 1
    ((url, body, headers),) = sent
    assert url == hook.url
    assert headers["X-Passerelle-Event"] == "participation.recorded"
    assert webhooks.verify("s1", body, headers["X-Passerelle-Signature"])
    data = json.loads(body)
    assert (data["type"], data["participation"], data["external_id"]) == (
        "participation.recorded",
        item["id"],
        "crm-9",
    )
    assert [f["months"] for f in data["follow_ups"]] == [6, 12]
    assert str(network.person.pk) not in body.decode()
    assert network.person.given_names not in body.decode()
    assert WebhookDelivery.objects.filter(event_type="participation.recorded").count() == 1


def test_the_openapi_document_describes_the_participations(client: Client) -> None:
    paths = client.get("/api/openapi.json").json()["paths"]
    assert set(paths[URL]) == {"get", "post"}
    assert set(paths[URL + "/{participation_id}"]) == {"get"}
    post = paths[URL]["post"]
    assert post["tags"] == ["participations (organisations)"]
    assert {"200", "201", "404", "409", "422"} <= set(post["responses"])


def test_erasing_the_file_keeps_the_participation_without_its_reference(
    network: Network, coaching: object, writer: str
) -> None:
    _post(writer, _body(network, external_id="crm-77"))
    person_erase(actor=network.actor("co_a"), person_id=network.person.pk)
    kept = Participation.objects.get()
    assert (kept.programme.slug, kept.external_id) == ("cpas-job-coaching", "")
