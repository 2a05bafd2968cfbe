"""Writes to the directory. `knowledge_load` is the only way knowledge reaches the database.

A load is idempotent: a record whose YAML did not change is not touched (its digest is the
same), a changed record is updated, a record gone from the YAML is marked
`in_knowledge=False` but kept, and records entered by organisations (origin "user") are
never modified or deleted by a load.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from pydantic import BaseModel

from passerelle.knowledge.loader import Knowledge
from passerelle.knowledge.model import Organisation as OrganisationRecord
from passerelle.knowledge.model import Partnership as PartnershipRecord
from passerelle.knowledge.model import Programme as ProgrammeRecord
from passerelle.web.apps.directory.models import (
    DirectoryRecord,
    Event,
    Organisation,
    Origin,
    Partnership,
    Programme,
    stable_uuid,
)
from passerelle.web.apps.directory.page_cache import directory_changed, public_pages_render_later
from passerelle.web.apps.directory.search import search_text


@dataclass
class LoadReport:
    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    unchanged: dict[str, int] = field(default_factory=dict)
    retired: dict[str, int] = field(default_factory=dict)
    kept_user_records: list[str] = field(default_factory=list)

    def count(self, bucket: dict[str, int], kind: str) -> None:
        bucket[kind] = bucket.get(kind, 0) + 1

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.retired)


def _digest(fields: dict[str, Any]) -> str:
    """The digest of the row a load would write (related records by slug), so that a
    change in the YAML, in a related record or in this mapping all update the row."""
    text = json.dumps(fields, sort_keys=True, default=lambda value: getattr(value, "slug", None))
    return hashlib.sha256(text.encode()).hexdigest()


def _dump(value: BaseModel | None) -> Any:
    return None if value is None else value.model_dump(mode="json", exclude_none=True)


def _upsert(
    model: type[DirectoryRecord],
    kind: str,
    slug: str,
    fields: dict[str, Any],
    report: LoadReport,
    related: dict[str, Any] | None = None,
) -> DirectoryRecord | None:
    """Create or update one knowledge record; None when a user record holds the slug.
    `related` (many-to-many links) counts in the digest but is set by the caller."""
    digest = _digest({**fields, **(related or {})})
    existing = model.objects.filter(slug=slug).first()  # type: ignore[attr-defined]
    if existing is not None and existing.origin == Origin.USER:
        report.kept_user_records.append(f"{kind} {slug}")
        return None
    if existing is None:
        record = model.objects.create(  # type: ignore[attr-defined]
            slug=slug,
            uuid=stable_uuid(kind, slug),
            origin=Origin.KNOWLEDGE,
            in_knowledge=True,
            knowledge_digest=digest,
            **fields,
        )
        report.count(report.created, kind)
        return record  # type: ignore[no-any-return]
    if existing.knowledge_digest == digest and existing.in_knowledge:
        report.count(report.unchanged, kind)
        return existing  # type: ignore[no-any-return]
    for name, value in fields.items():
        setattr(existing, name, value)
    existing.knowledge_digest = digest
    existing.in_knowledge = True
    existing.save()
    report.count(report.updated, kind)
    return existing  # type: ignore[no-any-return]


def _organisation_fields(record: OrganisationRecord) -> dict[str, Any]:
    return {
        "names": _dump(record.names),
        "kind": record.kind,
        "languages": list(record.languages),
        "funders": list(record.funders),
        "founders": list(record.founders),
        "mandate": _dump(record.mandate),
        "target_groups": list(record.target_groups),
        "municipality": record.municipality or "",
        "website": record.website or "",
        "status_history": [_dump(period) for period in record.status_history],
        "sources": [_dump(citation) for citation in record.sources],
        "search_text": search_text(_dump(record.names), _dump(record.mandate), record.id),
    }


def _programme_fields(
    versions: tuple[ProgrammeRecord, ...], organisation: Organisation
) -> dict[str, Any]:
    record = versions[-1]
    raw = record.model_dump(mode="json", exclude_none=True)
    return {
        "organisation": organisation,
        "names": _dump(record.names),
        "categories": list(record.categories),
        "categories_index": " " + " ".join(record.categories) + " ",
        "description": _dump(record.description),
        "target_groups": list(record.target_groups),
        "target_groups_index": " " + " ".join(record.target_groups) + " ",
        "languages": list(record.languages),
        "languages_index": " " + " ".join(record.languages) + " ",
        "municipality": organisation.municipality,
        "modules": [_dump(module) for module in record.modules],
        "capacity": _dump(record.capacity),
        "duration": _dump(record.duration),
        "cost": _dump(record.cost),
        "how_to_apply": _dump(record.how_to_apply),
        "valid_from": versions[0].valid_from.first_day if versions[0].valid_from else None,
        "valid_from_text": str(versions[0].valid_from or ""),
        "valid_to": record.valid_to.first_day if record.valid_to else None,
        "valid_to_text": str(record.valid_to or ""),
        "eligibility": raw.get("eligibility"),
        "eligibility_note": _dump(record.eligibility_note),
        "sources": [_dump(citation) for citation in record.sources],
        "search_text": search_text(
            _dump(record.names),
            _dump(record.description),
            organisation.names,
            record.categories,
            record.id,
        ),
    }


@transaction.atomic
def knowledge_load(*, knowledge: Knowledge) -> LoadReport:
    """Bring the directory in line with the knowledge base (see the module docstring)."""
    report = LoadReport()
    organisations: dict[str, Organisation] = {}
    for slug, record in knowledge.organisations.items():
        row = _upsert(Organisation, "organisation", slug, _organisation_fields(record), report)
        if isinstance(row, Organisation):
            organisations[slug] = row
    programmes: dict[str, Programme] = {}
    for slug, versions in knowledge.programmes.items():
        owner = organisations.get(versions[-1].organisation)
        if owner is None:
            report.kept_user_records.append(
                f"programme {slug} (its organisation {versions[-1].organisation} is entered "
                "by an organisation)"
            )
            continue
        row = _upsert(Programme, "programme", slug, _programme_fields(versions, owner), report)
        if isinstance(row, Programme):
            programmes[slug] = row
    for partnership in knowledge.partnerships.values():
        _load_partnership(partnership, organisations, programmes, report)
    event_ids = {
        event.id for partnership in knowledge.partnerships.values() for event in partnership.events
    }
    for model, kind, current in (
        (Organisation, "organisation", set(knowledge.organisations)),
        (Programme, "programme", set(knowledge.programmes)),
        (Partnership, "partnership", set(knowledge.partnerships)),
        (Event, "event", event_ids),
    ):
        stale = model.objects.filter(origin=Origin.KNOWLEDGE, in_knowledge=True).exclude(
            slug__in=current
        )
        retired = stale.update(in_knowledge=False)
        if retired:
            report.retired[kind] = retired
    # The queryset updates above send no signal: the public pages learn of them here.
    directory_changed()
    public_pages_render_later()
    return report


def _load_partnership(
    record: PartnershipRecord,
    organisations: dict[str, Organisation],
    programmes: dict[str, Programme],
    report: LoadReport,
) -> None:
    fields = {
        "names": _dump(record.names),
        "formal": record.formal,
        "purpose": _dump(record.purpose),
        "routing_basis": list(record.routing_basis),
        "valid_from_text": str(record.valid_from or ""),
        "valid_to_text": str(record.valid_to or ""),
        "sources": [_dump(citation) for citation in record.sources],
        "search_text": search_text(_dump(record.names), _dump(record.purpose)),
    }
    members = [organisations[m] for m in record.members if m in organisations]
    linked = [programmes[p] for p in record.programmes if p in programmes]
    row = _upsert(
        Partnership,
        "partnership",
        record.id,
        fields,
        report,
        related={"members": members, "programmes": linked},
    )
    if not isinstance(row, Partnership):
        return
    # `set` writes only the links that differ: a second load changes nothing.
    row.members.set(members)
    row.programmes.set(linked)
    for event in record.events:
        organiser = organisations.get(event.organiser)
        if organiser is None:
            report.kept_user_records.append(
                f"event {event.id} (its organiser {event.organiser} is entered by an organisation)"
            )
            continue
        _upsert(
            Event,
            "event",
            event.id,
            {
                "partnership": row,
                "names": _dump(event.names),
                "organiser": organiser,
                "venue": organisations.get(event.venue or ""),
                "recurrence": event.recurrence,
                "schedule": _dump(event.schedule),
                "sources": [_dump(citation) for citation in event.sources],
                "search_text": search_text(_dump(event.names)),
            },
            report,
        )
