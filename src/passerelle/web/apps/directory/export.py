"""`passerelle export-hsds DIR`: the directory as HSDS 3.0 files, the same records the API
returns, in one language.

    DIR/services/<uuid>.json          GET /api/hsds/services/<uuid>
    DIR/organizations/<uuid>.json     GET /api/hsds/organizations/<uuid>
    DIR/taxonomies/<uuid>.json        GET /api/hsds/taxonomies/<uuid>
    DIR/taxonomy_terms/<uuid>.json    GET /api/hsds/taxonomy_terms/<uuid>
    DIR/*.csv + DIR/datapackage.json  the HSDS tabular data package (one CSV per table)

The tables and their columns are HSDS 3.0's, derived from its JSON schemas the way Open
Referral derives its tabular `datapackage.json` (hsds_schema_tools, schemas-to-datapackage):
every scalar property is a column, in schema order. Only the tables we fill are written;
foreign keys to tables we do not write (program, location, phone) are left out.

An export is idempotent: a file whose content did not change is not rewritten, files are
replaced atomically, and JSON records of services or organizations no longer published are
removed (nothing else in DIR is touched).
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from passerelle.web.apps.directory import hsds


@dataclass(frozen=True)
class Column:
    name: str
    type: str = "string"
    format: str | None = None
    required: bool = False
    unique: bool = False
    enum: tuple[str, ...] = ()

    def descriptor(self) -> dict[str, Any]:
        constraints: dict[str, Any] = {"required": self.required, "unique": self.unique}
        if self.enum:
            constraints["enum"] = list(self.enum)
        result: dict[str, Any] = {"name": self.name, "type": self.type}
        if self.format is not None:
            result["format"] = self.format
        result["constraints"] = constraints
        return result


def _id() -> Column:
    return Column("id", format="uuid", required=True, unique=True)


def _ref(name: str, *, required: bool = False) -> Column:
    return Column(name, format="uuid", required=required)


@dataclass(frozen=True)
class Table:
    name: str
    path: str
    columns: tuple[Column, ...]
    foreign_keys: tuple[tuple[str, str], ...] = ()
    """(column, referenced table): the column references the table's `id`."""

    def descriptor(self) -> dict[str, Any]:
        schema: dict[str, Any] = {
            "primaryKey": "id",
            "fields": [column.descriptor() for column in self.columns],
        }
        if self.foreign_keys:
            schema["foreignKeys"] = [
                {"fields": column, "reference": {"resource": table, "fields": "id"}}
                for column, table in self.foreign_keys
            ]
        return {
            "name": self.name,
            "path": self.path,
            "format": "csv",
            "mediatype": "text/csv",
            "encoding": "utf-8",
            "profile": "tabular-data-resource",
            "schema": schema,
        }

    @property
    def header(self) -> list[str]:
        return [column.name for column in self.columns]


TABLES: tuple[Table, ...] = (
    Table(
        "organization",
        "organizations.csv",
        (
            _id(),
            Column("name", required=True),
            Column("alternate_name"),
            Column("description", required=True),
            Column("email", format="email"),
            Column("website", format="uri"),
            Column("tax_status"),
            Column("tax_id"),
            Column("year_incorporated", type="number"),
            Column("legal_status"),
            Column("logo"),
            Column("uri", format="uri"),
            _ref("parent_organization_id"),
        ),
    ),
    Table(
        "service",
        "services.csv",
        (
            _id(),
            _ref("organization_id", required=True),
            _ref("program_id"),
            Column("name", required=True),
            Column("alternate_name"),
            Column("description"),
            Column("url", format="uri"),
            Column("email", format="email"),
            Column(
                "status",
                required=True,
                enum=("active", "inactive", "defunct", "temporarily closed"),
            ),
            Column("interpretation_services"),
            Column("application_process"),
            Column("fees_description"),
            Column("wait_time"),
            Column("fees"),
            Column("accreditations"),
            Column("eligibility_description"),
            Column("minimum_age", type="number"),
            Column("maximum_age", type="number"),
            Column("assured_date", type="date"),
            Column("assurer_email", format="email"),
            Column("licenses"),
            Column("alert"),
            Column("last_modified", type="datetime"),
        ),
        (("organization_id", "organization"),),
    ),
    Table(
        "attribute",
        "attributes.csv",
        (
            _id(),
            _ref("link_id", required=True),
            _ref("taxonomy_term_id", required=True),
            Column("link_type"),
            Column("link_entity", required=True),
            Column("value"),
        ),
        (("taxonomy_term_id", "taxonomy_term"),),
    ),
    Table(
        "funding",
        "funding.csv",
        (_id(), _ref("organization_id"), _ref("service_id"), Column("source")),
        (("organization_id", "organization"), ("service_id", "service")),
    ),
    Table(
        "service_area",
        "service_areas.csv",
        (
            _id(),
            _ref("service_id"),
            Column("name"),
            Column("description"),
            Column("extent"),
            Column("extent_type"),
            Column("uri"),
        ),
        (("service_id", "service"),),
    ),
    Table(
        "language",
        "languages.csv",
        (
            _id(),
            _ref("service_id"),
            _ref("location_id"),
            _ref("phone_id"),
            Column("name"),
            Column("code"),
            Column("note"),
        ),
        (("service_id", "service"),),
    ),
    Table(
        "taxonomy_term",
        "taxonomy_terms.csv",
        (
            _id(),
            Column("code", unique=True),
            Column("name", required=True),
            Column("description", required=True),
            _ref("parent_id"),
            Column("taxonomy"),
            Column("language"),
            _ref("taxonomy_id"),
            Column("term_uri", format="uri"),
        ),
        (("taxonomy_id", "taxonomy"),),
    ),
    Table(
        "taxonomy",
        "taxonomies.csv",
        (
            _id(),
            Column("name", required=True),
            Column("description", required=True),
            Column("uri", format="uri"),
            Column("version"),
        ),
    ),
)
"""The HSDS 3.0 tables we write, in the order of HSDS's data package."""

JSON_DIRECTORIES = ("services", "organizations", "taxonomies", "taxonomy_terms")


@dataclass
class ExportReport:
    directory: Path
    language: str
    records: dict[str, int] = field(default_factory=dict)
    """JSON records per directory (services, organizations, taxonomies, taxonomy_terms)."""
    rows: dict[str, int] = field(default_factory=dict)
    """CSV rows per file (services.csv ...)."""
    written: list[Path] = field(default_factory=list)
    """Files created or changed by this export."""
    unchanged: int = 0
    removed: list[Path] = field(default_factory=list)
    """JSON records of an earlier export that are no longer published."""


def record_json(record: BaseModel) -> str:
    """A record as the API sends it (fields without a value left out), indented."""
    data = record.model_dump(mode="json", exclude_none=True)
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def datapackage() -> dict[str, Any]:
    return {
        "name": "passerelle-directory-hsds",
        "title": "passerelle directory as Open Referral HSDS 3.0",
        "description": (
            "Organisations and programmes helping newcomers into work in Brussels, in the "
            "tabular format of the Human Services Data Specification (HSDS) 3.0."
        ),
        "profile": "tabular-data-package",
        "resources": [table.descriptor() for table in TABLES],
    }


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _csv(table: Table, rows: Iterable[Mapping[str, Any]]) -> tuple[str, int]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(table.header)
    count = 0
    for row in rows:
        writer.writerow([_cell(row.get(name)) for name in table.header])
        count += 1
    return buffer.getvalue(), count


def _flat(record: BaseModel) -> dict[str, Any]:
    """The one-to-one fields of a record (nested objects and arrays dropped)."""
    return {
        name: value
        for name, value in record.model_dump(mode="json", exclude_none=True).items()
        if not isinstance(value, dict | list)
    }


def tabular_rows(
    services: Sequence[hsds.Service],
    organizations: Sequence[hsds.Organization],
    taxonomies: Sequence[hsds.Taxonomy],
    terms: Sequence[hsds.TaxonomyTerm],
) -> dict[str, list[dict[str, Any]]]:
    """Rows of each table (by table name) from fully nested records."""
    rows: dict[str, list[dict[str, Any]]] = {table.name: [] for table in TABLES}
    rows["organization"] = [_flat(organization) for organization in organizations]
    rows["funding"] = [_flat(item) for org in organizations for item in org.funding or []]
    for service in services:
        rows["service"].append(_flat(service))
        rows["attribute"].extend(_flat(item) for item in service.attributes or [])
        rows["service_area"].extend(_flat(item) for item in service.service_areas or [])
        rows["language"].extend(_flat(item) for item in service.languages or [])
    rows["taxonomy"] = [_flat(taxonomy) for taxonomy in taxonomies]
    rows["taxonomy_term"] = [_flat(term) for term in terms]
    return rows


def _write(path: Path, content: str, report: ExportReport) -> None:
    """Write `content` atomically, unless the file already holds it."""
    data = content.encode("utf-8")
    if path.is_file() and path.read_bytes() == data:
        report.unchanged += 1
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    report.written.append(path)


def _write_records(
    directory: Path, name: str, records: Sequence[BaseModel], report: ExportReport
) -> None:
    folder = directory / name
    folder.mkdir(parents=True, exist_ok=True)
    keep: set[str] = set()
    for record in records:
        record_id = getattr(record, "id", None)
        if not isinstance(record_id, uuid.UUID):
            raise TypeError(f"record_id: expected uuid.UUID, got {type(record_id).__name__}")
        filename = f"{record_id}.json"
        keep.add(filename)
        _write(folder / filename, record_json(record), report)
    for stale in sorted(folder.glob("*.json")):
        if stale.name not in keep and _is_uuid(stale.stem):
            stale.unlink()
            report.removed.append(stale)
    report.records[name] = len(records)


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


def export_hsds(directory: Path, language: str = hsds.DEFAULT_LANGUAGE) -> ExportReport:
    """Write the published directory to `directory` (created if missing) in `language`
    (fr, nl, en or ar; texts missing in it are in English). See the module docstring."""
    builder = hsds.RecordBuilder(language)  # raises ValueError naming `language`
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    report = ExportReport(directory=directory, language=language)

    programmes = list(hsds.services_matching(hsds.ServiceFilters()))
    organisations = list(hsds.organizations_matching(hsds.OrganizationFilters()))
    services = builder.services(programmes, full=True)
    by_organisation = hsds.services_of(organisations)
    organizations = [
        builder.organization(organisation, full=True, services=by_organisation[organisation.pk])
        for organisation in organisations
    ]
    taxonomies = builder.taxonomies()
    terms = builder.terms()

    _write_records(directory, "services", services, report)
    _write_records(directory, "organizations", organizations, report)
    _write_records(directory, "taxonomies", taxonomies, report)
    _write_records(directory, "taxonomy_terms", terms, report)

    rows = tabular_rows(services, organizations, taxonomies, terms)
    for table in TABLES:
        content, count = _csv(table, rows[table.name])
        _write(directory / table.path, content, report)
        report.rows[table.path] = count
    _write(
        directory / "datapackage.json",
        json.dumps(datapackage(), ensure_ascii=False, indent=2) + "\n",
        report,
    )
    return report
