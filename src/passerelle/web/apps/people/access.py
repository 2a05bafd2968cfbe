"""Every read of person data passes here: who may do what with which file.

The actor, the policy table and the two refusals live in `web.common.actors`. A file
stands in one of three relations to the actor's organisation: it holds the file (`own`),
the file was disclosed to it (`disclosed`), or neither (`other`). A file in relation
`other` does not exist for the actor: every lookup answers "not found" (404), never
"forbidden", so that a guessed id reveals nothing. A visible file whose action is not
allowed answers "forbidden" (403).

The policy is one table, `common.actors.POLICY`; docs/people.md prints it and the
authorization matrix test (tests/web/people/test_authorization_matrix.py) checks every
cell through pages and API. Views and API modules may not import `people.models`
(import-linter contract).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q, QuerySet

from passerelle.web.apps.accounts.models import ORGANISATION_FIELDS
from passerelle.web.apps.audit.models import Action
from passerelle.web.apps.audit.services import audit_record
from passerelle.web.apps.directory.models import Organisation
from passerelle.web.apps.people.models import (
    Consent,
    Disclosure,
    FieldGroup,
    FileStatus,
    Person,
    PersonVersion,
)
from passerelle.web.common.actors import (
    Actor,
    OperationDeniedError,
    PersonNotFoundError,
    Relation,
)
from passerelle.web.common.ids import record_key

ALL_FIELDS: frozenset[str] = frozenset(FieldGroup.values)


@dataclass(frozen=True)
class PersonAccess:
    """A file as one actor may see it: the model for templates and API schemas goes
    through `visible`, which holds only the field groups the actor may read."""

    person: Person
    relation: Relation
    fields: frozenset[str]
    actor: Actor
    visible: dict[str, Any] = field(default_factory=dict)

    def allowed(self, operation: str) -> bool:
        return self.actor.allowed(operation, self.relation)


def _active_disclosures(organisation: Any) -> QuerySet[Disclosure]:
    return Disclosure.objects.filter(recipient=organisation, ended_at__isnull=True).filter(
        Q(consent__isnull=True) | Q(consent__withdrawn_on__isnull=True)
    )


def persons_for(actor: Actor, *, search: str = "") -> QuerySet[Person]:
    """The files the actor may list: held by or disclosed to its organisation."""
    if not (actor.allowed("list", "own") or actor.allowed("list", "disclosed")):
        raise OperationDeniedError("list")
    condition = Q(pk__in=[])
    if actor.allowed("list", "own"):
        condition |= Q(organisation=actor.organisation)
    if actor.allowed("list", "disclosed"):
        condition |= Q(pk__in=_active_disclosures(actor.organisation).values("person_id"))
    persons = Person.objects.filter(condition).exclude(status="anonymised")
    if search:
        for word in search.split():
            persons = persons.filter(
                Q(given_names_latin__icontains=word)
                | Q(family_name_latin__icontains=word)
                | Q(given_names__icontains=word)
                | Q(family_name__icontains=word)
            )
    return persons.select_related("organisation")


def names_for(actor: Actor, person_ids: Iterable[uuid.UUID]) -> dict[Any, str]:
    """The names (in Latin letters) of the files among `person_ids` whose identity the
    actor's organisation holds or was shown, for lists such as the referral inbox; a file
    whose names were not disclosed is absent. One audit entry for the list."""
    wanted = list(dict.fromkeys(person_ids))
    if actor.organisation is None or not wanted:
        return {}
    # The fields are a JSON list: read in Python (SQLite has no JSON containment lookup).
    disclosed = [
        person_id
        for person_id, fields in _active_disclosures(actor.organisation)
        .filter(person_id__in=wanted)
        .values_list("person_id", "fields")
        if FieldGroup.IDENTITY in fields
    ]
    persons = (
        Person.objects.filter(pk__in=wanted)
        .exclude(status=FileStatus.ANONYMISED)
        .filter(Q(organisation=actor.organisation) | Q(pk__in=disclosed))
        .only("pk", "given_names_latin", "family_name_latin")
    )
    names = {
        person.pk: f"{person.given_names_latin} {person.family_name_latin}".strip()
        for person in persons
    }
    if names:
        audit_person_list(actor, names_shown=len(names), list="referrals")
    return names


def _relation(actor: Actor, person: Person) -> tuple[Relation, frozenset[str]] | None:
    if actor.organisation is None:
        return None
    if person.organisation_id == actor.organisation.pk:
        return "own", ALL_FIELDS
    disclosed = _active_disclosures(actor.organisation).filter(person=person)
    fields: set[str] = set()
    for disclosure in disclosed:
        fields.update(disclosure.fields)
    if fields:
        return "disclosed", frozenset(fields) & ALL_FIELDS
    return None


PERSON_FIELDS = (
    *(field.name for field in Person._meta.concrete_fields),
    *(f"organisation__{name}" for name in ORGANISATION_FIELDS),
)


def person_for(
    actor: Actor, person_id: object, operation: str, *, for_update: bool = False
) -> PersonAccess:
    """The file `person_id` for `operation`, or PersonNotFoundError / OperationDeniedError.

    Views and exports are written to the audit log here, so that no page can forget them.
    """
    key = record_key(person_id, PersonNotFoundError)
    # The holder's id, slug and names only: its other columns are large JSON documents.
    persons = Person.objects.select_related("organisation").only(*PERSON_FIELDS)
    if for_update:
        persons = persons.select_for_update()
    person = persons.filter(pk=key).exclude(status=FileStatus.ANONYMISED).first()
    found = _relation(actor, person) if person is not None else None
    if person is None or found is None:
        raise PersonNotFoundError(str(person_id))
    relation, fields = found
    if not actor.allowed(operation, relation):
        raise OperationDeniedError(operation)
    access = PersonAccess(
        person=person,
        relation=relation,
        fields=fields,
        actor=actor,
        visible=visible_data(person, fields),
    )
    if operation in ("view", "export"):
        audit_person(
            Action.PERSON_VIEW if operation == "view" else Action.PERSON_EXPORT,
            actor,
            person,
            detail={"relation": relation, "fields": sorted(fields)},
        )
    return access


def audit_person_list(actor: Actor, **detail: Any) -> None:
    """An audit entry for a list of files shown to `actor` (a page of a list, the names in a
    referral list); `detail` holds counts and codes only."""
    audit_record(action=Action.PERSON_LIST, acting=actor, detail=detail)


def audit_person(action: str, actor: Actor, person: Person, **extra: Any) -> None:
    """An audit entry for something `actor` did to `person`'s file."""
    audit_record(
        action=action,
        acting=actor,
        object_kind="person",
        object_id=person.pk,
        subject_organisation=_holder(person),
        **extra,
    )


def _holder(person: Person) -> Organisation:
    """The organisation holding the file, for an audit entry, which stores only its id: the
    one loaded with the file, or an instance of that id alone (no query for its row)."""
    link = Person._meta.get_field("organisation")
    if link.is_cached(person):
        holder: Organisation = person.organisation
        return holder
    return Organisation(pk=person.organisation_id)


def visible_data(person: Person, fields: Iterable[str]) -> dict[str, Any]:
    """The file's data in field groups, keeping only `fields`."""
    profile = dict(person.profile or {})
    assessment = dict(person.assessment or {})
    groups: dict[str, dict[str, Any]] = {
        FieldGroup.IDENTITY: {
            "given_names": person.given_names,
            "family_name": person.family_name,
            "given_names_latin": person.given_names_latin,
            "family_name_latin": person.family_name_latin,
        },
        FieldGroup.BIRTH_DATE: {"birth_date": person.birth_date},
        FieldGroup.CONTACT: {
            "phone": person.phone,
            "email": person.email,
            "language": person.language,
        },
        FieldGroup.PROFILE: {"profile": profile},
        FieldGroup.EDUCATION: {
            "literacy": assessment.get("literacy"),
            "diplomas": assessment.get("diplomas", []),
        },
        FieldGroup.EXPERIENCE: {
            "experience": assessment.get("experience", []),
            "wished_occupations": assessment.get("wished_occupations", []),
            "wishes": assessment.get("wishes", ""),
        },
        FieldGroup.SOCIAL_NEEDS: {
            "social_needs": assessment.get("social_needs", []),
            "notes": assessment.get("notes", ""),
        },
    }
    wanted = set(fields)
    return {name: values for name, values in groups.items() if name in wanted}


def disclosed_rules_data(person: Person, fields: Iterable[str]) -> tuple[Any, dict[str, Any]]:
    """The birth date and profile the rules may read for someone shown only `fields`.

    What a receiver learns of eligibility (ages, dates an age limit is reached, rights on a
    date) is computed from the groups disclosed to it, never from the whole file and then
    scrubbed: without the birth-date group the rules see no birth date and answer "unknown:
    ask", so no age and no date derived from one can reach the receiver."""
    wanted = set(fields)
    birth_date = person.birth_date if FieldGroup.BIRTH_DATE in wanted else None
    profile = dict(person.profile or {}) if FieldGroup.PROFILE in wanted else {}
    return birth_date, profile


def consents_for(access: PersonAccess) -> QuerySet[Consent]:
    if access.relation != "own":
        return Consent.objects.none()
    return access.person.consents.select_related("recipient").all()


def disclosures_for(access: PersonAccess) -> QuerySet[Disclosure]:
    if access.relation != "own":
        return Disclosure.objects.none()
    return access.person.disclosures.select_related("recipient", "consent").all()


def versions_for(access: PersonAccess) -> QuerySet[PersonVersion]:
    if access.relation != "own":
        return PersonVersion.objects.none()
    return access.person.versions.all()


def has_active_consent(person: Person, purpose: str) -> bool:
    """Whether the person's file holds an active (not withdrawn) consent for `purpose`:
    for what the platform does on its own (follow-up checkpoints), not for an actor."""
    return Consent.objects.filter(
        person=person, purpose=purpose, withdrawn_on__isnull=True
    ).exists()


def consent_for(access: PersonAccess, consent_id: object) -> Consent:
    """A consent of a file the actor holds, or PersonNotFoundError."""
    key = record_key(consent_id, PersonNotFoundError)
    consent = consents_for(access).filter(pk=key).first()
    if consent is None:
        raise PersonNotFoundError(str(consent_id))
    return consent


def closed_files_before(cutoff: Any) -> QuerySet[Person]:
    """Closed files whose closing date is before `cutoff` (for `passerelle purge`)."""
    return Person.objects.filter(status="closed", closed_on__lt=cutoff)
