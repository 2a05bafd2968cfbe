"""The one way to write the audit log."""

from __future__ import annotations

from typing import Any, Protocol

from passerelle.web.apps.audit.models import Action, AuditEntry


class Acting(Protocol):
    """Who acts, as `common.actors.Actor` says it: a user (None for an API token), its label
    and the organisation it acts for."""

    @property
    def user(self) -> Any: ...

    @property
    def label(self) -> str: ...

    @property
    def organisation(self) -> Any: ...


def audit_record(
    *,
    action: str,
    acting: Acting | None = None,
    actor: Any = None,
    actor_label: str = "",
    organisation: Any = None,
    object_kind: str = "",
    object_id: object = "",
    subject_organisation: Any = None,
    detail: dict[str, Any] | None = None,
    flagged: bool = False,
) -> AuditEntry:
    """Append one entry. `detail` must hold identifiers and codes only, never personal data.
    `acting` (an `Actor`) gives the user, its label and the organisation at once."""
    if acting is not None:
        actor, actor_label, organisation = acting.user, acting.label, acting.organisation
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


def audit_integration_change(
    organisation: Any,
    by: Any,
    object_kind: str,
    object_id: object,
    *,
    actor_label: str = "",
    **detail: Any,
) -> AuditEntry:
    """An organisation's API token or webhook (`object_kind`) issued, registered, revoked,
    paused or resumed (`detail["change"]`) by `by`, a user (None: the CLI or the system,
    named by `actor_label` when given)."""
    return audit_record(
        action=Action.INTEGRATION_CHANGE,
        actor=by,
        actor_label=actor_label,
        organisation=organisation,
        object_kind=object_kind,
        object_id=object_id,
        detail=detail,
    )
