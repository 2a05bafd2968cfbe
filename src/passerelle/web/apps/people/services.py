"""Writes to person files: each one transactional, checked against `access`, versioned and
written to the audit log. Named `<entity>_<action>` with keyword-only arguments."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.dispatch import Signal
from django.utils import timezone

from passerelle.web.apps.accounts.models import EMPLOYER_KINDS
from passerelle.web.apps.audit.models import Action
from passerelle.web.apps.audit.services import audit_record
from passerelle.web.apps.people.access import (
    ALL_FIELDS,
    PersonAccess,
    audit_person,
    closed_files_before,
    consent_for,
    consents_for,
    disclosures_for,
    person_for,
    versions_for,
    visible_data,
)
from passerelle.web.apps.people.models import (
    Consent,
    ConsentPurpose,
    Disclosure,
    FileStatus,
    Person,
    PersonVersion,
)
from passerelle.web.apps.people.schemas import PersonDataError, person_data_from
from passerelle.web.common.actors import Actor, OperationDeniedError
from passerelle.web.common.versions import StaleVersionError, changed_fields

ANONYMISED = "—"

person_erased = Signal()
"""Sent with `person` (already anonymised) inside the erasing transaction, by erasure and
by the retention purge. Every app that copies something of a person (referral notes and
eligibility texts, matching explanations, linkage encodings) connects a receiver in its
`AppConfig.ready` that clears its copy, so that an erasure leaves nothing behind and a
failing receiver rolls the whole erasure back. tests/web/security/test_erasure.py scans
every text and JSON column of every model for what was erased."""


def forget_on_erasure(forget: Callable[..., object], *, uid: str) -> None:
    """Connect an app's service that clears its copy of a person (`forget(person=...)`) to
    `person_erased`, once (`uid`); called from the app's `AppConfig.ready`."""

    def receiver(sender: Any, *, person: Any, **kwargs: Any) -> None:
        forget(person=person)

    person_erased.connect(receiver, dispatch_uid=uid, weak=False)


person_export_sections: dict[str, Callable[[PersonAccess], Any]] = {}
"""What other apps hold about a file, in its export (GDPR art. 15 and 20), by key: each app
above people that keeps something of a person (follow-ups, participations) adds a function
of the file's access in its `AppConfig.ready`."""

consent_withdrawn = Signal()
"""Sent with `consent` (now withdrawn) and `actor` inside the withdrawing transaction. The
follow-ups app cancels the open follow-ups of a withdrawn `follow_up` consent."""


class ConcurrentEditError(StaleVersionError):
    """The file changed since the editor loaded it."""

    record = "file"


class ConsentRequiredError(PermissionError):
    """A disclosure that no active consent covers and no override justifies."""


def _columns(data: dict[str, Any]) -> dict[str, Any]:
    identity, profile, assessment = person_data_from(data)
    return {
        **identity.model_dump(),
        "profile": profile.model_dump(mode="json", exclude_none=True, exclude={"birth_date"}),
        "assessment": assessment.model_dump(mode="json", exclude_defaults=True),
    }


def _snapshot(person: Person) -> dict[str, Any]:
    return {
        name: (value.isoformat() if isinstance(value, dt.date) else value)
        for group in visible_data(person, ALL_FIELDS).values()
        for name, value in group.items()
    }


@transaction.atomic
def person_create(*, actor: Actor, data: dict[str, Any]) -> Person:
    if not actor.allowed("edit", "own"):
        raise OperationDeniedError("edit")
    person = Person(organisation=actor.organisation, **_columns(data))
    person.save()
    PersonVersion.objects.create(
        person=person,
        number=1,
        changed_by=actor.user,
        changed_by_label=actor.label,
        changes={name: [None, value] for name, value in _snapshot(person).items() if value},
    )
    audit_person(Action.PERSON_CREATE, actor, person)
    return person


@transaction.atomic
def person_update(
    *, actor: Actor, person_id: object, data: dict[str, Any], expected_version: int
) -> Person:
    """Replace the file's data with `data` if nobody changed it since `expected_version`.

    The row is locked for the transaction, so two editors cannot both pass the check."""
    columns = _columns(data)  # validate before taking the lock
    person = person_for(actor, person_id, "edit", for_update=True).person
    if person.version != expected_version:
        raise ConcurrentEditError(person.version)
    before = _snapshot(person)
    for name, value in columns.items():
        setattr(person, name, value)
    changes = changed_fields(before, _snapshot(person))
    if not changes:
        return person
    person.version += 1
    person.save()
    PersonVersion.objects.create(
        person=person,
        number=person.version,
        changed_by=actor.user,
        changed_by_label=actor.label,
        changes=changes,
    )
    audit_person(Action.PERSON_EDIT, actor, person, detail={"fields": sorted(changes)})
    return person


def person_close(*, actor: Actor, person_id: object, on: dt.date) -> Person:
    with transaction.atomic():
        person = person_for(actor, person_id, "edit", for_update=True).person
        person.status, person.closed_on = FileStatus.CLOSED, on
        person.version += 1
        person.save(update_fields=["status", "closed_on", "version", "updated_at"])
        audit_person(Action.PERSON_EDIT, actor, person, detail={"fields": ["status"]})
    return person


def validate_field_groups(fields: list[str]) -> list[str]:
    """The field groups sorted, or PersonDataError naming the unknown ones."""
    unknown = sorted(set(fields) - ALL_FIELDS)
    if unknown or not fields:
        raise PersonDataError(
            {"fields": f"got {unknown or 'nothing'}; allowed: {', '.join(sorted(ALL_FIELDS))}"}
        )
    return sorted(set(fields))


def refuse_employer_recipient(recipient: Any) -> None:
    """Employers and host organisations never receive a person file (POLICY: their role
    sees none): PersonDataError naming the recipient."""
    if recipient.kind in EMPLOYER_KINDS:
        raise PersonDataError(
            {
                "recipient": f"{recipient.slug} is an employer or host organisation "
                f"({recipient.kind}); person files go to organisations that support people"
            }
        )


@transaction.atomic
def consent_record(
    *,
    actor: Actor,
    person_id: object,
    purpose: str,
    fields: list[str],
    given_on: dt.date,
    recipient: Any = None,
) -> Consent:
    access = person_for(actor, person_id, "consent")
    if purpose not in ConsentPurpose.values:
        raise PersonDataError(
            {"purpose": f"got {purpose!r}; allowed: {', '.join(ConsentPurpose.values)}"}
        )
    if (purpose == ConsentPurpose.REFERRAL) != (recipient is not None):
        raise PersonDataError(
            {"recipient": "a referral consent names the receiving organisation; others do not"}
        )
    if recipient is not None and recipient.pk == access.person.organisation_id:
        raise PersonDataError({"recipient": "the organisation already holds this file"})
    if recipient is not None:
        refuse_employer_recipient(recipient)
    consent = Consent.objects.create(
        person=access.person,
        purpose=purpose,
        recipient=recipient,
        fields=validate_field_groups(fields),
        given_on=given_on,
        recorded_by=actor.user,
    )
    audit_person(
        Action.CONSENT_RECORD,
        actor,
        access.person,
        detail={"consent": str(consent.pk), "purpose": purpose, "fields": consent.fields},
    )
    return consent


@transaction.atomic
def consent_withdraw(
    *, actor: Actor, person_id: object, consent_id: object, on: dt.date
) -> Consent:
    """Withdraw a consent; disclosures made under it end at once."""
    access = person_for(actor, person_id, "consent")
    consent = Consent.objects.select_for_update().get(pk=consent_for(access, consent_id).pk)
    if consent.withdrawn_on is not None:
        raise PersonDataError({"consent": f"already withdrawn on {consent.withdrawn_on}"})
    consent.withdrawn_on, consent.withdrawn_by = on, actor.user
    consent.save(update_fields=["withdrawn_on", "withdrawn_by"])
    consent.disclosures.filter(ended_at__isnull=True).update(ended_at=timezone.now())
    audit_person(Action.CONSENT_WITHDRAW, actor, access.person, detail={"consent": str(consent.pk)})
    consent_withdrawn.send(sender=Consent, consent=consent, actor=actor)
    return consent


@transaction.atomic
def person_disclose(
    *,
    actor: Actor,
    person_id: object,
    recipient: Any,
    fields: list[str],
    override_reason: str = "",
) -> Disclosure:
    """Show `fields` of a file to `recipient`, under an active referral consent that names
    it and covers the fields, or else a coordinator's override with a written reason."""
    access = person_for(actor, person_id, "edit")
    wanted = set(validate_field_groups(fields))
    if recipient is None or recipient.pk == access.person.organisation_id:
        raise PersonDataError({"recipient": "choose another organisation than the holder"})
    refuse_employer_recipient(recipient)
    consent = next(
        (
            consent
            for consent in consents_for(access).filter(
                purpose=ConsentPurpose.REFERRAL, recipient=recipient, withdrawn_on__isnull=True
            )
            if wanted <= set(consent.fields)
        ),
        None,
    )
    override_reason = override_reason.strip()
    if consent is None:
        if not override_reason:
            raise ConsentRequiredError(
                "consent: no active consent of the person covers these fields for this "
                "organisation; record the consent, or a coordinator may override with a reason"
            )
        if not actor.allowed("override", "own"):
            raise OperationDeniedError("override")
    disclosure = Disclosure.objects.create(
        person=access.person,
        recipient=recipient,
        fields=sorted(wanted),
        consent=consent,
        override_reason=override_reason if consent is None else "",
        disclosed_by=actor.user,
    )
    audit_person(
        Action.DISCLOSURE if consent is not None else Action.CONSENT_OVERRIDE,
        actor,
        access.person,
        detail={"recipient": recipient.slug, "fields": sorted(wanted)},
        flagged=consent is None,
    )
    return disclosure


def person_export(*, actor: Actor, person_id: object) -> dict[str, Any]:
    """Everything held about a person (GDPR art. 15 and 20), as JSON-ready data."""
    access: PersonAccess = person_for(actor, person_id, "export")
    person = access.person
    return {
        "id": str(person.pk),
        "held_by": person.organisation.slug,
        "status": person.status,
        "closed_on": person.closed_on.isoformat() if person.closed_on else None,
        "created_at": person.created_at.isoformat(),
        "updated_at": person.updated_at.isoformat(),
        "version": person.version,
        **{
            name: {key: _json(value) for key, value in group.items()}
            for name, group in access.visible.items()
        },
        "consents": [
            {
                "purpose": consent.purpose,
                "recipient": consent.recipient.slug if consent.recipient else None,
                "fields": consent.fields,
                "given_on": consent.given_on.isoformat(),
                "withdrawn_on": _json(consent.withdrawn_on),
            }
            for consent in consents_for(access)
        ],
        "disclosures": [
            {
                "recipient": disclosure.recipient.slug,
                "fields": disclosure.fields,
                "under_consent": disclosure.consent_id is not None,
                "override_reason": disclosure.override_reason,
                "disclosed_at": disclosure.disclosed_at.isoformat(),
                "ended_at": _json(disclosure.ended_at),
            }
            for disclosure in disclosures_for(access)
        ],
        "history": [
            {
                "version": version.number,
                "changed_at": version.changed_at.isoformat(),
                "changed_by": version.changed_by_label,
                "fields": sorted(version.changes),
            }
            for version in versions_for(access)
        ],
        **{key: section(access) for key, section in person_export_sections.items()},
    }


def _json(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date | dt.datetime) else value


def _anonymise(person: Person) -> None:
    person.given_names = person.given_names_latin = ANONYMISED
    person.family_name = person.family_name_latin = ""
    person.birth_date = None
    person.phone = person.email = ""
    person.profile, person.assessment = {}, {}
    person.status, person.anonymised_at = FileStatus.ANONYMISED, timezone.now()
    person.version += 1
    person.save()
    person.versions.all().delete()
    person.disclosures.filter(ended_at__isnull=True).update(ended_at=timezone.now())
    # A coordinator's override reason tells why the person could not consent (health,
    # detention): personal data. The disclosure row stays for the audit of who saw what.
    person.disclosures.exclude(override_reason="").update(override_reason=ANONYMISED)
    person_erased.send(sender=Person, person=person)


@transaction.atomic
def person_erase(*, actor: Actor, person_id: object) -> None:
    """Erase a person's data (GDPR art. 17). The row stays, anonymised, so that referrals and
    statistics keep their counts; versions (which hold old values) are deleted."""
    person = person_for(actor, person_id, "erase", for_update=True).person
    _anonymise(person)
    audit_person(Action.PERSON_ERASE, actor, person)


@dataclass(frozen=True)
class PurgeReport:
    cutoff: dt.date
    due: int
    anonymised: int


def persons_purge(*, on: dt.date, retention_days: int, apply: bool) -> PurgeReport:
    """Anonymise files closed more than `retention_days` before `on` (dry run unless
    `apply`). Each file in its own transaction, so that an interruption loses nothing."""
    if retention_days < 0:
        raise PersonDataError({"retention_days": "must be 0 or more"})
    cutoff = on - dt.timedelta(days=retention_days)
    due = list(closed_files_before(cutoff).values_list("pk", flat=True))
    done = 0
    if apply:
        for person_id in due:
            with transaction.atomic():
                person = (
                    closed_files_before(cutoff).select_for_update().filter(pk=person_id).first()
                )
                if person is None:
                    continue
                _anonymise(person)
                audit_record(
                    action=Action.PERSON_PURGE,
                    actor_label="passerelle purge",
                    object_kind="person",
                    object_id=person.pk,
                    subject_organisation=person.organisation,
                    detail={"retention_days": retention_days},
                )
                done += 1
    return PurgeReport(cutoff=cutoff, due=len(due), anonymised=done)
