"""The authorization matrix of referrals, matching and beneficiaries (issue 15, item 4).

Every page of the three apps (the list comes from their URL configurations, so a new page
fails here until its row is written) is requested by every role of Duo for a Job (b),
which runs a mentoring programme and receives referrals: caseworker, coordinator,
organisation administrator and employer, and by the platform's administrator and analyst.
Every API operation of the three routers (from the routers themselves) is called with
tokens holding each scope alone. The expected table is written out here, independently of
`common.actors.POLICY`, so that a change of the policy shows up as a failing cell.

"ok" means answered (200, or a redirect after a POST that was done or refused with a
message); 403 means the actor may not; 404 means the object does not exist for the actor.
The person files' own matrix is tests/web/people/test_authorization_matrix.py.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern
from tests.support.accounts import PASSWORD, actor_of, logged_in
from tests.support.matching import (
    ROUND_DAY,
    Setting,
    setting,  # noqa: F401
)
from tests.support.people import synthetic_file
from tests.support.referrals import make_programme

from passerelle.web.apps.accounts import urls as accounts_urls
from passerelle.web.apps.accounts.models import ApiToken, Membership, StaffProfile
from passerelle.web.apps.accounts.services import TokenRequestError, api_token_issue
from passerelle.web.apps.beneficiaries import api as beneficiaries_api
from passerelle.web.apps.beneficiaries import urls as beneficiaries_urls
from passerelle.web.apps.matching import api as matching_api
from passerelle.web.apps.matching import urls as matching_urls
from passerelle.web.apps.matching.services import offer_save, round_start, vacancy_save
from passerelle.web.apps.people.models import Consent, Disclosure
from passerelle.web.apps.people.schemas import PersonDataError
from passerelle.web.apps.people.services import consent_record, person_create, person_disclose
from passerelle.web.apps.referrals import api as referrals_api
from passerelle.web.apps.referrals import urls as referrals_urls
from passerelle.web.apps.referrals.models import Referral
from passerelle.web.apps.referrals.services import (
    TransitionError,
    referral_create,
    referral_transition,
)

pytestmark = pytest.mark.django_db

ROLES = ("caseworker", "coordinator", "org_admin", "employer", "admin", "analyst")
OK, NO, GONE, EMPTY = "ok", 403, 404, 400
"""EMPTY: let in, and told there is nothing yet (no linkage run to report on)."""

# page (URL name, variant, method): outcome per role, in the order of ROLES.
PAGES: dict[tuple[str, str, str], tuple[Any, ...]] = {
    # Referrals: the organisation's staff, never its employers, never the platform's roles.
    ("referrals:inbox", "", "get"): (OK, OK, OK, NO, NO, NO),
    ("referrals:outbox", "", "get"): (OK, OK, OK, NO, NO, NO),
    ("referrals:settings", "", "get"): (OK, OK, OK, NO, NO, NO),
    ("accounts:integrations", "", "get"): (NO, NO, OK, NO, NO, NO),
    ("referrals:new", "held", "get"): (OK, OK, OK, NO, NO, NO),
    ("referrals:new", "other", "get"): (GONE, GONE, GONE, GONE, NO, NO),
    ("referrals:detail", "received", "get"): (OK, OK, OK, NO, NO, NO),
    ("referrals:detail", "sent", "get"): (OK, OK, OK, NO, NO, NO),
    ("referrals:detail", "other", "get"): (GONE, GONE, GONE, GONE, NO, NO),
    ("referrals:act", "received", "post"): (OK, OK, OK, NO, NO, NO),
    ("referrals:act", "sent", "post"): (OK, OK, OK, NO, NO, NO),
    ("referrals:act", "other", "post"): (GONE, GONE, GONE, GONE, NO, NO),
    # Matching: mentors are the staff's, offers and vacancies the employer's and the
    # coordinators'; rounds are run by coordinators and administrators, and do not exist
    # for anyone else.
    ("matching:home", "", "get"): (OK, OK, OK, OK, NO, NO),
    ("matching:round-start", "", "post"): (NO, OK, OK, NO, NO, NO),
    ("matching:round", "", "get"): (GONE, OK, OK, GONE, NO, NO),
    ("matching:round-confirm", "", "post"): (GONE, OK, OK, GONE, NO, NO),
    ("matching:proposal-act", "", "post"): (GONE, OK, OK, GONE, NO, NO),
    ("matching:mentor-new", "", "get"): (OK, OK, OK, NO, NO, NO),
    ("matching:mentor-edit", "", "get"): (OK, OK, OK, NO, NO, NO),
    ("matching:offer-new", "", "get"): (NO, OK, OK, OK, NO, NO),
    ("matching:offer-edit", "", "get"): (NO, OK, OK, OK, NO, NO),
    ("matching:vacancy-new", "", "get"): (NO, OK, OK, OK, NO, NO),
    ("matching:vacancy-edit", "", "get"): (NO, OK, OK, OK, NO, NO),
    ("matching:gaps", "", "get"): (NO, OK, OK, OK, NO, NO),
    # Beneficiaries: figures for whoever may see aggregates; an organisation's encodings
    # for its coordinators and administrators; the sector's linkage for the platform.
    ("beneficiaries:overview", "", "get"): (NO, OK, OK, NO, OK, OK),
    ("beneficiaries:report-csv", "", "get"): (NO, EMPTY, EMPTY, NO, EMPTY, EMPTY),
    ("beneficiaries:report-pdf", "", "get"): (NO, EMPTY, EMPTY, NO, EMPTY, EMPTY),
    ("beneficiaries:encodings", "", "get"): (NO, OK, OK, NO, NO, NO),
    ("beneficiaries:encodings-job", "", "get"): (NO, GONE, GONE, NO, NO, NO),
    ("beneficiaries:runs", "", "get"): (NO, NO, NO, NO, OK, OK),
    ("beneficiaries:review", "", "get"): (NO, NO, NO, NO, OK, OK),
    ("beneficiaries:review-pair", "", "get"): (NO, NO, NO, NO, GONE, GONE),
    ("beneficiaries:outcomes", "", "get"): (NO, NO, NO, NO, OK, OK),
    ("beneficiaries:outcome-job", "", "get"): (NO, NO, NO, NO, GONE, GONE),
}

URLCONFS = {
    "referrals": ("/staff/referrals/", referrals_urls),
    "matching": ("/staff/matching/", matching_urls),
    "beneficiaries": ("/analysis/beneficiaries/", beneficiaries_urls),
}
MOVED = {"accounts": ("/staff/", accounts_urls)}
"""Where a page of the three apps went: the integrations page, to the accounts app."""


def test_every_page_of_the_three_apps_has_its_row() -> None:
    """A page added to referrals, matching or beneficiaries fails here until its row (who
    may do what with it) is written in PAGES."""
    named = {
        f"{namespace}:{pattern.name}"
        for namespace, (_prefix, module) in URLCONFS.items()
        for pattern in module.urlpatterns
        if isinstance(pattern, URLPattern) and pattern.name  # unnamed: old addresses redirected
    }
    # The integrations page moved from referrals to the accounts app (issue 20): its row stays.
    assert named | {"accounts:integrations"} == {name for name, _variant, _method in PAGES}


def _user(role: str, organisation: Any) -> User:
    user = User.objects.create_user(username=f"matrix-{role}", password=PASSWORD)
    if role in ("admin", "analyst"):
        StaffProfile.objects.create(user=user, platform_role=role)
    else:
        Membership.objects.create(user=user, organisation=organisation, role=role)
    return user


def _ids(setting: Setting) -> dict[str, dict[str, str]]:  # noqa: F811
    """Real objects for every URL argument, by variant: a referral Duo received from the
    CPAS, one it sent (draft) about a file it holds, and one between two others."""
    a, c = setting.organisations["a"], setting.organisations["c"]
    co_b = setting.actor("co_b")
    held = person_create(actor=co_b, data=synthetic_file(given="Heldbyduo"))
    job_club = make_programme(a, "cpas-anderlecht-job-club")
    sent = referral_create(
        actor=co_b, person_id=held.pk, programme=job_club, planned_start=ROUND_DAY, fields=[]
    )
    referral_transition(actor=co_b, referral_id=sent.pk, action="send")
    received = referral_create(
        actor=setting.actor("co_a"),
        person_id=setting.persons["consented"].pk,
        programme=setting.mentoring,
        planned_start=ROUND_DAY,
        fields=["identity", "contact", "profile"],
        note="Synthetic note",
    )
    referral_transition(actor=setting.actor("co_a"), referral_id=received.pk, action="send")
    bapa = make_programme(c, "bapa-bxl-orientation")
    other = referral_create(
        actor=setting.actor("co_a"),
        person_id=setting.persons["no_disclosure"].pk,
        programme=bapa,
        planned_start=ROUND_DAY,
        fields=[],
    )
    referral_transition(actor=setting.actor("co_a"), referral_id=other.pk, action="send")
    offer = offer_save(
        actor=co_b,
        data={
            "title": "Two weeks",
            "programme": "duo-for-a-job-mentoring",
            "start_date": "2027-01-04",
        },
    )
    vacancy = vacancy_save(
        actor=co_b, data={"title": "Bricklayer", "occupation": "7112", "start_date": "2027-01-04"}
    )
    matching_round = round_start(
        actor=co_b, programme=setting.mentoring, kind="mentoring", on=ROUND_DAY
    )
    common = {
        "round_id": str(matching_round.pk),
        "number": "1",
        "mentor_id": str(setting.mentors[0].pk),
        "offer_id": str(offer.pk),
        "vacancy_id": str(vacancy.pk),
        "pair_id": "999999",
        "job_id": "999999",
        "held_id": str(held.pk),
    }
    return {
        "": {**common, "action": "remove"},
        "held": {**common, "person_id": str(held.pk)},
        "other": {
            **common,
            "person_id": str(setting.persons["elsewhere"].pk),
            "referral_id": str(other.pk),
            "action": "accept",
        },
        "received": {**common, "referral_id": str(received.pk), "action": "accept"},
        "sent": {**common, "referral_id": str(sent.pk), "action": "withdraw"},
    }


def _fill(route: str, ids: dict[str, str]) -> str:
    route = re.sub(r"<(?:\w+:)?(\w+)>", lambda match: ids[match.group(1)], route)
    return re.sub(r"\{(\w+)\}", lambda match: ids[match.group(1)], route)


def _path(name: str, ids: dict[str, str]) -> str:
    namespace, url_name = name.split(":")
    prefix, module = {**URLCONFS, **MOVED}[namespace]
    pattern = next(p for p in module.urlpatterns if getattr(p, "name", None) == url_name)
    return prefix + _fill(str(pattern.pattern), ids)


def _outcome(response: Any) -> Any:
    if response.status_code in (200, 302):
        return OK
    return response.status_code


@pytest.mark.parametrize(("name", "variant", "method"), list(PAGES))
def test_pages(setting: Setting, name: str, variant: str, method: str) -> None:  # noqa: F811
    """One page, every role (in one test: the set-up is the costly part). A refused
    request changes no referral."""
    ids = _ids(setting)[variant]
    path = _path(name, ids)
    data = {"version": "", "programme": "duo-for-a-job-mentoring", "one_click": "1"}
    found = {}
    for role in ROLES:
        client = logged_in(_user(role, setting.organisations["b"]))
        before = {r.pk: (r.state, r.version) for r in Referral.objects.all()}
        response = getattr(client, method)(path, data if method == "post" else None)
        found[role] = _outcome(response)
        if found[role] != OK:
            assert {r.pk: (r.state, r.version) for r in Referral.objects.all()} == before, role
    assert found == dict(zip(ROLES, PAGES[(name, variant, method)], strict=True))


# API operation (router, method, path) -> the scopes it needs, together.
API: dict[tuple[str, str, str], tuple[str, ...]] = {
    ("referrals", "GET", "/referrals"): ("referrals:read",),
    ("referrals", "POST", "/referrals"): ("persons:write", "referrals:write"),
    ("referrals", "GET", "/referrals/{referral_id}"): ("referrals:read",),
    ("referrals", "POST", "/referrals/{referral_id}/transitions"): ("referrals:write",),
    ("matching", "GET", "/matching/mentors"): ("matching:read",),
    ("matching", "POST", "/matching/mentors"): ("matching:write",),
    ("matching", "PUT", "/matching/mentors/{mentor_id}"): ("matching:write",),
    ("matching", "GET", "/matching/internships"): ("matching:read",),
    ("matching", "POST", "/matching/internships"): ("matching:write",),
    ("matching", "PUT", "/matching/internships/{offer_id}"): ("matching:write",),
    ("matching", "GET", "/matching/vacancies"): ("matching:read",),
    ("matching", "POST", "/matching/vacancies"): ("matching:write",),
    ("matching", "PUT", "/matching/vacancies/{vacancy_id}"): ("matching:write",),
    ("matching", "GET", "/matching/vacancies/{vacancy_id}/gaps"): ("matching:read",),
    ("matching", "GET", "/matching/internships/{offer_id}/gaps"): ("matching:read",),
    ("matching", "POST", "/matching/rounds"): ("matching:write",),
    ("matching", "GET", "/matching/rounds/{round_id}"): ("matching:read",),
    ("matching", "POST", "/matching/rounds/{round_id}/confirm"): ("matching:write",),
    ("beneficiaries", "POST", "/beneficiaries/encodings"): ("encodings:write",),
    ("beneficiaries", "GET", "/beneficiaries/encodings"): ("encodings:write",),
    ("beneficiaries", "GET", "/beneficiaries/encodings/uploads/{job_id}"): ("encodings:write",),
    ("beneficiaries", "GET", "/beneficiaries/figures"): ("beneficiaries:read",),
}
ROUTERS = {
    "referrals": referrals_api.router,
    "matching": matching_api.router,
    "beneficiaries": beneficiaries_api.router,
}
SCOPES = (
    "persons:read",
    "persons:write",
    "referrals:read",
    "referrals:write",
    "matching:read",
    "matching:write",
    "encodings:write",
    "beneficiaries:read",
)


def _operations() -> set[tuple[str, str, str]]:
    return {
        (name, method, route)
        for name, router in ROUTERS.items()
        for route, view in router.path_operations.items()
        for operation in view.operations
        for method in operation.methods
    }


def test_every_api_operation_of_the_three_apps_has_its_row() -> None:
    assert _operations() == set(API)


def _request(method: str, route: str, ids: dict[str, str], key: str) -> Any:
    """The operation with a body it accepts (django-ninja checks the body before the view
    checks the scope: an empty body would be 422 whatever the token)."""
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    path = "/api/v1" + _fill(route, ids)
    if route == "/beneficiaries/encodings" and method == "POST":
        files = {
            name: SimpleUploadedFile(f"{name}.csv", b"record_id\n", content_type="text/csv")
            for name in ("encodings", "participations")
        }
        return Client().post(path, files, **bearer)
    body: dict[str, Any] = {
        "/referrals": {
            "person_id": ids["held_id"],
            "programme": "cpas-anderlecht-job-club",
            "planned_start": ROUND_DAY.isoformat(),
        },
        "/referrals/{referral_id}/transitions": {"action": "accept"},
        "/matching/rounds": {"programme": "duo-for-a-job-mentoring", "kind": "mentoring"},
    }.get(route, {})
    if route == "/beneficiaries/figures":
        path += "?period=2025"
    return Client().generic(
        method, path, data=json.dumps(body), content_type="application/json", **bearer
    )


@pytest.mark.parametrize(("router", "method", "route"), list(API))
def test_api(setting: Setting, router: str, method: str, route: str) -> None:  # noqa: F811
    """Each scope alone, and the operation's scopes together: only the latter is let in
    (200, 201, 202 for a queued upload, or 404/409/422 for the synthetic ids and bodies, never
    401, 403 or 5xx);
    the others are refused (403) and change nothing."""
    ids = _ids(setting)["received"]
    needed = API[(router, method, route)]
    grants = [(scope,) for scope in SCOPES if (scope,) != needed] + [needed]
    found = {}
    for scopes in grants:
        _, key = ApiToken.issue(
            organisation=setting.organisations["b"], name=" ".join(scopes), scopes=list(scopes)
        )
        before = {r.pk: (r.state, r.version) for r in Referral.objects.all()}
        response = _request(method, route, ids, key)
        found[scopes] = response.status_code
        if response.status_code == 403:
            assert {r.pk: (r.state, r.version) for r in Referral.objects.all()} == before
    assert {scopes for scopes, status in found.items() if status != 403} == {needed}, found
    assert found[needed] in (200, 201, 202, 404, 409, 422), found


# --- organisations of the employer kind ---------------------------------------------------


def test_an_employer_organisation_never_receives_a_person_file(setting: Setting) -> None:  # noqa: F811
    acme = setting.organisations["acme"]
    holder = setting.actor("co_a")
    person = setting.persons["consented"]
    with pytest.raises(PersonDataError) as refused:
        consent_record(
            actor=holder,
            person_id=person.pk,
            purpose="referral",
            recipient=acme,
            fields=["identity"],
            given_on=dt.date(2026, 6, 1),
        )
    assert "recipient" in refused.value.errors
    with pytest.raises(PersonDataError) as refused:
        person_disclose(
            actor=holder,
            person_id=person.pk,
            recipient=acme,
            fields=["identity"],
            override_reason="Synthetic emergency",
        )
    assert "recipient" in refused.value.errors
    assert not Consent.objects.filter(recipient=acme).exists()
    assert not Disclosure.objects.filter(recipient=acme).exists()
    # Nor is it offered as a recipient on the file's page.
    page = logged_in(setting.users["co_a"]).get(f"/staff/persons/{person.pk}/")
    assert page.status_code == 200
    assert f'value="{acme.pk}"' not in page.content.decode()


@pytest.mark.parametrize(
    "scope",
    ["persons:read", "persons:write", "persons:export", "referrals:read", "referrals:write"],
)
def test_an_employer_organisation_holds_no_person_or_referral_scope(
    setting: Setting,  # noqa: F811
    scope: str,
) -> None:
    acme = setting.organisations["acme"]
    with pytest.raises(TokenRequestError) as refused:
        api_token_issue(organisation=acme, name="acme hr", scopes=[scope, "matching:read"])
    assert scope in refused.value.errors["scopes"]
    assert not ApiToken.objects.filter(organisation=acme).exists()
    token, _key = api_token_issue(organisation=acme, name="acme hr", scopes=["matching:read"])
    assert token.scopes == ["matching:read"]


def test_a_token_issued_to_an_employer_before_the_rule_reads_nothing(
    setting: Setting,  # noqa: F811
) -> None:
    """Tokens issued before the rule keep their scopes in the table, in vain."""
    acme = setting.organisations["acme"]
    _, key = ApiToken.issue(
        organisation=acme, name="old", scopes=["persons:read", "referrals:read"]
    )
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    assert Client().get("/api/v1/persons", **bearer).status_code == 403
    assert Client().get("/api/v1/referrals", **bearer).status_code == 403


def test_an_employer_role_at_a_receiving_organisation_cannot_accept(
    setting: Setting,  # noqa: F811
) -> None:
    """The finding: an employer-role user of an organisation that receives referrals read
    its inbox and accepted a referral."""
    ids = _ids(setting)["received"]
    user = _user("employer", setting.organisations["b"])
    with pytest.raises(TransitionError) as refused:
        referral_transition(actor=actor_of(user), referral_id=ids["referral_id"], action="accept")
    assert refused.value.field == "scope"
    assert Referral.objects.get(pk=ids["referral_id"]).state == "sent"


def test_the_policy_names_only_known_operations() -> None:
    """A misspelt operation in POLICY or SCOPE_OPERATIONS would silently grant nothing."""
    from typing import get_args

    from passerelle.web.common.actors import POLICY, SCOPE_OPERATIONS, Operation

    named = {
        operation
        for table in (POLICY, SCOPE_OPERATIONS)
        for relations in table.values()
        for operations in relations.values()
        for operation in operations
    }
    assert named == set(get_args(Operation))
