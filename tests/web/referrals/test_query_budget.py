"""The referral write path's query budget (issue 20): the statements each API change sends,
counted, with what each change must still write checked beside them, so that the path
cannot grow again unseen (the queue's idempotency keys had added four statements to every
transition, the aggregates' hook one more read) and cannot shrink by dropping work.

Counted through the API with tokens, tasks stored in the database as in production and
the aggregates built, as `benchmarks/referrals.py` runs. The test's own transaction turns
each change's BEGIN and COMMIT into a SAVEPOINT and its RELEASE, counted like them."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from tests.support.referrals import PLANNED, Network
from tests.support.tasks import stored_tasks  # noqa: F401 (fixture)

from passerelle.web.apps.audit.models import AuditEntry
from passerelle.web.apps.monitoring import aggregates
from passerelle.web.apps.monitoring.aggregates import STATE_ID
from passerelle.web.apps.monitoring.models import AggregatePending, AggregateState
from passerelle.web.apps.referrals.models import ReferralEvent, Webhook, WebhookDelivery

pytestmark = pytest.mark.django_db

URL = "/api/v1/referrals"
SCOPES = ("persons:read", "persons:write", "referrals:read", "referrals:write")

BUDGET = {"create": 9, "send": 16, "accept": 12, "start": 10, "complete": 13}
"""Statements per change. A transition: the transaction's two, the locked read, the
referral's update, its event, the aggregates' mark, the audit entry, the webhook deliveries
(one INSERT ... SELECT) and two tasks (e-mails, first delivery attempt): 10. Sending adds
the disclosure in a savepoint (the file, the consent, the disclosure, its audit entry);
accepting, the programme's lock and the capacity's two reads; completing, the follow-ups'
consent check in a savepoint."""


class Api:
    def __init__(self, key: str) -> None:
        self.client = Client()
        self.headers = {"HTTP_AUTHORIZATION": f"Bearer {key}"}

    def post(self, path: str, body: dict[str, Any]) -> Any:
        response = self.client.post(
            path, json.dumps(body), content_type="application/json", **self.headers
        )
        assert response.status_code in (200, 201), response.content.decode()[:500]
        return response.json()

    def counted(self, path: str, body: dict[str, Any]) -> tuple[Any, int]:
        with CaptureQueriesContext(connection) as queries:
            answer = self.post(path, body)
        return answer, len(queries)


def _written() -> dict[str, int]:
    return {
        "events": ReferralEvent.objects.count(),
        "audit": AuditEntry.objects.filter(action="referral_transition").count(),
        "deliveries": WebhookDelivery.objects.count(),
        "tasks": DBTaskResult.objects.count(),
        "marks": AggregatePending.objects.count(),
    }


@pytest.mark.usefixtures("stored_tasks")
def test_each_change_stays_within_its_query_budget_and_writes_all_it_must(
    consented: Network, token_for: Callable[..., str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every APPLY_EVERY-th mark also queues the applier: which change that is depends on the
    # marks' sequence, which earlier tests of the same database advanced (a sequence is not
    # rolled back), so the budget is counted without that shared, amortised task.
    monkeypatch.setattr(aggregates, "APPLY_EVERY", 2**62)
    for key in ("a", "b"):
        Webhook.objects.create(
            organisation=consented.organisations[key],
            url=f"https://hooks.example.org/{key}",
            secret="s" * 32,
        )
    AggregateState.objects.create(id=STATE_ID, built_at=timezone.now())
    sender, receiver = Api(token_for("a", SCOPES)), Api(token_for("b", SCOPES))
    # Each token's first request reads it; later ones find it in the process's cache.
    for api in (sender, receiver):
        assert api.client.get(URL, **api.headers).status_code == 200
    body = {
        "person_id": str(consented.person.pk),
        "programme": consented.mentoring.slug,
        "planned_start": PLANNED.isoformat(),
        "fields": ["identity", "contact", "profile"],
    }
    spent: dict[str, int] = {}
    before = _written()
    referral, spent["create"] = sender.counted(URL, body)
    after = _written()
    # A draft is not announced: no delivery, no task; its event is audited and marked.
    assert {name: after[name] - before[name] for name in after} == {
        "events": 1, "audit": 1, "deliveries": 0, "tasks": 0, "marks": 1,
    }  # fmt: skip
    steps = [
        (sender, "send", {}),
        (receiver, "accept", {}),
        (receiver, "start", {}),
        (receiver, "complete", {"outcome": "job_found"}),
    ]
    for api, action, extra in steps:
        before = _written()
        referral, spent[action] = api.counted(
            f"{URL}/{referral['id']}/transitions",
            {"action": action, "version": referral["version"], **extra},
        )
        after = _written()
        # Every transition still writes its event, its audit entry, one delivery per
        # webhook of each side, its two tasks and the aggregates' mark of its person.
        assert {name: after[name] - before[name] for name in after} == {
            "events": 1, "audit": 1, "deliveries": 2, "tasks": 2, "marks": 1,
        }, action  # fmt: skip
    assert referral["state"] == "completed"
    assert spent == BUDGET
