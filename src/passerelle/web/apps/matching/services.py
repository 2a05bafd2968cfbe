"""Writes of the matching app: mentors, offers and vacancies; rounds run by the engine
(`passerelle.core.matching`), proposals removed, restored or moved, and confirmation,
which creates referrals through `referrals.services`. Every write is audited."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from pydantic import BaseModel

from passerelle.core.matching.engine import MATCHED, MatchResult, match
from passerelle.core.matching.explain import explain, explanation_terms, reason_text, term
from passerelle.core.matching.model import PROGRAMME_BY_KIND, Kind, Slot, persons_frame, slots_frame
from passerelle.core.matching.pairs import TERMS, Options
from passerelle.knowledge.loader import load_knowledge
from passerelle.web.apps.accounts.models import Role
from passerelle.web.apps.audit.models import Action
from passerelle.web.apps.audit.services import audit_record
from passerelle.web.apps.directory.models import Programme
from passerelle.web.apps.directory.selectors import programmes_visible
from passerelle.web.apps.matching import access
from passerelle.web.apps.matching.candidates import (
    Candidate,
    candidates_on,
    referral_consent_fields,
)
from passerelle.web.apps.matching.models import (
    InternshipOffer,
    KindChoices,
    MatchingRound,
    Mentor,
    Proposal,
    ProposalStatus,
    RoundStatus,
    Vacancy,
)
from passerelle.web.apps.matching.schemas import (
    MatchingDataError,
    MentorData,
    OfferData,
    VacancyData,
    validated,
)
from passerelle.web.apps.people.schemas import PersonDataError
from passerelle.web.apps.referrals.models import OPEN_STATES, Referral, State
from passerelle.web.apps.referrals.services import (
    TransitionError,
    referral_create,
    referral_transition,
)
from passerelle.web.common.actors import Actor, OperationDeniedError
from passerelle.web.common.labels import organisation_label, reader_date

Record = Mentor | InternshipOffer | Vacancy
FIRST_DAY, LAST_DAY = dt.date(2010, 1, 1), dt.date(2099, 12, 31)
"""The rules answer for these dates only (docs/architecture.md)."""


def _audit(action: str, actor: Actor, object_kind: str, key: object, **detail: Any) -> None:
    audit_record(action=action, acting=actor, object_kind=object_kind, object_id=key, detail=detail)


# Mentors, offers, vacancies -------------------------------------------------------------


def _programme(slug: Any, *, required: bool) -> Programme | None:
    if not slug:
        if required:
            raise MatchingDataError({"programme": _("choose the programme")})
        return None
    programme = programmes_visible().filter(slug=str(slug)).first()
    if programme is None:
        raise MatchingDataError(
            {"programme": _("no programme {slug} in the directory").format(slug=repr(slug))}
        )
    return programme


def _save(record: Any, values: dict[str, Any], actor: Actor, kind: str, made: bool) -> Any:
    for name, value in values.items():
        setattr(record, name, value)
    record.full_clean()
    record.save()
    _audit(Action.MATCHING_OFFER, actor, kind, record.pk, change="create" if made else "edit")
    return record


def _with_programme(
    data: dict[str, Any], schema: type[BaseModel], *, required: bool
) -> dict[str, Any]:
    """`data` validated by `schema`, with its programme (a slug) as the directory's record."""
    fields = dict(data)
    programme = _programme(fields.pop("programme", None), required=required)
    values = validated(schema, fields)
    values["programme"] = programme
    return values


@dataclass(frozen=True)
class _Kept:
    """How a kind of record of the actor's organisation is checked, found, made and
    validated, for `_record_save`."""

    object_kind: str
    check: Callable[..., None]
    find: Callable[..., Any]
    new: Callable[[Actor], Record]
    values: Callable[[dict[str, Any]], dict[str, Any]]


MENTORS = _Kept(
    "mentor",
    access.check_mentors,
    access.mentor_for,
    lambda actor: Mentor(organisation=actor.organisation),
    lambda data: validated(MentorData, data),
)
OFFERS = _Kept(
    "internship_offer",
    access.check_offers,
    access.offer_for,
    lambda actor: InternshipOffer(host=actor.organisation),
    lambda data: _with_programme(data, OfferData, required=True),
)
VACANCIES = _Kept(
    "vacancy",
    access.check_vacancies,
    access.vacancy_for,
    lambda actor: Vacancy(employer=actor.organisation),
    lambda data: _with_programme(data, VacancyData, required=False),
)


def _record_save(kept: _Kept, actor: Actor, data: dict[str, Any], key: object) -> Any:
    if key is None:
        kept.check(actor, write=True)
        record = kept.new(actor)
    else:
        record = kept.find(actor, key, write=True)
    return _save(record, kept.values(data), actor, kept.object_kind, key is None)


@transaction.atomic
def mentor_save(*, actor: Actor, data: dict[str, Any], mentor_id: object = None) -> Mentor:
    """Create (no `mentor_id`) or change a mentor of the actor's organisation."""
    return _record_save(MENTORS, actor, data, mentor_id)  # type: ignore[no-any-return]


@transaction.atomic
def offer_save(*, actor: Actor, data: dict[str, Any], offer_id: object = None) -> InternshipOffer:
    """Create or change an internship offer of the actor's (host) organisation."""
    return _record_save(OFFERS, actor, data, offer_id)  # type: ignore[no-any-return]


@transaction.atomic
def vacancy_save(*, actor: Actor, data: dict[str, Any], vacancy_id: object = None) -> Vacancy:
    """Create or change a vacancy of the actor's (employer) organisation."""
    return _record_save(VACANCIES, actor, data, vacancy_id)  # type: ignore[no-any-return]


# Slots ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class SlotRecord:
    slot: Slot
    record: Record


def _taken(records: Sequence[Record], kind: str) -> dict[Any, int]:
    """Places already held by confirmed matches (mentors: mentees now; offers and
    vacancies: every referral not ended without a place)."""
    column = {"mentoring": "mentor", "internship": "offer", "vacancy": "vacancy"}[kind]
    states = set(OPEN_STATES) | ({State.COMPLETED} if kind != KindChoices.MENTORING else set())
    taken: dict[Any, int] = {}
    for key in Proposal.objects.filter(
        **{f"{column}__in": [r.pk for r in records]},
        status=ProposalStatus.CONFIRMED,
        referral__state__in=states,
    ).values_list(f"{column}_id", flat=True):
        taken[key] = taken.get(key, 0) + 1
    return taken


def _mentor_slot(mentor: Mentor, on: dt.date, programme: str | None) -> Slot:
    speaks = {
        code: mentor.mentee_level
        for code, level in sorted(mentor.languages.items(), key=lambda item: item[1], reverse=True)
        if level >= "B1"
    }
    # Every former occupation, then every sector: each pair is scored on the best of them.
    codes = list(dict.fromkeys(str(c) for c in [*mentor.occupations, *mentor.sectors] if c))
    return Slot(
        id=mentor.label,
        start_date=max(on, mentor.available_from or on),
        organisation=mentor.organisation.slug if mentor.organisation_id else None,
        occupation=codes[0] if codes else None,
        other_occupations=tuple(codes[1:]),
        municipality=mentor.municipality or None,
        languages=dict(list(speaks.items())[:3]),
        programme=programme,
    )


def slots_for_round(programme: Programme, kind: str, on: dt.date) -> list[SlotRecord]:
    """The open mentors, offers or vacancies of a round, with the places still free."""
    knowledge = load_knowledge()
    rules_programme = (
        programme.slug
        if kind != KindChoices.VACANCY and programme.slug in knowledge.programmes
        else None
    )
    records: list[Record]
    if kind == KindChoices.MENTORING:
        records = list(
            Mentor.objects.filter(organisation=programme.organisation, active=True)
            .exclude(available_to__lt=on)
            .select_related("organisation")
        )
    elif kind == KindChoices.INTERNSHIP:
        records = list(
            InternshipOffer.objects.filter(
                programme=programme, active=True, start_date__gte=on
            ).select_related("host")
        )
    else:
        records = list(
            Vacancy.objects.filter(programme=programme, active=True).select_related("employer")
        )
    taken = _taken(records, kind)
    out: list[SlotRecord] = []
    used: set[str] = set()
    for record in records:
        if isinstance(record, Mentor):
            slot = _mentor_slot(record, on, rules_programme)
            places = record.max_mentees
        elif isinstance(record, InternshipOffer):
            places = record.places
            slot = offer_slot(record, rules_programme)
        else:
            places = record.posts
            slot = vacancy_slot(record, on)
        free = places - taken.get(record.pk, 0)
        if free <= 0:
            continue
        label, number = slot.id, 2
        while label in used:
            label, number = f"{slot.id} ({number})", number + 1
        used.add(label)
        out.append(SlotRecord(_with(slot, id=label, capacity=free), record))
    return out


def offer_slot(offer: InternshipOffer, programme: str | None = None) -> Slot:
    """An internship offer as the engine's slot. `programme`: the rules' programme (default:
    the offer's own when the knowledge base has its rules, else the engine's default)."""
    if programme is None and offer.programme_id is not None:
        slug = offer.programme.slug
        programme = slug if slug in load_knowledge().programmes else None
    return Slot(
        id=offer.title,
        start_date=offer.start_date,
        capacity=offer.places,
        organisation=offer.host.slug,
        occupation=offer.occupation or None,
        municipality=offer.municipality or None,
        languages={offer.working_language: offer.language_level},
        programme=programme,
    )


def vacancy_slot(vacancy: Vacancy, on: dt.date) -> Slot:
    return Slot(
        id=vacancy.title,
        start_date=max(on, vacancy.start_date),
        capacity=vacancy.posts,
        organisation=vacancy.employer.slug,
        occupation=vacancy.occupation,
        municipality=vacancy.municipality or None,
        languages=dict(vacancy.languages),
        driving_licence_required=vacancy.driving_licence_required,
        diploma_isced_required=vacancy.diploma_isced_required,
        recognition_required=vacancy.recognition_required,
    )


def _with(slot: Slot, **changes: Any) -> Slot:
    from dataclasses import replace

    return replace(slot, **changes)


# Rounds --------------------------------------------------------------------------------


def _check_round(kind: str, on: Any, min_score: Any) -> tuple[dt.date, float]:
    errors: dict[str, str] = {}
    if kind not in KindChoices.values:
        errors["kind"] = _("got {value}; allowed: {allowed}").format(
            value=repr(kind), allowed=", ".join(KindChoices.values)
        )
    if not isinstance(on, dt.date) or not FIRST_DAY <= on <= LAST_DAY:
        errors["on"] = _("a date from {first} to {last}").format(first=FIRST_DAY, last=LAST_DAY)
    try:
        score = float(min_score)
        if not 0 <= score <= 100:
            raise ValueError
    except (TypeError, ValueError):
        errors["min_score"] = _("a number from 0 to 100")
        score = 0.0
    if errors:
        raise MatchingDataError(errors)
    return on, score


@dataclass(frozen=True)
class RoundChoices:
    """How a round is run when nobody says otherwise: the one-click round, and the
    defaults of the form and of the API."""

    min_score: float = 0.0
    waiting_priority: bool = True
    balance_organisations: bool = False


ROUND_DEFAULTS = RoundChoices()
KIND_OF_PROGRAMME = {slug: kind for kind, slug in PROGRAMME_BY_KIND.items() if slug}


def default_kind(programme: Programme) -> str:
    """What a round of `programme` matches unless told: its kind in the rules, else
    vacancies."""
    return str(KIND_OF_PROGRAMME.get(programme.slug, KindChoices.VACANCY))


def round_start(
    *,
    actor: Actor,
    programme: Programme,
    kind: str = "",
    on: dt.date | None = None,
    min_score: float = ROUND_DEFAULTS.min_score,
    waiting_priority: bool = ROUND_DEFAULTS.waiting_priority,
    balance_organisations: bool = ROUND_DEFAULTS.balance_organisations,
) -> MatchingRound:
    """Run the engine for a programme the actor's organisation runs, and store the round:
    one proposal per candidate (a match, or none with the reason and its explanation).
    Persons already referred to the programme (an open referral) are left out. Without a
    `kind` the programme's (`default_kind`), without a date today."""
    kind = kind or default_kind(programme)
    on = on or timezone.localdate()
    if not access.may_run(actor, programme):
        raise OperationDeniedError("run")
    on, score = _check_round(kind, on, min_score)
    referred = Referral.objects.filter(programme=programme, state__in=OPEN_STATES).values_list(
        "person_id", flat=True
    )
    candidates = candidates_on(on, exclude=list(referred))
    slots = slots_for_round(programme, kind, on)
    if not slots:
        raise MatchingDataError(
            {"kind": _("no open mentor, offer or vacancy with free places for this programme")}
        )
    if not candidates:
        raise MatchingDataError({"on": _("nobody waits for a match (consent to matching)")})
    options = Options(
        min_score=score,
        waiting_priority=waiting_priority,
        balance_organisations=balance_organisations,
    )
    knowledge = load_knowledge()
    result = match(
        persons_frame([c.engine for c in candidates]),
        slots_frame([s.slot for s in slots]),
        Kind(kind),
        on,
        options,
        knowledge,
    )
    return _round_store(actor, programme, kind, on, options, candidates, slots, result)


def _round_store(
    actor: Actor,
    programme: Programme,
    kind: str,
    on: dt.date,
    options: Options,
    candidates: list[Candidate],
    slots: list[SlotRecord],
    result: MatchResult,
) -> MatchingRound:
    """The round, its proposals (one per candidate, in the candidates' order) and its audit
    entry, in one transaction."""
    by_slot = {s.slot.id: s for s in slots}
    assignments = {row["person_id"]: row for row in result.assignments.iter_rows(named=True)}
    outcomes = {row["person_id"]: row for row in result.outcomes.iter_rows(named=True)}
    with transaction.atomic():
        matching_round = MatchingRound.objects.create(
            organisation=actor.organisation,
            programme=programme,
            kind=kind,
            on=on,
            options={
                "min_score": options.min_score,
                "waiting_priority": options.waiting_priority,
                "balance_organisations": options.balance_organisations,
            },
            summary={
                "candidates": len(candidates),
                "slots": len(slots),
                "places": sum(s.slot.capacity for s in slots),
                "matched": result.placed,
                "unmatched": result.unmatched_by_reason(),
                "objective": round(result.objective, 2),
                "greedy_objective": round(result.greedy_objective, 2),
                "uplift": None if result.uplift is None else round(result.uplift, 4),
            },
            started_by=actor.user,
            started_by_label=actor.label,
        )
        proposals = [
            _proposal(matching_round, number, candidate, assignments, outcomes, by_slot, result)
            for number, candidate in enumerate(candidates, start=1)
        ]
        Proposal.objects.bulk_create(proposals)
        _audit(
            Action.MATCHING_ROUND,
            actor,
            "matching_round",
            matching_round.pk,
            programme=programme.slug,
            kind=kind,
            on=on.isoformat(),
            candidates=len(candidates),
            matched=result.placed,
        )
    return matching_round


def explanation_languages() -> list[str]:
    """The staff languages (matching is a staff page): a stored explanation keeps the rules
    engine's reasons in each (the rest of it is rendered in the reader's language when read)."""
    return list(settings.STAFF_LANGUAGES)


def _proposal(
    matching_round: MatchingRound,
    number: int,
    candidate: Candidate,
    assignments: dict[str, Any],
    outcomes: dict[str, Any],
    by_slot: dict[str, SlotRecord],
    result: Any,
) -> Proposal:
    key = str(candidate.person.pk)
    outcome = outcomes[key]
    proposal = Proposal(
        round=matching_round,
        number=number,
        person=candidate.person,
        referring_organisation=candidate.person.organisation,
        reason=outcome["reason"],
        explanation=explanation_terms(result, key, languages=explanation_languages()),
    )
    row = assignments.get(key)
    if outcome["reason"] == MATCHED and row is not None:
        proposal.status = ProposalStatus.PROPOSED
        _place(proposal, by_slot[row["slot_id"]], row)
    else:
        proposal.status = ProposalStatus.UNMATCHED
    return proposal


def _place(proposal: Proposal, found: SlotRecord, row: dict[str, Any]) -> None:
    proposal.mentor = proposal.offer = proposal.vacancy = None
    record = found.record
    if isinstance(record, Mentor):
        proposal.mentor = record
    elif isinstance(record, InternshipOffer):
        proposal.offer = record
    else:
        proposal.vacancy = record
    proposal.start_date = found.slot.start_date
    proposal.fit = float(row["fit"])
    proposal.probability = float(row["probability"])
    proposal.terms = {name: float(row[name]) for name in TERMS}


def _open_proposal(actor: Actor, round_id: object, number: int) -> Proposal:
    matching_round = access.round_for(actor, round_id)
    if not access.may_run(actor, matching_round.programme):
        raise OperationDeniedError("adjust")
    if matching_round.status != RoundStatus.PROPOSED:
        raise MatchingDataError({"round": _("this round is already confirmed")})
    proposal = matching_round.proposals.select_for_update().filter(number=number).first()
    if proposal is None:
        raise access.MatchingNotFoundError(f"{round_id}/{number}")
    return proposal


def _proposal_status(proposal: Proposal, actor: Actor, status: str, change: str) -> Proposal:
    proposal.status = status
    proposal.save(update_fields=["status"])
    _audit(
        Action.MATCHING_PROPOSAL,
        actor,
        "matching_round",
        proposal.round_id,
        number=proposal.number,
        change=change,
    )
    return proposal


@transaction.atomic
def proposal_remove(*, actor: Actor, round_id: object, number: int) -> Proposal:
    proposal = _open_proposal(actor, round_id, number)
    if proposal.status != ProposalStatus.PROPOSED:
        raise MatchingDataError({"number": _("only a proposed match can be removed")})
    return _proposal_status(proposal, actor, ProposalStatus.REMOVED, "remove")


@transaction.atomic
def proposal_restore(*, actor: Actor, round_id: object, number: int) -> Proposal:
    proposal = _open_proposal(actor, round_id, number)
    if proposal.status != ProposalStatus.REMOVED:
        raise MatchingDataError({"number": _("only a removed match can be restored")})
    _check_free(proposal, proposal.slot)
    return _proposal_status(proposal, actor, ProposalStatus.PROPOSED, "restore")


def _check_free(proposal: Proposal, record: Record | None) -> None:
    """The slot has a place left in this round besides the proposal itself."""
    if record is None:
        return
    matching_round = proposal.round
    found = next(
        (
            s
            for s in slots_for_round(
                matching_round.programme, matching_round.kind, matching_round.on
            )
            if s.record.pk == record.pk
        ),
        None,
    )
    column = {Mentor: "mentor", InternshipOffer: "offer", Vacancy: "vacancy"}[type(record)]
    used = (
        matching_round.proposals.filter(status=ProposalStatus.PROPOSED, **{column: record})
        .exclude(pk=proposal.pk)
        .count()
    )
    if found is None or used >= found.slot.capacity:
        raise MatchingDataError({"slot": _("no place left there in this round")})


def slot_choices(matching_round: MatchingRound) -> list[SlotRecord]:
    return slots_for_round(matching_round.programme, matching_round.kind, matching_round.on)


@transaction.atomic
def proposal_move(*, actor: Actor, round_id: object, number: int, slot: object) -> Proposal:
    """Propose the person for another mentor, offer or vacancy of the round (`slot`: its
    id). The engine checks the pair (hard constraints, score) whatever the occupations;
    a pair it refuses is refused with its reason."""
    proposal = _open_proposal(actor, round_id, number)
    if proposal.status not in (
        ProposalStatus.PROPOSED,
        ProposalStatus.REMOVED,
        ProposalStatus.UNMATCHED,
    ):
        raise MatchingDataError({"number": _("this proposal cannot change now")})
    matching_round = proposal.round
    found = next((s for s in slot_choices(matching_round) if str(s.record.pk) == str(slot)), None)
    if found is None:
        raise MatchingDataError({"slot": _("choose one of the round's open places")})
    _check_free(proposal, found.record)
    candidate = next(
        (c for c in candidates_on(matching_round.on) if c.person.pk == proposal.person_id), None
    )
    if candidate is None:
        raise MatchingDataError({"number": _("the person's consent to matching has ended")})
    single = _with(found.slot, occupation=None, other_occupations=(), capacity=1)
    result = match(
        persons_frame([candidate.engine]),
        slots_frame([single]),
        Kind(matching_round.kind),
        matching_round.on,
        Options(),
        with_greedy=False,
    )
    key = str(proposal.person_id)
    outcome = result.outcomes.row(0, named=True)
    if outcome["reason"] != MATCHED:
        raise MatchingDataError(
            {"slot": "; ".join([reason_text(outcome["reason"]), *explain(result, key)])}
        )
    _place(proposal, SlotRecord(single, found.record), result.assignments.row(0, named=True))
    proposal.status = ProposalStatus.PROPOSED
    proposal.reason = MATCHED
    proposal.adjusted = True
    proposal.explanation = [
        term("adjusted"),
        *explanation_terms(result, key, languages=explanation_languages()),
    ]
    proposal.save()
    _audit(
        Action.MATCHING_PROPOSAL,
        actor,
        "matching_round",
        proposal.round_id,
        number=number,
        change="move",
        slot=str(found.record.pk),
    )
    return proposal


@dataclass(frozen=True)
class Confirmation:
    referred: int
    consent_missing: int
    refused: int


def _sender(actor: Actor, person: Any, matching_round: MatchingRound) -> Actor:
    """Who refers: the coordinator when their organisation holds the file; otherwise the
    holding organisation, under the person's consent to matching, in the coordinator's
    name (the audit log and the referral's timeline say so)."""
    if person.organisation_id == actor.organisation.pk:
        return actor
    return Actor(
        organisation=person.organisation,
        role=Role.CASEWORKER,
        user=actor.user,
        label=f"matching:{matching_round.pk.hex[:8]} {actor.label}"[:150],
    )


def round_confirm(*, actor: Actor, round_id: object) -> Confirmation:
    """Confirm a round: each proposed match becomes a referral to the programme, sent with
    the field groups of the person's referral consent naming the programme's organisation.
    A person without such a consent is reported (`consent_missing`), not dropped; a
    referral the referral rules refuse is reported with their reason (`refused`)."""
    with transaction.atomic():
        matching_round = access.round_for(actor, round_id)
        if not access.may_run(actor, matching_round.programme):
            raise OperationDeniedError("confirm")
        matching_round = MatchingRound.objects.select_for_update().get(pk=matching_round.pk)
        if matching_round.status != RoundStatus.PROPOSED:
            raise MatchingDataError({"round": _("this round is already confirmed")})
        programme = matching_round.programme
        counts = {"referred": 0, "consent_missing": 0, "refused": 0}
        proposals = matching_round.proposals.filter(status=ProposalStatus.PROPOSED).select_related(
            "person__organisation", "mentor", "offer", "vacancy"
        )
        # Places are counted again: another round may have taken some since.
        free = {
            found.record.pk: found.slot.capacity
            for found in slots_for_round(programme, matching_round.kind, matching_round.on)
        }
        referred = set(
            Referral.objects.filter(programme=programme, state__in=OPEN_STATES).values_list(
                "person_id", flat=True
            )
        )
        for proposal in proposals:
            slot = proposal.slot
            if proposal.person_id in referred:
                _refuse(proposal, _("already referred to this programme"), counts)
            elif slot is None or free.get(slot.pk, 0) <= 0:
                _refuse(proposal, _("no place left there (taken since the round)"), counts)
            else:
                _confirm_one(actor, matching_round, programme, proposal, counts)
                if proposal.status == ProposalStatus.CONFIRMED:
                    free[slot.pk] -= 1
        matching_round.status = RoundStatus.CONFIRMED
        matching_round.confirmed_at = timezone.now()
        matching_round.confirmed_by_label = actor.label
        # The refusal and consent texts of the proposals are in the confirmer's language:
        # the round page marks them with it for readers of other languages.
        matching_round.summary = {
            **matching_round.summary,
            "confirmation": counts,
            "confirmation_language": (get_language() or "en")[:2],
        }
        matching_round.save()
        _audit(Action.MATCHING_CONFIRM, actor, "matching_round", matching_round.pk, **counts)
    return Confirmation(**counts)


def _refuse(proposal: Proposal, problem: str, counts: dict[str, int]) -> None:
    proposal.status, proposal.problem = ProposalStatus.REFUSED, problem
    proposal.save(update_fields=["status", "problem"])
    counts["refused"] += 1


def _confirm_one(
    actor: Actor,
    matching_round: MatchingRound,
    programme: Programme,
    proposal: Proposal,
    counts: dict[str, int],
) -> None:
    person = proposal.person
    own = person.organisation_id == programme.organisation_id
    fields = (
        ["identity", "contact", "profile"]
        if own
        else referral_consent_fields(person, programme.organisation)
    )
    if not fields:
        proposal.status = ProposalStatus.CONSENT_MISSING
        proposal.problem = _(
            "No consent of the person to share their file with {organisation}: the holding "
            "organisation records it, then refers the person."
        ).format(organisation=organisation_label(programme.organisation))
        counts["consent_missing"] += 1
        proposal.save(update_fields=["status", "problem"])
        return
    sender = _sender(actor, person, matching_round)
    slot = proposal.slot
    # Written once into the referral: the date in words, the fit as a whole score.
    note = _("Matching round of {date}: {slot} (fit {fit} of 100).").format(
        date=reader_date(matching_round.on),
        slot=str(slot),
        fit="?" if proposal.fit is None else round(proposal.fit),
    )
    try:
        with transaction.atomic():
            referral = referral_create(
                actor=sender,
                person_id=person.pk,
                programme=programme,
                planned_start=proposal.start_date or matching_round.on,
                fields=fields,
                note=note,
            )
            referral = referral_transition(actor=sender, referral_id=referral.pk, action="send")
    except TransitionError as error:
        proposal.status = (
            ProposalStatus.CONSENT_MISSING if error.field == "consent" else ProposalStatus.REFUSED
        )
        proposal.problem = str(error)
    except (PersonDataError, OperationDeniedError) as error:
        proposal.status = ProposalStatus.REFUSED
        proposal.problem = str(error)
    else:
        proposal.status = ProposalStatus.CONFIRMED
        proposal.referral = referral
    counts[
        {
            ProposalStatus.CONFIRMED: "referred",
            ProposalStatus.CONSENT_MISSING: "consent_missing",
        }.get(proposal.status, "refused")
    ] += 1
    proposal.save(update_fields=["status", "problem", "referral"])


def proposals_forget_person(*, person: Any) -> int:
    """Clear what a person's proposals say of them (the explanation's languages,
    occupations, commute and waiting time; the engine's terms; the problem text) when the
    file is erased or purged. The rows stay with their status and slot, so that a round's
    counts and places taken do not change."""
    return Proposal.objects.filter(person=person).update(
        explanation=[], terms={}, problem="", fit=None, probability=None
    )
