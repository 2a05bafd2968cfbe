"""Writes to follow-ups: each transactional, versioned (`FollowUpVersion`) and written to
the audit log (as a change of the person's file). Named `<entity>_<action>`, keyword-only.

Checkpoints are created when a participation ends (a referral completed: the referrals'
`referral_completed` signal; or a participation the holder records: `participation_record`)
at the months `follow_up_months` gives for the programme, only while the person's file
holds an active consent to follow-up; withdrawing that consent cancels the open ones
(people's `consent_withdrawn` signal)."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from passerelle.core.validation import InvalidFieldsError
from passerelle.web.apps.audit.models import Action
from passerelle.web.apps.audit.services import audit_record
from passerelle.web.apps.directory.selectors import programmes_visible
from passerelle.web.apps.followups.access import (
    follow_up_for,
    follow_ups_announce_due,
    follow_ups_of_file,
    follow_ups_of_person,
)
from passerelle.web.apps.followups.models import (
    CancelReason,
    FollowUp,
    FollowUpState,
    FollowUpVersion,
    Participation,
)
from passerelle.web.apps.people.access import (
    PersonAccess,
    audit_person,
    has_active_consent,
    person_for,
)
from passerelle.web.apps.people.models import ConsentPurpose
from passerelle.web.apps.referrals.services import deliveries_queue
from passerelle.web.common.actors import Actor, PersonNotFoundError
from passerelle.web.common.outcomes import MAX_HOURS_PER_WEEK, ContractType, Situation
from passerelle.web.common.versions import StaleVersionError, changed_fields

SYSTEM = "passerelle"
RECORDED_EVENT = "follow_up.recorded"
DUE_EVENT = "follow_up.due"
PARTICIPATION_EVENT = "participation.recorded"


class FollowUpDataError(InvalidFieldsError):
    """A follow-up that cannot be recorded; `errors` names each field and what is allowed."""


class FollowUpVersionError(StaleVersionError):
    """The follow-up changed since the recorder loaded it."""

    record = "follow-up"
    advice = "reload it and record again"


def follow_up_months(programme_slug: str) -> tuple[int, ...]:
    """The months after a participation's end at which its follow-ups are due: the
    programme's own list in FOLLOW_UP_MONTHS_BY_PROGRAMME, else FOLLOW_UP_MONTHS (6, 12)."""
    by_programme: dict[str, Any] = getattr(settings, "FOLLOW_UP_MONTHS_BY_PROGRAMME", {})
    months = by_programme.get(programme_slug, settings.FOLLOW_UP_MONTHS)
    return tuple(sorted({int(month) for month in months}))


def months_after(day: dt.date, months: int) -> dt.date:
    """The same day `months` later, or that month's last day when it is shorter (31 August
    plus 6 months is 28 or 29 February)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return dt.date(year, month + 1, min(day.day, last))


def _version(follow_up: FollowUp, by: Any, label: str, changes: dict[str, Any]) -> None:
    FollowUpVersion.objects.create(
        follow_up=follow_up,
        number=follow_up.version,
        changed_by=by,
        changed_by_label=label,
        changes=changes,
    )


def _json(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _audit_system(person: Any, detail: dict[str, Any]) -> None:
    audit_record(
        action=Action.PERSON_EDIT,
        actor_label=SYSTEM,
        object_kind="person",
        object_id=person.pk,
        subject_organisation=person.organisation,
        detail=detail,
    )


@transaction.atomic
def follow_ups_schedule(*, referral: Any, ended_on: dt.date) -> list[FollowUp]:
    """The follow-up checkpoints of a completed referral, on the file of the organisation
    holding it; none without the person's active consent to follow-up."""
    return _schedule(
        referral.person, referral.programme, ended_on, {"referral": referral}, str(referral.pk)
    )


def _schedule(
    person: Any, programme: Any, ended_on: dt.date, link: dict[str, Any], source: str
) -> list[FollowUp]:
    if not has_active_consent(person, ConsentPurpose.FOLLOW_UP):
        return []
    # Written in one statement each (the checkpoints, then their first versions): a
    # completion in the demo's three years of activity plans thousands of them.
    created = FollowUp.objects.bulk_create(
        FollowUp(
            person=person,
            organisation_id=person.organisation_id,
            programme_id=programme.pk,
            ended_on=ended_on,
            months=months,
            due_on=months_after(ended_on, months),
            **link,
        )
        for months in follow_up_months(programme.slug)
    )
    FollowUpVersion.objects.bulk_create(
        FollowUpVersion(
            follow_up=follow_up,
            number=follow_up.version,
            changed_by=None,
            changed_by_label=SYSTEM,
            changes={
                "state": [None, FollowUpState.OPEN],
                "due_on": [None, follow_up.due_on.isoformat()],
            },
        )
        for follow_up in created
    )
    if created:
        _audit_system(
            person,
            {
                "follow_ups": [str(f.pk) for f in created],
                "change": "scheduled",
                "after": source,
            },
        )
    return created


EXTERNAL_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/-]{0,99}$")
"""A participation's reference in the organisation's own system (`external_id`, or the API's
`Idempotency-Key` header)."""


class ParticipationConflictError(RuntimeError):
    """The `external_id` was used already for a participation that differs."""

    def __init__(self, existing: Participation, fields: list[str]) -> None:
        self.existing, self.fields = existing, fields
        super().__init__(
            f"external_id: already used for the participation {existing.pk}, whose "
            f"{', '.join(fields)} differ; use a new reference for a new participation"
        )


def participation_record(
    *,
    actor: Actor,
    person_id: object,
    programme: Any,
    started_on: dt.date,
    ended_on: dt.date,
) -> Participation:
    """Record on a file the organisation holds that the person took part in one of the
    organisation's programmes from `started_on` to `ended_on`; its follow-ups are planned as
    for a completed referral (with the consent to follow-up)."""
    participation, _created = participation_record_once(
        actor=actor,
        person_id=person_id,
        programme=programme,
        started_on=started_on,
        ended_on=ended_on,
    )
    return participation


@transaction.atomic
def participation_record_once(
    *,
    actor: Actor,
    person_id: object,
    programme: Any,
    started_on: dt.date,
    ended_on: dt.date,
    external_id: str = "",
) -> tuple[Participation, bool]:
    """`participation_record` for an organisation's system: with an `external_id`, recording
    the same participation again returns the first one (and False: nothing new), and the
    same reference for a different participation is a ParticipationConflictError. Every
    recording is audited and announced to the organisation's webhooks
    (`participation.recorded`)."""
    found = person_for(actor, person_id, "edit")
    if found.relation != "own":  # a participation goes on a file the organisation holds
        raise PersonNotFoundError(str(person_id))
    person = found.person
    _check_participation(actor, programme, started_on, ended_on, external_id)
    wanted = {
        "person_id": person.pk,
        "programme_id": programme.pk,
        "started_on": started_on,
        "ended_on": ended_on,
    }
    if external_id:
        existing = _participation_of_reference(actor, external_id, wanted)
        if existing is not None:
            return existing, False
    try:
        with transaction.atomic():  # a savepoint: the same reference sent twice at once
            participation = Participation.objects.create(
                **wanted,
                organisation=actor.organisation,
                recorded_by=actor.user,
                recorded_by_label=actor.label,
                external_id=external_id,
            )
    except IntegrityError:
        existing = _participation_of_reference(actor, external_id, wanted)
        if existing is None:
            raise
        return existing, False
    participation.programme = programme
    audit_person(
        Action.PERSON_EDIT,
        actor,
        person,
        detail={"participation": str(participation.pk), "change": "participation_recorded"},
    )
    follow_ups = _schedule(
        person, programme, ended_on, {"participation": participation}, str(participation.pk)
    )
    deliveries_queue(
        organisations=[actor.organisation.pk],
        event_type=PARTICIPATION_EVENT,
        body=participation_event_body(participation, follow_ups),
    )
    return participation, True


def _check_participation(
    actor: Actor, programme: Any, started_on: dt.date, ended_on: dt.date, external_id: str
) -> None:
    """FollowUpDataError naming every field at fault and what is allowed."""
    errors: dict[str, str] = {}
    if programme is None or programme.organisation_id != actor.organisation.pk:
        own = [p.slug for p in programmes_visible().filter(organisation=actor.organisation)]
        errors["programme"] = (
            f"choose one of your organisation's programmes: {', '.join(own) or '(none)'}"
        )
    today = timezone.localdate()
    if started_on > ended_on:
        errors["started_on"] = (
            f"got {started_on.isoformat()}; allowed: on or before the end ({ended_on.isoformat()})"
        )
    if ended_on > today:
        errors["ended_on"] = f"got {ended_on.isoformat()}; allowed: today ({today}) or before"
    if external_id and not EXTERNAL_ID.match(external_id):
        errors["external_id"] = (
            f"got {external_id[:40]!r}; allowed: 1 to 100 letters, digits or . _ : / - "
            "(starting with a letter or digit)"
        )
    if errors:
        raise FollowUpDataError(errors)


def _participation_of_reference(
    actor: Actor, external_id: str, wanted: dict[str, Any]
) -> Participation | None:
    """The organisation's participation recorded under `external_id` if it is the one
    `wanted`; ParticipationConflictError if it is another; None if there is none."""
    existing = Participation.objects.filter(
        organisation=actor.organisation, external_id=external_id
    ).first()
    if existing is None:
        return None
    differ = [name for name, value in wanted.items() if getattr(existing, name) != value]
    if differ:
        raise ParticipationConflictError(existing, [name.removesuffix("_id") for name in differ])
    return existing


def participation_event_body(
    participation: Participation, follow_ups: list[FollowUp]
) -> dict[str, Any]:
    """What a webhook says of a recorded participation: its id, your reference, the
    programme, the dates and the follow-ups it planned; never the person (the system reads
    the participation with its token: GET /api/v1/participations/{id})."""
    return {
        "participation": str(participation.pk),
        "external_id": participation.external_id,
        "programme": participation.programme.slug,
        "started_on": participation.started_on.isoformat(),
        "ended_on": participation.ended_on.isoformat(),
        "follow_ups": [
            {"follow_up": str(f.pk), "months": f.months, "due_on": f.due_on.isoformat()}
            for f in follow_ups
        ],
        "at": timezone.now().isoformat(),
    }


def _hours(value: Any) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        hours = Decimal(str(value))
    except InvalidOperation:
        hours = Decimal("NaN")
    if hours.is_nan() or not Decimal(0) < hours <= MAX_HOURS_PER_WEEK:
        raise FollowUpDataError(
            {
                "hours_per_week": f"got {value!r}; allowed: a number of hours above 0 and at "
                f"most {MAX_HOURS_PER_WEEK}"
            }
        )
    return hours.quantize(Decimal("0.1"))


def _checked(
    follow_up: FollowUp,
    situation: str,
    contract_type: str,
    hours_per_week: Any,
    situation_on: dt.date,
) -> tuple[str, Decimal | None]:
    """The contract type and hours to store, or FollowUpDataError naming every field."""
    errors: dict[str, str] = {}
    if situation not in Situation.values:
        errors["situation"] = f"got {situation!r}; allowed: {', '.join(Situation.values)}"
    employed = situation == Situation.EMPLOYED
    if employed and contract_type not in ContractType.values:
        errors["contract_type"] = (
            f"got {contract_type!r}; allowed: {', '.join(ContractType.values)}"
        )
    if not employed and contract_type:
        errors["contract_type"] = "only when the situation is employed; leave it empty"
    if not employed and hours_per_week not in (None, ""):
        errors["hours_per_week"] = "only when the situation is employed; leave it empty"
    hours = None
    if employed:
        try:
            hours = _hours(hours_per_week)
        except FollowUpDataError as error:
            errors.update(error.errors)
    today = timezone.localdate()
    if not follow_up.ended_on <= situation_on <= today:
        errors["situation_on"] = (
            f"got {situation_on.isoformat()}; allowed: from the end of the participation "
            f"({follow_up.ended_on.isoformat()}) to today ({today.isoformat()})"
        )
    if errors:
        raise FollowUpDataError(errors)
    return (contract_type if employed else ""), hours


RECORDED_FIELDS = ("situation", "contract_type", "hours_per_week", "situation_on")


def follow_up_record(
    *,
    actor: Actor,
    follow_up_id: object,
    situation: str,
    contract_type: str = "",
    hours_per_week: Any = None,
    situation_on: dt.date | None = None,
    expected_version: int | None = None,
) -> FollowUp:
    """Record (or correct) the person's situation at a follow-up: a new version, an audit
    entry and a `follow_up.recorded` webhook event to the holder's systems, together."""
    with transaction.atomic():
        follow_up = follow_up_for(actor, follow_up_id, "edit", for_update=True)
        if follow_up.state == FollowUpState.CANCELLED:
            raise FollowUpDataError(
                {"state": f"this follow-up was cancelled on {follow_up.cancelled_on}"}
            )
        if expected_version is not None and expected_version != follow_up.version:
            raise FollowUpVersionError(follow_up.version)
        on = situation_on or timezone.localdate()
        contract, hours = _checked(follow_up, situation, contract_type, hours_per_week, on)
        before = {name: _json(getattr(follow_up, name)) for name in (*RECORDED_FIELDS, "state")}
        follow_up.situation, follow_up.contract_type = situation, contract
        follow_up.hours_per_week, follow_up.situation_on = hours, on
        follow_up.state = FollowUpState.RECORDED
        after = {name: _json(getattr(follow_up, name)) for name in (*RECORDED_FIELDS, "state")}
        changes = changed_fields(before, after)
        if not changes:
            return follow_up
        follow_up.recorded_by, follow_up.recorded_by_label = actor.user, actor.label
        follow_up.recorded_at = timezone.now()
        follow_up.version += 1
        follow_up.save()
        _version(follow_up, actor.user, actor.label, changes)
        audit_person(
            Action.PERSON_EDIT,
            actor,
            follow_up.person,
            detail={
                "follow_up": str(follow_up.pk),
                "change": "recorded",
                "fields": sorted(changes),
            },
        )
        deliveries_queue(
            organisations=[follow_up.organisation_id],
            event_type=RECORDED_EVENT,
            body=event_body(follow_up),
        )
    return follow_up


def event_body(follow_up: FollowUp) -> dict[str, Any]:
    """What a webhook says of a follow-up: its id, the referral, the programme and dates,
    never the person nor the situation (the organisation's system reads them with its token:
    GET /api/v1/follow-ups/{id}), as the referrals' events."""
    return {
        "follow_up": str(follow_up.pk),
        "referral": str(follow_up.referral_id) if follow_up.referral_id else None,
        "participation": str(follow_up.participation_id) if follow_up.participation_id else None,
        "programme": follow_up.programme.slug,
        "months": follow_up.months,
        "due_on": follow_up.due_on.isoformat(),
        "state": follow_up.state,
        "version": follow_up.version,
        "at": timezone.now().isoformat(),
    }


def follow_ups_cancel_without_consent(*, person: Any, actor: Actor, on: dt.date) -> int:
    """Cancel the person's open follow-ups when no active consent to follow-up is left (the
    consent withdrawn was the last one). Returns how many were cancelled."""
    if has_active_consent(person, ConsentPurpose.FOLLOW_UP):
        return 0
    cancelled = 0
    for follow_up in (
        follow_ups_of_person(person).select_for_update().filter(state=FollowUpState.OPEN)
    ):
        follow_up.state, follow_up.cancelled_on = FollowUpState.CANCELLED, on
        follow_up.cancel_reason = CancelReason.CONSENT_WITHDRAWN
        follow_up.version += 1
        follow_up.save(
            update_fields=["state", "cancelled_on", "cancel_reason", "version", "updated_at"]
        )
        _version(
            follow_up,
            actor.user,
            actor.label,
            {
                "state": [FollowUpState.OPEN, FollowUpState.CANCELLED],
                "cancel_reason": ["", CancelReason.CONSENT_WITHDRAWN],
            },
        )
        cancelled += 1
    if cancelled:
        audit_person(
            Action.PERSON_EDIT,
            actor,
            person,
            detail={"change": "follow_ups_cancelled", "count": cancelled},
        )
    return cancelled


def follow_ups_forget_person(*, person: Any) -> int:
    """Delete a person's follow-ups and their versions when the file is erased or purged:
    the situations recorded are personal data. The participations stay (ids and dates, for
    counts) without the organisation's reference, which would lead back to the person in
    its own system. Returns how many follow-ups were deleted."""
    Participation.objects.filter(person=person).exclude(external_id="").update(external_id="")
    deleted, _by_model = follow_ups_of_person(person).delete()
    return deleted


def follow_ups_announce(*, on: dt.date) -> dict[Any, int]:
    """Mark the open follow-ups due by `on` as announced (once each) and queue a
    `follow_up.due` webhook event for each: {organisation id: how many became due}."""
    per_organisation: dict[Any, int] = {}
    with transaction.atomic():
        due = (
            follow_ups_announce_due(on)
            .select_related("programme")
            .select_for_update(of=("self",), skip_locked=True)
        )
        for follow_up in due:
            follow_up.announced_on = on
            follow_up.save(update_fields=["announced_on", "updated_at"])
            deliveries_queue(
                organisations=[follow_up.organisation_id],
                event_type=DUE_EVENT,
                body=event_body(follow_up),
            )
            per_organisation[follow_up.organisation_id] = (
                per_organisation.get(follow_up.organisation_id, 0) + 1
            )
    return per_organisation


def follow_ups_export(access: PersonAccess) -> dict[str, Any]:
    """The file's participations and follow-ups for its export (GDPR art. 15 and 20): only
    to the organisation holding it."""
    if access.relation != "own":
        return {"participations": [], "follow_ups": []}
    participations = Participation.objects.filter(person=access.person).select_related("programme")
    return {
        "participations": [
            {
                "programme": participation.programme.slug,
                "started_on": participation.started_on.isoformat(),
                "ended_on": participation.ended_on.isoformat(),
            }
            for participation in participations
        ],
        "follow_ups": [
            {
                "programme": follow_up.programme.slug,
                "months": follow_up.months,
                "ended_on": follow_up.ended_on.isoformat(),
                "due_on": follow_up.due_on.isoformat(),
                "state": follow_up.state,
                "situation": follow_up.situation,
                "contract_type": follow_up.contract_type,
                "hours_per_week": _json(follow_up.hours_per_week),
                "situation_on": _json(follow_up.situation_on),
                "cancelled_on": _json(follow_up.cancelled_on),
            }
            for follow_up in follow_ups_of_file(access)
        ],
    }
