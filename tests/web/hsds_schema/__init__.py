"""The official HSDS 3.0 schemas (copied here, see README.md) as validators for the tests."""

from __future__ import annotations

import datetime as dt
import functools
import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

SCHEMA_DIR = Path(__file__).resolve().parent
OBJECT_SCHEMAS = tuple(
    sorted(path.name for path in SCHEMA_DIR.glob("*.json") if path.name != "openapi.json")
)


def _load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((SCHEMA_DIR / name).read_text(encoding="utf-8"))
    return data


@functools.cache
def registry() -> Registry:
    """Every schema under its file name, the way they `$ref` each other."""
    resources = [
        (name, Resource.from_contents(_load(name), default_specification=DRAFT202012))
        for name in OBJECT_SCHEMAS
    ]
    return Registry().with_resources(resources)


def format_checker() -> FormatChecker:
    """jsonschema's checks (uuid, email, date...) plus date-time and uri, which it only
    checks with optional packages."""
    checker = FormatChecker()

    @checker.checks("date-time", raises=ValueError)
    def _date_time(instance: object) -> bool:
        if not isinstance(instance, str):
            return True
        moment = dt.datetime.fromisoformat(instance.replace("Z", "+00:00"))
        return "T" in instance and moment.tzinfo is not None

    @checker.checks("uri")
    def _uri(instance: object) -> bool:
        if not isinstance(instance, str):
            return True
        parts = urlsplit(instance)
        return bool(parts.scheme in ("http", "https") and parts.netloc)

    return checker


@functools.cache
def validator(name: str) -> Draft202012Validator:
    """A validator for one HSDS object, e.g. validator("service.json")."""
    return Draft202012Validator(_load(name), registry=registry(), format_checker=format_checker())


def page_validator() -> Draft202012Validator:
    page = _load("openapi.json")["components"]["schemas"]["Page"]
    return Draft202012Validator(page, format_checker=format_checker())


def page_fields() -> set[str]:
    return set(_load("openapi.json")["components"]["schemas"]["Page"]["properties"])


def errors_of(name: str, record: object) -> list[str]:
    """Every problem of a record, as "path: message" (empty when valid)."""
    return [
        f"{'/'.join(str(part) for part in error.absolute_path) or '(record)'}: {error.message}"
        for error in validator(name).iter_errors(record)
    ]


def tabular_resources() -> dict[str, dict[str, Any]]:
    """HSDS 3.0's tabular data package, derived from the schemas as Open Referral does
    (hsds_schema_tools, schemas-to-datapackage), by resource name: the columns are the
    properties that have `constraints` (the scalar ones), required when listed in
    `required` or `tabular_required`; a `datapackage_type` replaces the type and drops
    the format; an `enum` goes into the constraints. Foreign keys: a property that is an
    object of another table gives `<table>_id`; an array of another table's objects
    (except attributes and metadata) gives that table a `<this table>_id`."""
    schemas = {name: _load(name) for name in OBJECT_SCHEMAS}
    links: set[tuple[str, str]] = set()  # (table with the column, referenced table)
    for schema in schemas.values():
        for prop in schema["properties"].values():
            item_ref = prop.get("items", {}).get("$ref")
            if item_ref and item_ref not in ("attribute.json", "metadata.json"):
                links.add((item_ref.removesuffix(".json"), schema["name"]))
            if "$ref" in prop:
                links.add((schema["name"], prop["$ref"].removesuffix(".json")))
    resources: dict[str, dict[str, Any]] = {}
    for schema in sorted(schemas.values(), key=lambda s: s["datapackage_metadata"]["order"]):
        required = set(schema.get("required", [])) | set(schema.get("tabular_required", []))
        fields = []
        for name, prop in schema["properties"].items():
            if "constraints" not in prop:
                continue
            constraints: dict[str, Any] = {
                "required": name in required,
                "unique": prop["constraints"]["unique"],
            }
            if "enum" in prop:
                constraints["enum"] = prop["enum"]
            field: dict[str, Any] = {"name": prop["name"]}
            if "datapackage_type" in prop:
                field["type"] = prop["datapackage_type"]
            else:
                field["type"] = prop["type"]
                if "format" in prop:
                    field["format"] = prop["format"]
            field["constraints"] = constraints
            fields.append(field)
        metadata = schema["datapackage_metadata"]
        resources[schema["name"]] = {
            "name": schema["name"],
            "path": schema["path"],
            "format": metadata["format"],
            "mediatype": metadata["mediatype"],
            "profile": metadata["profile"],
            "fields": fields,
            "foreign_keys": {
                (f"{referenced}_id", referenced)
                for table, referenced in links
                if table == schema["name"]
            },
        }
    return resources
