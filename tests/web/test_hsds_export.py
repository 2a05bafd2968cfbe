"""`export_hsds` (the `passerelle export-hsds DIR` command): JSON records equal to the API's,
valid against the official HSDS 3.0 schemas, and a tabular data package whose tables are
HSDS 3.0's (derived from the same schemas) and whose CSV rows keep its constraints."""

from __future__ import annotations

import csv
import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from passerelle.web.apps.directory import hsds
from passerelle.web.apps.directory.export import ExportReport, export_hsds
from passerelle.web.apps.directory.models import Programme, stable_uuid
from passerelle.web.apps.directory.selectors import programmes_visible
from passerelle.web.apps.directory.services import LoadReport

from .hsds_schema import errors_of, tabular_resources

pytestmark = pytest.mark.django_db

RECORD_DIRECTORIES = {
    "services": ("service.json", "/api/hsds/services/{id}"),
    "organizations": ("organization.json", "/api/hsds/organizations/{id}"),
    "taxonomies": ("taxonomy.json", "/api/hsds/taxonomies/{id}"),
    "taxonomy_terms": ("taxonomy_term.json", "/api/hsds/taxonomy_terms/{id}"),
}


@pytest.fixture
def exported(loaded_directory: LoadReport, tmp_path: Path) -> tuple[Path, ExportReport]:
    directory = tmp_path / "out" / "hsds"  # created by the export
    return directory, export_hsds(directory)


def _read_csv(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(encoding="utf-8", newline="") as stream:
        reader = csv.DictReader(stream)
        rows = list(reader)
        return list(reader.fieldnames or []), rows


def _datapackage(directory: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((directory / "datapackage.json").read_text("utf-8"))
    return data


@pytest.mark.parametrize("language", ["en", "ar"])
def test_json_records_are_valid_and_the_same_as_the_api(
    loaded_directory: LoadReport, tmp_path: Path, language: str
) -> None:
    report = export_hsds(tmp_path, language)
    client = Client()
    published = {str(programme.uuid) for programme in programmes_visible()}
    assert {path.stem for path in (tmp_path / "services").glob("*.json")} == published
    for folder, (schema, url) in RECORD_DIRECTORIES.items():
        files = sorted((tmp_path / folder).glob("*.json"))
        assert len(files) == report.records[folder] > 0
        for path in files:
            record = json.loads(path.read_text("utf-8"))
            assert errors_of(schema, record) == [], path
            assert record["id"] == path.stem
            response = client.get(url.format(id=path.stem), {"lang": language})
            assert response.status_code == 200
            assert response.json() == record, path


def test_the_datapackage_is_hsds_tabular_format(exported: tuple[Path, ExportReport]) -> None:
    directory, _report = exported
    package = _datapackage(directory)
    assert package["profile"] == "tabular-data-package"
    official = tabular_resources()
    names = [resource["name"] for resource in package["resources"]]
    assert names == [name for name in official if name in names]  # HSDS's order
    assert {"organization", "service", "attribute", "taxonomy_term", "taxonomy"} <= set(names)
    for resource in package["resources"]:
        expected = official[resource["name"]]
        for key in ("path", "format", "mediatype", "profile"):
            assert resource[key] == expected[key], (resource["name"], key)
        schema = resource["schema"]
        assert schema["primaryKey"] == "id"
        assert schema["fields"] == expected["fields"], resource["name"]
        foreign_keys = {
            (key["fields"], key["reference"]["resource"]) for key in schema.get("foreignKeys", [])
        }
        assert all(key["reference"]["fields"] == "id" for key in schema.get("foreignKeys", []))
        # HSDS's foreign keys, without those to tables we do not write (program, location...)
        assert foreign_keys == {
            (column, table) for column, table in expected["foreign_keys"] if table in names
        }, resource["name"]


def test_csv_headers_and_rows_keep_the_datapackage_schema(
    exported: tuple[Path, ExportReport],
) -> None:
    directory, report = exported
    package = _datapackage(directory)
    ids: dict[str, set[str]] = {}
    tables: dict[str, list[dict[str, str]]] = {}
    for resource in package["resources"]:
        header, rows = _read_csv(directory / resource["path"])
        fields = resource["schema"]["fields"]
        assert header == [field["name"] for field in fields], resource["path"]
        assert report.rows[resource["path"]] == len(rows)
        for field in fields:
            values = [row[field["name"]] for row in rows]
            constraints = field["constraints"]
            if constraints["required"]:
                assert all(values), (resource["path"], field["name"])
            present = [value for value in values if value]
            if constraints["unique"]:
                assert len(present) == len(set(present)), (resource["path"], field["name"])
            if "enum" in constraints:
                assert set(present) <= set(constraints["enum"]), field["name"]
            if field.get("format") == "uuid":
                for value in present:
                    assert str(uuid.UUID(value)) == value
            if field["type"] == "number":
                for value in present:
                    float(value)
        ids[resource["name"]] = {row["id"] for row in rows}
        tables[resource["name"]] = rows
    for resource in package["resources"]:
        for key in resource["schema"].get("foreignKeys", []):
            referenced = ids[key["reference"]["resource"]]
            for row in tables[resource["name"]]:
                value = row[key["fields"]]
                assert not value or value in referenced, (resource["name"], key["fields"], value)
    assert {row["id"] for row in tables["service"]} == {
        path.stem for path in (directory / "services").glob("*.json")
    }
    assert len(tables["organization"]) == report.records["organizations"]
    assert len(tables["taxonomy_term"]) == len(hsds.CATEGORY_CODES)


def _cell(value: object) -> str:
    return "" if value is None else str(value)


def _scalars(record: dict[str, Any]) -> dict[str, str]:
    return {
        name: _cell(value) for name, value in record.items() if not isinstance(value, dict | list)
    }


def _by_id(directory: Path, path: str) -> dict[str, dict[str, str]]:
    _header, rows = _read_csv(directory / path)
    return {row["id"]: row for row in rows}


def _non_empty(row: dict[str, str]) -> dict[str, str]:
    return {name: value for name, value in row.items() if value}


def test_csv_rows_are_the_json_records_flattened(exported: tuple[Path, ExportReport]) -> None:
    directory, _report = exported
    services = _by_id(directory, "services.csv")
    organizations = _by_id(directory, "organizations.csv")
    nested = {
        "attributes": _by_id(directory, "attributes.csv"),
        "languages": _by_id(directory, "languages.csv"),
        "service_areas": _by_id(directory, "service_areas.csv"),
    }
    funding = _by_id(directory, "funding.csv")
    seen: dict[str, set[str]] = {name: set() for name in nested}
    for path in (directory / "services").glob("*.json"):
        record = json.loads(path.read_text("utf-8"))
        assert _non_empty(services[record["id"]]) == _scalars(record)
        for name, rows in nested.items():
            for item in record[name]:
                assert _non_empty(rows[item["id"]]) == _scalars(item)
                seen[name].add(item["id"])
    for name, rows in nested.items():
        assert seen[name] == set(rows), name
    assert seen["languages"]
    assert seen["service_areas"]  # the CPAS programmes serve their municipality
    funders = set()
    for path in (directory / "organizations").glob("*.json"):
        record = json.loads(path.read_text("utf-8"))
        assert _non_empty(organizations[record["id"]]) == _scalars(record)
        for item in record["funding"]:
            assert _non_empty(funding[item["id"]]) == _scalars(item)
            funders.add(item["id"])
    assert funders == set(funding)
    assert funders  # BAPA BXL and VIA are funded by the COCOF


def test_a_second_export_changes_nothing(exported: tuple[Path, ExportReport]) -> None:
    directory, first = exported
    assert first.written
    before = {path: path.read_bytes() for path in directory.rglob("*") if path.is_file()}
    second = export_hsds(directory)
    assert second.written == []
    assert second.removed == []
    assert second.unchanged == len(first.written)
    assert {path: path.read_bytes() for path in directory.rglob("*") if path.is_file()} == before


def test_an_export_removes_records_no_longer_published_and_nothing_else(
    exported: tuple[Path, ExportReport],
) -> None:
    directory, _first = exported
    retired = stable_uuid("programme", "tandem-internship")
    Programme.objects.filter(uuid=retired).update(in_knowledge=False)
    notes = directory / "services" / "README.txt"
    notes.write_text("kept", encoding="utf-8")
    report = export_hsds(directory)
    assert report.removed == [directory / "services" / f"{retired}.json"]
    assert not (directory / "services" / f"{retired}.json").exists()
    assert notes.read_text(encoding="utf-8") == "kept"
    assert directory / "services.csv" in report.written
    assert str(retired) not in (directory / "services.csv").read_text("utf-8")


def test_export_in_french(loaded_directory: LoadReport, tmp_path: Path) -> None:
    export_hsds(tmp_path, "fr")
    duo = stable_uuid("programme", "duo-for-a-job-mentoring")
    record = json.loads((tmp_path / "services" / f"{duo}.json").read_text("utf-8"))
    assert record["name"] == "Mentorat Duo for a Job"
    assert {term["language"] for term in (a["taxonomy_term"] for a in record["attributes"])} == {
        "fr"
    }


def test_an_unknown_language_is_refused(loaded_directory: LoadReport, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="language: 'de' is not one of fr, nl, en, ar"):
        export_hsds(tmp_path / "de", "de")
    assert not (tmp_path / "de").exists()
