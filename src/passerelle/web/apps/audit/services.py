"""The one way to write the audit log."""

from __future__ import annotations

from typing import Any

from passerelle.web.apps.audit.models import AuditEntry


def audit_record(
    *,
    action: str,
    actor: Any = None,
    actor_label: str = "",
    organisation: Any = None,
    object_kind: str = "",
    object_id: object = "",
    subject_organisation: Any = None,
    detail: dict[str, Any] | None = None,
    flagged: bool = False,
) -> AuditEntry:
    """Append one entry. `detail` must hold identifiers and codes only, never personal data."""
    if actor is not None and getattr(actor, "is_authenticated", False) and not actor_label:
        actor_label = actor.get_username()
    entry = AuditEntry(
        action=action,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        actor_label=actor_label,
        organisation=organisation,
        object_kind=object_kind,
        object_id=str(object_id) if object_id else "",
        subject_organisation=subject_organisation,
        detail=detail or {},
        flagged=flagged,
    )
    entry.save(force_insert=True)
    return entry
