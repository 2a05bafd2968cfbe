"""Follow-ups for organisations' own systems and the daily reminder: the API lists the due
ones and records one with the person files' scopes (another organisation's is 404, a bad
answer 422 naming the field, a stale version 409); the webhook events `follow_up.recorded`
and `follow_up.due` are signed and name no person; the schedule announces each checkpoint
once when its day comes, by a clock the test advances. Synthetic people only."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from tests.support.referrals import Network

from passerelle.web.apps.followups import services
from passerelle.web.apps.followups.models import FollowUp
from passerelle.web.apps.ops.schedule import jobs_from, scheduler_tick
from passerelle.web.apps.referrals import webhooks
from passerelle.web.apps.referrals.models import Webhook, WebhookDelivery
from passerelle.web.outbound import Answer

pytestmark = pytest.mark.django_db
URL = "/api/v1/follow-ups"


def _api(key: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {key}", "HTTP_ACCEPT_LANGUAGE": "en"}


def _post(key: str, path: str, body: dict[str, Any]) -> Any:
    return Client().post(path, json.dumps(body), content_type="application/json", **_api(key))


def _problem(response: Any, status: int, field: str) -> str:
    assert response.status_code == status, response.content.decode()[:500]
    (detail,) = response.json()["detail"]
    assert detail["loc"][-1] == field, detail
    return str(detail["msg"])


def test_the_api_lists_and_records_with_the_persons_scopes(
    followed: Network, token_for: Callable[..., str], today: dt.date
) -> None:
    six = FollowUp.objects.get(months=6)
    FollowUp.objects.filter(pk=six.pk).update(due_on=today - dt.timedelta(days=1))
    reader = token_for("a", ("persons:read",))
    listed = Client().get(URL, **_api(reader))
    assert listed.status_code == 200
    body = listed.json()
    assert body["count"] == 1  # the 12-month one is not due within 30 days
    (item,) = body["items"]
    assert (item["id"], item["overdue"], item["state"]) == (str(six.pk), True, "open")
    assert item["person_id"] == str(followed.person.pk)
    assert Client().get(URL, {"within_days": 366}, **_api(reader)).json()["count"] == 2
    # Reading is not writing: persons:write records.
    refused = _post(reader, f"{URL}/{six.pk}", {"situation": "looking_for_work"})
    assert _problem(refused, 403, "scope")
    writer = token_for("a", ("persons:write",))
    bad = _post(writer, f"{URL}/{six.pk}", {"situation": "employed", "contract_type": "permanent",
                                            "hours_per_week": "72"})  # fmt: skip
    assert "at most 60" in _problem(bad, 422, "hours_per_week")
    done = _post(
        writer,
        f"{URL}/{six.pk}",
        {"situation": "employed", "contract_type": "permanent", "hours_per_week": "38",
         "version": 1},
    )  # fmt: skip
    assert done.status_code == 200, done.content
    assert (done.json()["state"], done.json()["version"]) == ("recorded", 2)
    stale = _post(writer, f"{URL}/{six.pk}", {"situation": "looking_for_work", "version": 1})
    assert "changed by someone else" in _problem(stale, 409, "version")
    recorded = Client().get(URL, {"state": "recorded"}, **_api(reader)).json()
    assert [i["situation"] for i in recorded["items"]] == ["employed"]


def test_another_organisations_follow_up_is_404(
    followed: Network, token_for: Callable[..., str]
) -> None:
    six = FollowUp.objects.get(months=6)
    other = token_for("b", ("persons:read", "persons:write"))
    assert _problem(Client().get(f"{URL}/{six.pk}", **_api(other)), 404, "follow_up_id")
    assert _problem(
        _post(other, f"{URL}/{six.pk}", {"situation": "looking_for_work"}), 404, "follow_up_id"
    )
    assert Client().get(URL, {"within_days": 366}, **_api(other)).json()["count"] == 0
    assert _problem(Client().get(f"{URL}/not-a-uuid", **_api(other)), 404, "follow_up_id")


def test_the_openapi_document_describes_the_endpoints(client: Client) -> None:
    paths = client.get("/api/openapi.json").json()["paths"]
    assert set(paths[URL]) == {"get"}
    assert set(paths[URL + "/{follow_up_id}"]) == {"get", "post"}


def _capture(sent: list[tuple[str, bytes, dict[str, str]]]) -> Any:
    def send(url: str, body: bytes, headers: dict[str, str], timeout: float) -> Answer:
        sent.append((url, body, headers))
        return Answer(status=200, error="")

    return send


def test_recording_announces_follow_up_recorded_signed_and_without_the_person(
    followed: Network, today: dt.date
) -> None:
    hook = Webhook.objects.create(
        organisation=followed.organisations["a"], url="https://cpas.example.org/hook", secret="s1"
    )
    Webhook.objects.create(  # the programme's side hears nothing of the person's situation
        organisation=followed.organisations["b"], url="https://duo.example.org/hook", secret="s2"
    )
    WebhookDelivery.objects.all().delete()  # the referral's own transitions
    six = FollowUp.objects.get(months=6)
    services.follow_up_record(
        actor=followed.actor("cw_a"),
        follow_up_id=six.pk,
        situation="not_looking",
        situation_on=today,
    )
    sent: list[tuple[str, bytes, dict[str, str]]] = []
    report = webhooks.deliver_due(send=_capture(sent))
    assert report.delivered == 1
    ((url, body, headers),) = sent
    assert url == hook.url
    assert headers["X-Passerelle-Event"] == "follow_up.recorded"
    assert webhooks.verify("s1", body, headers["X-Passerelle-Signature"])
    data = json.loads(body)
    assert data["type"] == "follow_up.recorded"
    assert (data["follow_up"], data["months"], data["state"]) == (str(six.pk), 6, "recorded")
    assert data["idempotency_key"] == headers["Idempotency-Key"]
    text = body.decode()
    for personal in (str(followed.person.pk), followed.person.given_names, "not_looking"):
        assert personal not in text


def test_the_schedule_announces_each_checkpoint_once_when_its_day_comes(
    followed: Network, run_worker: Callable[[], None], today: dt.date
) -> None:
    Webhook.objects.create(
        organisation=followed.organisations["a"], url="https://cpas.example.org/hook", secret="s1"
    )
    caseworker = followed.users["cw_a"]
    caseworker.email = "cw_a@example.org"
    caseworker.save()
    six = FollowUp.objects.get(months=6)
    jobs = jobs_from({"reminders": {"task": "passerelle.web.apps.followups.tasks."
                                    "follow_ups_remind", "daily_at": "08:00"}})  # fmt: skip
    run_worker()
    mail.outbox.clear()
    # Not due yet: today is before the six months.
    assert services.follow_ups_announce(on=today) == {}
    now = timezone.now()
    scheduler_tick(now=now, jobs=jobs)
    run_worker()
    assert mail.outbox == []
    # The clock reaches the six months: the checkpoint dates are moved back instead, as
    # the worker reads the real day.
    FollowUp.objects.filter(pk=six.pk).update(due_on=today)
    scheduler_tick(now=now + dt.timedelta(days=1), jobs=jobs)
    run_worker()
    results = DBTaskResult.objects.filter(task_path__endswith=".follow_ups_remind")
    assert sorted(r.return_value for r in results) == [0, 1]
    (message,) = mail.outbox  # the CPAS's one staff member with an address
    assert message.to == ["cw_a@example.org"]
    assert "/staff/follow-ups/" in message.body
    assert followed.person.given_names not in message.body
    due = WebhookDelivery.objects.filter(event_type="follow_up.due")
    assert due.count() == 1
    assert due.get().body["follow_up"] == str(six.pk)
    # Next day: announced already, nothing again.
    mail.outbox.clear()
    scheduler_tick(now=now + dt.timedelta(days=2), jobs=jobs)
    run_worker()
    assert mail.outbox == []
    assert WebhookDelivery.objects.filter(event_type="follow_up.due").count() == 1
