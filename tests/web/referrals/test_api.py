"""The referrals API (/api/v1/referrals): the loop through tokens, and every 4xx naming its
field (401, 403 scope or side, 404 another organisation's referral, 409 stale version or
state, 422 bad input). Synthetic people only."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django.test import Client
from tests.support.referrals import PLANNED, Network, make_programme

from passerelle.web.apps.audit.models import AuditEntry
from passerelle.web.apps.referrals.models import Referral, ReferralEvent

ALL = ("persons:read", "persons:write", "referrals:read", "referrals:write")
URL = "/api/v1/referrals"


class Api:
    def __init__(self, key: str | None) -> None:
        self.client = Client()
        # Messages come in the request's language; these tests read them in English.
        self.headers = {"HTTP_ACCEPT_LANGUAGE": "en"}
        if key:
            self.headers["HTTP_AUTHORIZATION"] = f"Bearer {key}"

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(path, params, **self.headers)

    def post(self, path: str, body: dict[str, Any]) -> Any:
        return self.client.post(
            path, json.dumps(body), content_type="application/json", **self.headers
        )

    def act(self, referral_id: str, action: str, **extra: Any) -> Any:
        return self.post(f"{URL}/{referral_id}/transitions", {"action": action, **extra})


def problem(response: Any, status: int, field: str) -> str:
    """The message of the one problem of a 4xx, after checking it names `field`."""
    assert response.status_code == status, response.content.decode()[:500]
    detail = response.json()["detail"]
    assert isinstance(detail, list)
    assert detail[0]["loc"][-1] == field, detail
    assert detail[0]["msg"].startswith(f"{field}: "), detail
    return str(detail[0]["msg"])


def new_referral(network: Network, sender: Api, **extra: Any) -> Any:
    body = {
        "person_id": str(network.person.pk),
        "programme": network.mentoring.slug,
        "planned_start": PLANNED.isoformat(),
        "fields": ["identity", "contact", "profile"],
        "note": "Wants to work in construction.",
        **extra,
    }
    return sender.post(URL, body)


def test_the_loop_through_the_api(consented: Network, token_for: Callable[..., str]) -> None:
    sender, receiver = Api(token_for("a", ALL)), Api(token_for("b", ALL))
    third = Api(token_for("c", ALL))
    created = new_referral(consented, sender)
    assert created.status_code == 201, created.content
    referral = created.json()
    assert (referral["state"], referral["version"], referral["side"]) == ("draft", 1, "sender")
    # Identity, contact and profile are shared, not the birth date: no age (issue 15).
    assert referral["eligibility"]["status"] == "unknown"
    assert referral["eligibility"]["missing"] == ["birth_date"]
    assert referral["actions"] == ["send", "withdraw"]
    assert [event["to_state"] for event in referral["timeline"]] == ["draft"]
    rid = referral["id"]
    # A draft is the sender's alone.
    problem(receiver.get(f"{URL}/{rid}"), 404, "referral_id")
    sent = sender.act(rid, "send", version=1).json()
    assert (sent["state"], sent["version"]) == ("sent", 2)
    assert sent["answer_due"] is not None
    assert sent["overdue"] is False
    inbox = receiver.get(URL, box="inbox").json()
    assert inbox["count"] == 1
    assert inbox["items"][0]["id"] == rid
    assert inbox["items"][0]["side"] == "receiver"
    assert inbox["items"][0]["actions"] == ["accept", "reject"]
    assert receiver.get(URL, box="outbox").json()["count"] == 0
    assert sender.get(URL, box="outbox", state="sent").json()["count"] == 1
    assert sender.get(URL, box="outbox", state="accepted").json()["count"] == 0
    assert receiver.act(rid, "accept", version=2).json()["state"] == "accepted"
    assert receiver.act(rid, "start", version=3).json()["state"] == "in_progress"
    done = receiver.act(rid, "complete", version=4, outcome="job_found").json()
    assert (done["state"], done["outcome"], done["actions"]) == ("completed", "job_found", [])
    seen = sender.get(f"{URL}/{rid}").json()
    assert [(e["from_state"], e["to_state"]) for e in seen["timeline"]] == [
        ("", "draft"),
        ("draft", "sent"),
        ("sent", "accepted"),
        ("accepted", "in_progress"),
        ("in_progress", "completed"),
    ]
    assert [e["organisation"] for e in seen["timeline"]] == ["cpas-anderlecht"] * 2 + [
        "duo-for-a-job"
    ] * 3
    assert seen["timeline"][-1]["actor"] == "api:system-b"
    # A third organisation sees nothing of it.
    problem(third.get(f"{URL}/{rid}"), 404, "referral_id")
    assert third.get(URL, box="inbox").json()["count"] == 0
    assert third.get(URL, box="outbox").json()["count"] == 0
    assert AuditEntry.objects.filter(action="referral_transition").count() == 5


def test_without_a_valid_token_401(consented: Network, token_for: Callable[..., str]) -> None:
    for api in (Api(None), Api("psl_not-a-real-key")):
        response = api.get(URL)
        assert response.status_code == 401
        assert response.json()["detail"][0]["loc"] == ["header", "Authorization"]
        assert response.json()["detail"][0]["msg"].startswith("Authorization: ")
        assert api.post(URL, {}).status_code == 401


def test_scopes_are_checked_403(consented: Network, token_for: Callable[..., str]) -> None:
    persons_only = Api(token_for("a", ("persons:read", "persons:write")))
    assert "referrals:read" in problem(persons_only.get(URL), 403, "scope")
    assert "referrals:write" in problem(new_referral(consented, persons_only), 403, "scope")
    reader = Api(token_for("a", ("referrals:read",)))
    rid = new_referral(consented, Api(token_for("a", ALL))).json()["id"]
    assert reader.get(f"{URL}/{rid}").status_code == 200
    assert "referrals:write" in problem(reader.act(rid, "send", version=1), 403, "scope")
    # Referring a file changes it: the person API's write scope is needed too.
    referrer = Api(token_for("a", ("referrals:read", "referrals:write")))
    assert "persons:write" in problem(new_referral(consented, referrer), 403, "scope")
    assert Referral.objects.get().state == "draft"


def test_another_organisations_referral_is_404(
    consented: Network, token_for: Callable[..., str]
) -> None:
    sender, third = Api(token_for("a", ALL)), Api(token_for("c", ALL))
    rid = new_referral(consented, sender).json()["id"]
    sender.act(rid, "send", version=1)
    problem(third.get(f"{URL}/{rid}"), 404, "referral_id")
    problem(third.act(rid, "accept", version=2), 404, "referral_id")
    problem(sender.get(f"{URL}/not-a-uuid"), 404, "referral_id")
    problem(sender.get(f"{URL}/00000000-0000-4000-8000-000000000000"), 404, "referral_id")
    # Another organisation's person file cannot be referred either.
    problem(new_referral(consented, third), 404, "person_id")
    assert Referral.objects.get().state == "sent"


def test_invalid_transitions_name_the_field_and_change_nothing(
    consented: Network, token_for: Callable[..., str]
) -> None:
    sender, receiver = Api(token_for("a", ALL)), Api(token_for("b", ALL))
    rid = new_referral(consented, sender).json()["id"]
    sender.act(rid, "send", version=1)
    events = ReferralEvent.objects.count()
    assert "allowed: send, accept" in problem(receiver.act(rid, "approve"), 422, "action")
    assert "receiving" in problem(sender.act(rid, "accept", version=2), 403, "action")
    assert "version 2" in problem(receiver.act(rid, "accept", version=1), 409, "version")
    problem(receiver.act(rid, "start", version=2), 409, "state")
    assert "allowed: not_eligible" in problem(
        receiver.act(rid, "reject", version=2, reason="busy"), 422, "reason"
    )
    problem(receiver.act(rid, "reject", version=2, reason="other"), 422, "text")
    referral = Referral.objects.get()
    assert (referral.state, referral.version) == ("sent", 2)
    assert ReferralEvent.objects.count() == events
    rejected = receiver.act(rid, "reject", version=2, reason="no_capacity", text="Full.").json()
    assert (rejected["rejection_reason"], rejected["rejection_text"]) == ("no_capacity", "Full.")
    problem(sender.act(rid, "withdraw", version=3), 409, "state")


def test_two_accepts_of_one_version_one_wins(
    consented: Network, token_for: Callable[..., str]
) -> None:
    sender, receiver = Api(token_for("a", ALL)), Api(token_for("b", ALL))
    rid = new_referral(consented, sender).json()["id"]
    sender.act(rid, "send", version=1)
    assert receiver.act(rid, "accept", version=2).status_code == 200
    assert "accepted" in problem(receiver.act(rid, "accept", version=2), 409, "version")
    assert ReferralEvent.objects.filter(to_state="accepted").count() == 1


def test_sending_needs_consent_409(network: Network, token_for: Callable[..., str]) -> None:
    sender = Api(token_for("a", ALL))
    rid = new_referral(network, sender).json()["id"]
    problem(sender.act(rid, "send", version=1), 409, "consent")
    # A token is no coordinator: it may not override the missing consent.
    response = sender.act(rid, "send", version=1, override_reason="Urgent.")
    problem(response, 403, "override_reason")
    assert Referral.objects.get().state == "draft"


def test_bad_input_names_the_field_422(consented: Network, token_for: Callable[..., str]) -> None:
    sender = Api(token_for("a", ALL))
    problem(new_referral(consented, sender, programme="no-such-programme"), 422, "programme")
    problem(new_referral(consented, sender, planned_start="next week"), 422, "planned_start")
    problem(new_referral(consented, sender, fields=["passport"]), 422, "fields")
    problem(sender.get(URL, state="lost"), 422, "state")
    problem(sender.get(URL, box="spam"), 422, "box")
    assert Referral.objects.count() == 0


def test_ineligible_referral_needs_a_reason(
    consented: Network, token_for: Callable[..., str]
) -> None:
    sender = Api(token_for("a", ALL))
    make_programme(
        consented.organisations["b"],
        "mentoring-for-seniors",
        eligibility={"field": "age", "between": [50, 65]},
    )
    refused = new_referral(consented, sender, programme="mentoring-for-seniors")
    assert "not eligible" in problem(refused, 422, "ineligibility_reason")
    created = new_referral(
        consented,
        sender,
        programme="mentoring-for-seniors",
        ineligibility_reason="Has 30 years of experience as a mentor.",
    )
    assert created.status_code == 201
    # The sender's whole file said "not eligible" (hence the reason above); what is stored
    # is what the receiver may read, and it was not given the birth date.
    assert created.json()["eligibility"]["status"] == "unknown"
    shared_age = new_referral(
        consented,
        sender,
        programme="mentoring-for-seniors",
        fields=["identity", "birth_date", "profile"],
        ineligibility_reason="Has 30 years of experience as a mentor.",
    )
    assert shared_age.json()["eligibility"]["status"] == "not_eligible"
    assert created.json()["ineligibility_reason"].startswith("Has 30 years")


def test_the_answers_are_exactly_their_schemas(
    consented: Network, token_for: Callable[..., str]
) -> None:
    """The referral endpoints answer without django-ninja's validation of each answer: the
    answers must still be exactly what their response schemas describe (no field more or
    less, each of its type), rendered as django-ninja renders them."""
    from ninja.renderers import JSONRenderer
    from ninja.schema import Schema

    from passerelle.web.apps.referrals.api import ReferralDetail, ReferralOut, ReferralPage

    def exactly(response: Any, schema: type[Schema], status: int = 200) -> dict[str, Any]:
        assert response.status_code == status, response.content.decode()[:500]
        assert response["Content-Type"] == "application/json; charset=utf-8"
        answer = response.json()
        again = schema.model_validate(answer).model_dump()
        assert json.loads(JSONRenderer().render(None, again, response_status=status)) == answer
        return dict(answer)

    sender, receiver = Api(token_for("a", ALL)), Api(token_for("b", ALL))
    created = exactly(new_referral(consented, sender), ReferralDetail, 201)
    assert set(created) == set(ReferralDetail.model_fields)
    rid = created["id"]
    sent = exactly(sender.act(rid, "send", version=1), ReferralOut)
    assert set(sent) == set(ReferralOut.model_fields)
    assert sent["sent_at"] is not None
    assert sent["answer_due"] is not None
    exactly(receiver.act(rid, "accept", version=2), ReferralOut)
    page = exactly(receiver.get(URL, box="inbox"), ReferralPage)
    assert [item["id"] for item in page["items"]] == [rid]
    detail = exactly(receiver.get(f"{URL}/{rid}"), ReferralDetail)
    assert [event["to_state"] for event in detail["timeline"]] == ["draft", "sent", "accepted"]
