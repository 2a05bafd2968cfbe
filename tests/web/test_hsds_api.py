"""The HSDS 3.0 API and `POST /api/options` through HTTP.

Every record the API can return (every page, with and without `full_service`, every detail,
in the four languages) is validated against the official HSDS 3.0 JSON schemas
(tests/web/hsds_schema, resolved with a referencing Registry)."""

from __future__ import annotations

import datetime as dt
import json
import logging
import math
import re
import uuid
from collections.abc import Iterator
from importlib.metadata import version
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from passerelle.core.i18n import language_of
from passerelle.core.profile import profile_from_data
from passerelle.core.rules.options import options, options_json
from passerelle.knowledge.loader import Knowledge
from passerelle.web.apps.directory import hsds
from passerelle.web.apps.directory.models import (
    HSDS_NAMESPACE,
    Organisation,
    Origin,
    Programme,
    stable_uuid,
)
from passerelle.web.apps.directory.selectors import programmes_visible
from passerelle.web.apps.directory.services import LoadReport, search_text

from .hsds_schema import errors_of, page_fields, page_validator

pytestmark = pytest.mark.django_db

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
EXAMPLE_PROFILES = [
    ("profile-asylum-seeker.json", "2018-06-01"),
    ("profile-refugee.json", "2019-06-01"),
    ("profile-refugee.json", "2017-10-01"),
]
LANGUAGES = ("fr", "nl", "en", "ar")


# --- Fixtures: the knowledge base plus records entered by an organisation ------------------


def _user_organisation() -> Organisation:
    names = {"fr": "Lire ensemble", "nl": "Samen lezen", "en": "Reading together"}
    return Organisation.objects.create(
        slug="reading-together",
        uuid=stable_uuid("organisation", "reading-together"),
        origin=Origin.USER,
        names=names,
        kind="non_profit",
        municipality="schaerbeek",
        funders=["cocof"],
        search_text=search_text(names),
    )


def _user_programme(organisation: Organisation, slug: str, **fields: Any) -> Programme:
    names = {"fr": f"Cours {slug}", "nl": f"Cursus {slug}", "en": f"Course {slug}"}
    categories = fields.pop("categories", ["literacy"])
    languages = fields.pop("languages", ["ar", "ti"])
    return Programme.objects.create(
        slug=slug,
        uuid=stable_uuid("programme", slug),
        origin=Origin.USER,
        organisation=organisation,
        names=names,
        description={"en": "Reading and writing in French for adults."},
        categories=categories,
        categories_index=" " + " ".join(categories) + " ",
        languages=languages,
        languages_index=" " + " ".join(languages) + " ",
        municipality=organisation.municipality,
        search_text=search_text(names, categories, slug),
        **fields,
    )


@pytest.fixture
def directory(loaded_directory: LoadReport) -> LoadReport:
    """The knowledge base, two programmes entered by an organisation (one ended), and one
    programme retired from the knowledge base (it must not be published)."""
    organisation = _user_organisation()
    _user_programme(
        organisation,
        "reading-club",
        eligibility={
            "all": [{"field": "age", "ge": 18}, {"field": "migration_background", "eq": True}]
        },
        cost={"kind": "fee", "amount_eur": 10, "per": "session", "sources": []},
    )
    _user_programme(
        organisation,
        "reading-club-2019",
        valid_to=dt.date(2019, 12, 31),
        valid_to_text="2019-12-31",
        categories=["literacy", "language_course"],
    )
    Programme.objects.filter(slug="bon-civic-integration").update(in_knowledge=False)
    return loaded_directory


def _get(client: Client, path: str, params: dict[str, Any] | None = None) -> Any:
    response = client.get(path, params or {})
    assert response.status_code == 200, (path, response.content[:500])
    assert response["Content-Type"].startswith("application/json")
    return response.json()


def _pages(client: Client, path: str, per_page: int, **params: str) -> Iterator[dict[str, Any]]:
    """Every page of a collection, in order."""
    page = 1
    while True:
        query = "&".join(
            [f"page={page}", f"per_page={per_page}"] + [f"{k}={v}" for k, v in params.items()]
        )
        data = _get(client, f"{path}?{query}")
        yield data
        if data["last_page"]:
            return
        page += 1


def _assert_valid(schema: str, record: Any) -> None:
    assert errors_of(schema, record) == [], (schema, record.get("id"))


def _assert_page(data: dict[str, Any]) -> None:
    assert set(data) == page_fields() | {"contents"}
    assert list(page_validator().iter_errors(data)) == []


def _published_programmes() -> list[Programme]:
    return list(programmes_visible().order_by("slug"))


# --- The validator is strict -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("record", "problem"),
    [
        ({"id": str(uuid.uuid4()), "name": "x"}, "'status' is a required property"),
        ({"id": "not-a-uuid", "name": "x", "status": "active"}, "is not a 'uuid'"),
        ({"id": str(uuid.uuid4()), "name": "x", "status": "open"}, "is not one of"),
        (
            {"id": str(uuid.uuid4()), "name": "x", "status": "active", "last_modified": "May"},
            "is not a 'date-time'",
        ),
        (
            {
                "id": str(uuid.uuid4()),
                "name": "x",
                "status": "active",
                "languages": [{"id": "1", "name": "Arabic"}],
            },
            "languages/0/id",
        ),
        (
            {
                "id": str(uuid.uuid4()),
                "name": "x",
                "status": "active",
                "organization": {"id": str(uuid.uuid4()), "name": "y"},
            },
            "'description' is a required property",
        ),
    ],
)
def test_the_schema_validator_rejects_bad_records(record: dict[str, Any], problem: str) -> None:
    assert any(problem in error for error in errors_of("service.json", record))


# --- Every record validates ----------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_record_validates_against_hsds(directory: LoadReport, language: str) -> None:
    client = Client()
    published = {programme.uuid for programme in _published_programmes()}
    for full in ("false", "true"):
        seen: list[str] = []
        for page in _pages(client, "/api/hsds/services", 7, full_service=full, lang=language):
            _assert_page(page)
            for service in page["contents"]:
                _assert_valid("service.json", service)
                assert ("organization" in service) == (full == "true")
                seen.append(service["id"])
        assert {uuid.UUID(value) for value in seen} == published
        organizations: list[str] = []
        for page in _pages(client, "/api/hsds/organizations", 9, full_service=full, lang=language):
            _assert_page(page)
            for organization in page["contents"]:
                _assert_valid("organization.json", organization)
                for service in organization.get("services", []):
                    _assert_valid("service.json", service)
                organizations.append(organization["id"])
        assert len(organizations) == hsds.organizations_matching(hsds.OrganizationFilters()).count()
    for service_id in published:
        for full in ("true", "false"):
            record = _get(
                client, f"/api/hsds/services/{service_id}?full_service={full}&lang={language}"
            )
            _assert_valid("service.json", record)
    for organization_id in organizations:
        for full in ("true", "false"):
            record = _get(
                client,
                f"/api/hsds/organizations/{organization_id}?full_service={full}&lang={language}",
            )
            _assert_valid("organization.json", record)
            for service in record["services"]:
                _assert_valid("service.json", service)
    for page in _pages(client, "/api/hsds/taxonomies", 1, lang=language):
        _assert_page(page)
        for taxonomy in page["contents"]:
            _assert_valid("taxonomy.json", taxonomy)
            _assert_valid("taxonomy.json", _get(client, f"/api/hsds/taxonomies/{taxonomy['id']}"))
    for page in _pages(client, "/api/hsds/taxonomy_terms", 4, lang=language):
        _assert_page(page)
        for term in page["contents"]:
            _assert_valid("taxonomy_term.json", term)
            assert term["language"] == language
            _assert_valid(
                "taxonomy_term.json", _get(client, f"/api/hsds/taxonomy_terms/{term['id']}")
            )


def test_a_full_service_nests_its_organization_attributes_languages_and_area(
    directory: LoadReport,
) -> None:
    service_id = stable_uuid("programme", "reading-club")
    record = _get(Client(), f"/api/hsds/services/{service_id}")
    organization = record["organization"]
    assert (
        organization["id"]
        == record["organization_id"]
        == str(stable_uuid("organisation", "reading-together"))
    )
    assert organization["name"] == "Reading together"
    assert organization["description"] == "non-profit organisation"  # no mandate: the kind
    assert [funding["source"] for funding in organization["funding"]] == [
        Organisation.objects.get(slug="cocof").name("en")
    ]
    assert [language["code"] for language in record["languages"]] == ["ar", "ti"]
    assert [language["name"] for language in record["languages"]] == ["Arabic", "Tigrinya"]
    assert [area["name"] for area in record["service_areas"]] == ["Schaerbeek"]
    (attribute,) = record["attributes"]
    assert attribute["link_id"] == str(service_id)
    assert attribute["link_entity"] == "service"
    term = attribute["taxonomy_term"]
    assert term["code"] == "literacy"
    assert term["name"] == "Literacy"
    assert term["taxonomy"] == hsds.TAXONOMY_NAME
    assert term["taxonomy_detail"]["id"] == str(hsds.TAXONOMY_ID)
    assert (
        attribute["taxonomy_term_id"] == term["id"] == str(stable_uuid("taxonomy_term", "literacy"))
    )
    assert record["minimum_age"] == 18
    assert "maximum_age" not in record
    assert record["eligibility_description"] == "age at least 18; migration background"
    assert record["fees_description"] == "Fee: 10 € per session."
    assert record["status"] == "active"


@pytest.mark.parametrize(
    ("slug", "status"),
    [
        ("tandem-internship", "active"),
        ("feb-vbo-employer-guide", "inactive"),  # the Taskforce is dormant since March 2018
        ("reading-club-2019", "defunct"),  # ended on 2019-12-31
    ],
)
def test_status_follows_the_dates(directory: LoadReport, slug: str, status: str) -> None:
    record = _get(Client(), f"/api/hsds/services/{stable_uuid('programme', slug)}")
    assert record["status"] == status


def test_ages_come_from_the_criteria(directory: LoadReport) -> None:
    record = _get(
        Client(), f"/api/hsds/services/{stable_uuid('programme', 'duo-for-a-job-mentoring')}"
    )
    assert (record["minimum_age"], record["maximum_age"]) == (18, 30)


def test_a_part_of_organization_names_its_parent(directory: LoadReport) -> None:
    record = _get(Client(), f"/api/hsds/organizations/{stable_uuid('organisation', 'tandem')}")
    assert record["parent_organization_id"] == str(
        stable_uuid("organisation", "european-volunteer-centre")
    )
    assert [service["id"] for service in record["services"]] == [
        str(stable_uuid("programme", "tandem-internship"))
    ]
    assert "organization" not in record["services"][0]
    assert "attributes" not in record["services"][0]  # full_service=false by default
    full = _get(
        Client(),
        f"/api/hsds/organizations/{stable_uuid('organisation', 'tandem')}?full_service=true",
    )
    assert full["services"][0]["attributes"][0]["taxonomy_term"]["code"] == "internship"


# --- Ids -----------------------------------------------------------------------------------


def test_ids_are_uuid5_of_the_slugs_and_stable(directory: LoadReport) -> None:
    client = Client()
    first = _get(client, "/api/hsds/services?per_page=500&full_service=true&lang=en")
    second = _get(client, "/api/hsds/services?per_page=500&full_service=true&lang=ar")

    def ids(data: dict[str, Any]) -> list[tuple[str, ...]]:
        return [
            (
                service["id"],
                *(attribute["id"] for attribute in service["attributes"]),
                *(language["id"] for language in service["languages"]),
                *(area["id"] for area in service["service_areas"]),
            )
            for service in data["contents"]
        ]

    assert ids(first) == ids(second)
    slugs = [programme.slug for programme in _published_programmes()]
    assert [service["id"] for service in first["contents"]] == [
        str(uuid.uuid5(HSDS_NAMESPACE, f"programme:{slug}")) for slug in slugs
    ]


# --- Pagination ----------------------------------------------------------------------------


@pytest.mark.parametrize("per_page", [1, 7, 35, 50, 500])
def test_pagination_covers_every_service_once(directory: LoadReport, per_page: int) -> None:
    client = Client()
    pages = list(_pages(client, "/api/hsds/services", per_page))
    total = len(_published_programmes())
    ids = [service["id"] for page in pages for service in page["contents"]]
    assert len(ids) == len(set(ids)) == total
    assert len(pages) == math.ceil(total / per_page)
    for number, page in enumerate(pages, start=1):
        assert page["total_items"] == total
        assert page["total_pages"] == len(pages)
        assert page["page_number"] == number
        assert (
            page["size"] == len(page["contents"]) == min(per_page, total - (number - 1) * per_page)
        )
        assert page["first_page"] is (number == 1)
        assert page["last_page"] is (number == len(pages))
        assert page["empty"] is False
    beyond = _get(client, f"/api/hsds/services?per_page={per_page}&page={len(pages) + 1}")
    assert beyond["contents"] == []
    assert (beyond["size"], beyond["empty"], beyond["last_page"], beyond["first_page"]) == (
        0,
        True,
        True,
        False,
    )


def test_default_page_size_is_50(directory: LoadReport) -> None:
    Organisation.objects.bulk_create(
        Organisation(
            slug=f"extra-{number}",
            uuid=stable_uuid("organisation", f"extra-{number}"),
            origin=Origin.USER,
            names={"en": f"Extra {number}"},
            kind="non_profit",
        )
        for number in range(20)
    )
    total = hsds.organizations_matching(hsds.OrganizationFilters()).count()
    assert total > 50
    first = _get(Client(), "/api/hsds/organizations")
    assert (first["size"], first["total_items"], first["total_pages"]) == (50, total, 2)
    second = _get(Client(), "/api/hsds/organizations?page=2")
    assert second["size"] == total - 50
    assert second["last_page"] is True


def test_an_empty_result_is_one_empty_page(directory: LoadReport) -> None:
    data = _get(Client(), "/api/hsds/services?search=zzzzzz")
    assert data == {
        "total_items": 0,
        "total_pages": 0,
        "page_number": 1,
        "size": 0,
        "first_page": True,
        "last_page": True,
        "empty": True,
        "contents": [],
    }


# --- Filters -------------------------------------------------------------------------------


def _ids(data: dict[str, Any]) -> set[str]:
    return {record["id"] for record in data["contents"]}


def _service_ids(*slugs: str) -> set[str]:
    return {str(stable_uuid("programme", slug)) for slug in slugs}


@pytest.mark.parametrize(
    ("search", "expected"),
    [
        ("tandem", {"tandem-internship"}),
        ("TANDEM internships", {"tandem-internship"}),
        ("MENTORAT intergenerationnel", {"duo-for-a-job-mentoring"}),  # French, no accents
        ("cire équivalence", {"cire-diploma-recognition"}),  # CIRÉ, accents ignored
    ],
)
def test_search(directory: LoadReport, search: str, expected: set[str]) -> None:
    data = _get(Client(), "/api/hsds/services", {"per_page": 500, "search": search})
    assert _ids(data) == _service_ids(*expected)


def test_organization_search(directory: LoadReport) -> None:
    data = _get(Client(), "/api/hsds/organizations?search=tandem")
    assert str(stable_uuid("organisation", "tandem")) in _ids(data)
    assert str(stable_uuid("organisation", "actiris")) not in _ids(data)


def test_filter_by_organization(directory: LoadReport) -> None:
    organization_id = stable_uuid("organisation", "be-face")
    data = _get(Client(), f"/api/hsds/services?per_page=500&organization_id={organization_id}")
    assert _ids(data) == _service_ids("be-face-mentoring", "be-face-recruitment-seminars")
    assert {service["organization_id"] for service in data["contents"]} == {str(organization_id)}


def test_filter_by_taxonomy_term(directory: LoadReport) -> None:
    term = stable_uuid("taxonomy_term", "mentoring")
    client = Client()
    data = _get(
        client, f"/api/hsds/services?per_page=500&full_service=true&taxonomy_term_id={term}"
    )
    expected = {
        str(programme.uuid)
        for programme in _published_programmes()
        if "mentoring" in programme.categories
    }
    assert _ids(data) == expected
    assert len(expected) >= 2
    for service in data["contents"]:
        assert str(term) in {attribute["taxonomy_term_id"] for attribute in service["attributes"]}
    organizations = _get(client, f"/api/hsds/organizations?per_page=500&taxonomy_term_id={term}")
    assert {organization["id"] for organization in organizations["contents"]} == {
        service["organization_id"] for service in data["contents"]
    }
    unknown = _get(client, f"/api/hsds/services?taxonomy_term_id={uuid.uuid4()}")
    assert unknown["total_items"] == 0


def test_terms_list_every_category(directory: LoadReport) -> None:
    data = _get(Client(), "/api/hsds/taxonomy_terms?per_page=500")
    assert [term["code"] for term in data["contents"]] == list(hsds.CATEGORY_CODES)
    other = _get(Client(), f"/api/hsds/taxonomy_terms?taxonomy_id={uuid.uuid4()}")
    assert other["total_items"] == 0


def test_modified_after(directory: LoadReport) -> None:
    old = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    Programme.objects.update(updated_at=old)
    Organisation.objects.update(updated_at=old)
    Programme.objects.filter(slug="tandem-internship").update(
        updated_at=dt.datetime(2024, 5, 1, 12, 30, 15, 250000, tzinfo=dt.UTC)
    )
    Organisation.objects.filter(slug="be-face").update(
        updated_at=dt.datetime(2024, 6, 1, tzinfo=dt.UTC)
    )
    client = Client()
    data = _get(client, "/api/hsds/services?per_page=500&modified_after=2024-01-01T00:00:00Z")
    # A service changes with its organisation (nested in the full record).
    assert _ids(data) == _service_ids(
        "tandem-internship", "be-face-mentoring", "be-face-recruitment-seminars"
    )
    tandem = next(s for s in data["contents"] if s["id"] in _service_ids("tandem-internship"))
    assert tandem["last_modified"] == "2024-05-01T12:30:15.250Z"
    naive = _get(client, "/api/hsds/services?per_page=500&modified_after=2024-05-15T00:00:00")
    assert _ids(naive) == _service_ids("be-face-mentoring", "be-face-recruitment-seminars")
    offset = _get(client, "/api/hsds/services", {"modified_after": "2024-05-01T14:30:15+02:00"})
    assert _service_ids("tandem-internship") <= _ids(offset)
    organizations = _get(client, "/api/hsds/organizations?modified_after=2024-01-01")
    assert _ids(organizations) == {str(stable_uuid("organisation", "be-face"))}
    assert _get(client, "/api/hsds/services?modified_after=2030-01-01")["total_items"] == 0
    # Offsets Python accepts and PostgreSQL does not (beyond ±15:59) are moved to UTC first.
    far = _get(client, "/api/hsds/services", {"modified_after": "2024-05-02T10:30:15+23:59"})
    assert _service_ids("tandem-internship") <= _ids(far)
    # A day at the calendar's edge cannot be moved to UTC: a 422 naming the parameter.
    edge = client.get("/api/hsds/organizations", {"modified_after": "0001-01-01T00:00:00+05:00"})
    assert edge.status_code == 422, edge.content[:300]
    assert "modified_after" in edge.content.decode()


def test_retired_records_are_not_published(directory: LoadReport) -> None:
    retired = stable_uuid("programme", "bon-civic-integration")
    client = Client()
    assert str(retired) not in _ids(_get(client, "/api/hsds/services?per_page=500"))
    response = client.get(f"/api/hsds/services/{retired}")
    assert response.status_code == 404


# --- Languages -----------------------------------------------------------------------------


def test_texts_follow_lang_then_accept_language_then_english(directory: LoadReport) -> None:
    client = Client()
    path = f"/api/hsds/services/{stable_uuid('programme', 'duo-for-a-job-mentoring')}"
    cases = [
        ("?lang=fr", {}, "fr", "Mentorat Duo for a Job"),
        ("", {"Accept-Language": "nl-BE,nl;q=0.9,en;q=0.8"}, "nl", "Duo for a Job-mentoring"),
        ("?lang=en", {"Accept-Language": "fr"}, "en", "Duo for a Job mentoring"),
        ("", {"Accept-Language": "de, ar;q=0.5"}, "ar", "Duo for a Job mentoring"),
        ("", {"Accept-Language": "de"}, "en", "Duo for a Job mentoring"),
        ("", {}, "en", "Duo for a Job mentoring"),
    ]
    for query, headers, language, name in cases:
        response = client.get(path + query, headers=headers)
        assert response.status_code == 200
        assert response["Content-Language"] == language
        assert "Accept-Language" in response["Vary"]
        record = response.json()
        assert record["name"] == name
        assert record["attributes"][0]["taxonomy_term"]["language"] == language
    french = client.get(path + "?lang=fr").json()
    assert french["description"].startswith("Mentorat intergénérationnel")
    assert french["eligibility_description"].startswith("Jeunes de 18 à 30 ans")


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("fr-BE,fr;q=0.9", "fr"),
        ("en;q=0.1, nl;q=0.8", "nl"),
        ("AR", "ar"),
        ("de-DE, es", None),
        ("fr;q=0, en;q=0.5", "en"),
        ("", None),
        ("nl;q=abc, en", "en"),
    ],
)
def test_accept_language_parsing(header: str, expected: str | None) -> None:
    assert hsds.language_from_header(header) == expected


# --- Errors --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/api/hsds/services/{id}", "No service with id {id}."),
        ("/api/hsds/organizations/{id}", "No organization with id {id}."),
        ("/api/hsds/taxonomies/{id}", "No taxonomy with id {id}."),
        ("/api/hsds/taxonomy_terms/{id}", "No taxonomy term with id {id}."),
    ],
)
def test_unknown_id_is_a_json_404(directory: LoadReport, path: str, message: str) -> None:
    unknown = uuid.uuid4()
    response = Client().get(path.format(id=unknown))
    assert response.status_code == 404
    assert response.json() == {"detail": message.format(id=unknown)}


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("/api/hsds/services?per_page=501", "per_page"),
        ("/api/hsds/services?per_page=0", "per_page"),
        ("/api/hsds/services?page=0", "page"),
        ("/api/hsds/services?page=two", "page"),
        ("/api/hsds/services?organization_id=actiris", "organization_id"),
        ("/api/hsds/services?taxonomy_term_id=mentoring", "taxonomy_term_id"),
        ("/api/hsds/services?modified_after=yesterday", "modified_after"),
        ("/api/hsds/services?full_service=maybe", "full_service"),
        ("/api/hsds/services?lang=de", "lang"),
        ("/api/hsds/organizations?per_page=1000", "per_page"),
        ("/api/hsds/organizations?modified_after=2024-13-01", "modified_after"),
        ("/api/hsds/services/tandem-internship", "id"),
        ("/api/hsds/organizations/42", "id"),
    ],
)
def test_bad_parameters_are_422_naming_the_field(
    directory: LoadReport, query: str, field: str
) -> None:
    response = Client().get(query)
    assert response.status_code == 422
    (error,) = response.json()["detail"]
    assert error["loc"][-1] == field
    assert error["msg"].startswith(f"{field}: ")


# --- OpenAPI and docs ----------------------------------------------------------------------


def test_openapi_is_served(directory: LoadReport) -> None:
    schema = _get(Client(), "/api/openapi.json")
    assert schema["info"]["title"] == "passerelle"
    assert schema["info"]["version"] == version("passerelle")
    for path in (
        "/api/hsds/",
        "/api/hsds/services",
        "/api/hsds/services/{id}",
        "/api/hsds/organizations",
        "/api/hsds/organizations/{id}",
        "/api/options",
    ):
        assert path in schema["paths"], path
    parameters = {p["name"] for p in schema["paths"]["/api/hsds/services"]["get"]["parameters"]}
    assert {
        "search",
        "page",
        "per_page",
        "organization_id",
        "taxonomy_term_id",
        "modified_after",
        "full_service",
        "lang",
    } <= parameters
    assert not any("assets" in path for path in schema["paths"])


def test_root_gives_the_hsds_version_and_links(directory: LoadReport) -> None:
    client = Client()
    root = _get(client, "/api/hsds/")
    assert root["version"] == "3.0"
    assert root["openapi_url"] == "http://testserver/api/openapi.json"
    for name, url in root["links"].items():
        assert client.get(urlsplit(url).path).status_code == 200, name


def test_docs_load_nothing_from_another_host(directory: LoadReport) -> None:
    client = Client()
    response = client.get("/api/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert re.findall(r"(?i)(?:https?:)?//[a-z0-9.-]+", html) == []
    assert "<script" not in html  # the platform's own template, no Swagger UI
    assert 'href="/api/openapi.json"' in html


@pytest.mark.parametrize("language", ["fr", "ar"])
def test_docs_list_every_operation_of_the_openapi_document(
    directory: LoadReport, language: str
) -> None:
    client = Client()
    client.cookies["passerelle_language"] = language
    html = client.get("/api/docs").content.decode()
    assert f'<html lang="{language}"' in html
    assert '<main id="main"' in html
    schema = client.get("/api/openapi.json").json()
    operations = [
        f"{method.upper()} {path}"
        for path, item in schema["paths"].items()
        for method in ("get", "post", "put", "patch", "delete")
        if method in item
    ]
    assert len(operations) > 10
    for operation in operations:
        assert f'<code dir="ltr">{operation}</code>' in html, operation
    # The endpoints' English descriptions carry their language on a page in another.
    assert '<p lang="en"' in html or '<p lang="en" dir="ltr"' in html


# --- POST /api/options ---------------------------------------------------------------------


def _example(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((EXAMPLES / name).read_text(encoding="utf-8"))
    return data


@pytest.mark.parametrize(("example", "on"), EXAMPLE_PROFILES)
def test_options_is_the_same_json_as_the_cli(knowledge: Knowledge, example: str, on: str) -> None:
    profile = _example(example)
    response = Client().post(
        "/api/options", {"profile": profile, "on": on}, content_type="application/json"
    )
    assert response.status_code == 200
    expected = options_json(
        options(profile_from_data(profile), dt.date.fromisoformat(on), knowledge), knowledge
    )
    assert response.json() == json.loads(json.dumps(expected))
    assert response.json()["programmes"]


def test_options_answer_has_the_bytes_and_headers_ninja_s_renderer_gave(
    knowledge: Knowledge,
) -> None:
    """The answer is encoded without django-ninja's response validation (issue 19): the
    same bytes as its renderer makes of the same data, with the same headers."""
    from passerelle.web.api import api

    profile = _example("profile-refugee.json")
    response = Client().post(
        "/api/options?lang=nl",
        {"profile": profile, "on": "2019-06-01"},
        content_type="application/json",
    )
    with language_of("nl"):
        expected = options_json(
            options(profile_from_data(profile), dt.date(2019, 6, 1), knowledge), knowledge
        )
    rendered = api.renderer.render(None, expected, response_status=200)  # type: ignore[arg-type]
    assert response.content == rendered.encode()
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response["Content-Language"] == "nl"
    assert response["Cache-Control"] == "no-store"
    assert "Accept-Language" in response["Vary"]


def test_options_stores_and_logs_nothing(
    knowledge: Knowledge, caplog: pytest.LogCaptureFixture
) -> None:
    profile = _example("profile-asylum-seeker.json")
    client = Client(enforce_csrf_checks=True)  # no CSRF token needed: a stateless computation
    caplog.set_level(logging.DEBUG)
    with CaptureQueriesContext(connection) as queries:
        ok = client.post(
            "/api/options",
            {"profile": profile, "on": "2018-06-01"},
            content_type="application/json",
        )
        bad = client.post(
            "/api/options",
            {"profile": {**profile, "birth_date": "1996-02-30"}, "on": "2018-06-01"},
            content_type="application/json",
        )
    assert (ok.status_code, bad.status_code) == (200, 422)
    assert len(queries) == 0
    assert not ok.cookies
    assert not bad.cookies
    assert ok["Cache-Control"] == "no-store"
    logged = " ".join(record.getMessage() for record in caplog.records)
    for value in ("1996-04-02", "1996-02-30", "2018-01-12", "Schaerbeek", "asylum_seeker"):
        assert value not in logged


def test_options_answers_in_the_requested_language(knowledge: Knowledge) -> None:
    body = {"profile": _example("profile-refugee.json"), "on": "2019-06-01"}
    english = Client().post("/api/options", body, content_type="application/json").json()
    french = Client().post("/api/options?lang=fr", body, content_type="application/json")
    assert french["Content-Language"] == "fr"
    assert french.json()["programmes"][0]["id"] == english["programmes"][0]["id"]
    # The data is the same whatever the language; only the reasons' words may change.
    assert [p["status"] for p in french.json()["programmes"]] == [
        p["status"] for p in english["programmes"]
    ]


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        (
            {"profile": {"birth_date": "02/04/1996"}, "on": "2018-06-01"},
            ["body", "profile", "birth_date"],
        ),
        (
            {"profile": {"legal_status": "tourist"}, "on": "2018-06-01"},
            ["body", "profile", "legal_status"],
        ),
        ({"profile": {"shoe_size": 42}, "on": "2018-06-01"}, ["body", "profile", "shoe_size"]),
        (
            {"profile": {"municipality": "Schaarbek"}, "on": "2018-06-01"},
            ["body", "profile", "municipality"],
        ),
        (
            {"profile": {"languages": {"fr": "Z9"}}, "on": "2018-06-01"},
            ["body", "profile", "languages", "fr"],
        ),
        (
            {
                "profile": {"birth_date": "1996-04-02", "arrival_in_belgium": "1990-01-01"},
                "on": "2018-06-01",
            },
            ["body", "profile", "arrival_in_belgium"],
        ),
        ({"profile": {}, "on": "1999-12-31"}, ["body", "on"]),
        ({"profile": {}, "on": "2018-02-30"}, ["body", "on"]),
        ({"profile": "refugee", "on": "2018-06-01"}, ["body", "profile"]),
        ({"on": "2018-06-01"}, ["body", "profile"]),
    ],
)
def test_options_errors_are_422_naming_the_field(
    knowledge: Knowledge, body: dict[str, Any], loc: list[str]
) -> None:
    response = Client().post("/api/options", body, content_type="application/json")
    assert response.status_code == 422
    (error,) = response.json()["detail"]
    assert error["loc"] == loc
    assert error["msg"].startswith(".".join(loc[1:]) + ": ")


def test_options_without_a_date_answers_for_today(knowledge: Knowledge) -> None:
    response = Client().post("/api/options", {"profile": {}}, content_type="application/json")
    assert response.status_code == 200
    assert response.json()["on"] == dt.date.today().isoformat()


@pytest.mark.parametrize("path", ["/api/hsds/services", "/api/hsds/organizations"])
@pytest.mark.parametrize("full", ["true", "false"])
def test_a_page_of_every_record_takes_a_few_queries(
    directory: LoadReport, path: str, full: str
) -> None:
    """No query per record: a count, the page, the organisations and (for organizations
    with full_service) their services."""
    with CaptureQueriesContext(connection) as queries:
        data = _get(Client(), path, {"per_page": 500, "full_service": full})
    assert data["size"] > 30
    assert len(queries) <= 4
