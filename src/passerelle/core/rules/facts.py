"""Derived facts: the right to work and the integration pathway, on a date, with reasons,
sources and the next date on which the value changes.

Each fact is computed by a function of (situation, date) returning a `Fact`; the next change
is found by evaluating the fact on the dates where one of its inputs changes (parameter
changes, the end of a waiting period, a birthday, the decision date...).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Protocol

from passerelle.core.i18n import _, country_name, gettext_noop, reader_date
from passerelle.core.profile import Profile
from passerelle.core.rules.fields import (
    COVERAGE_END,
    legal_status_change_dates,
    legal_status_on,
    procedure_end,
)
from passerelle.knowledge.dates import anniversary, full_months_between, full_years_between
from passerelle.knowledge.loader import Knowledge
from passerelle.knowledge.model import Citation, Parameter


class FactSource(Protocol):
    """What a fact reads of a profile seen on a date: `situation.Situation` is one. A
    protocol, because the situation asks the facts for its derived fields: importing it here
    would close a loop."""

    profile: Profile
    knowledge: Knowledge

    def change_dates(self, name: str) -> tuple[dt.date, ...]: ...

    def cached_fact(self, key: tuple[str, dt.date]) -> object | None: ...

    def cache_fact(self, key: tuple[str, dt.date], fact: object) -> None: ...


FactValue = str | None

LEGAL_STATUS_WORDS = {
    "asylum_seeker": gettext_noop("asylum seeker"),
    "refugee": gettext_noop("refugee"),
    "subsidiary_protection": gettext_noop("subsidiary protection"),
    "temporary_protection": gettext_noop("temporary protection"),
    "eu_citizen": gettext_noop("EU citizen"),
    "family_reunification": gettext_noop("family reunification"),
    "other_permit": gettext_noop("other residence permit"),
    "no_permit": gettext_noop("no residence permit"),
}
"""The legal statuses in words for the reasons a reader sees (the finder showed "refugee :
peut travailler" with the code); the same message ids as the programme criteria's words."""
LABOUR_MARKET_ACCESS_WORDS = {
    "unlimited": gettext_noop("unlimited"),
    "limited": gettext_noop("limited"),
    "none": gettext_noop("none"),
}


@dataclass(frozen=True)
class Fact:
    name: str
    value: FactValue
    """None when unknown: `missing` names the profile fields that would settle it."""
    reasons: tuple[str, ...]
    sources: tuple[Citation, ...] = ()
    missing: tuple[str, ...] = ()
    possible: tuple[str, ...] = ()
    """When unknown, the values still possible (empty: any)."""
    next_change: dt.date | None = None
    next_value: FactValue = None

    def same_outcome(self, other: Fact) -> bool:
        return (self.value, self.missing, self.possible) == (
            other.value,
            other.missing,
            other.possible,
        )


def _param(situation: FactSource, parameter_id: str) -> Parameter:
    return situation.knowledge.parameters[parameter_id]


def _value_on(situation: FactSource, parameter_id: str, on: dt.date) -> object:
    value = _param(situation, parameter_id).value_on(on)
    return None if value is None else value.value


def _int_on(situation: FactSource, parameter_id: str, on: dt.date) -> int:
    value = _value_on(situation, parameter_id, on)
    if not isinstance(value, int):
        raise TypeError(f"parameter {parameter_id} has no whole-number value on {on}")
    return value


def _whole_numbers(parameter: Parameter) -> list[int]:
    return [value.value for value in parameter.values if isinstance(value.value, int)]


def _sources_on(situation: FactSource, parameter_id: str, on: dt.date) -> tuple[Citation, ...]:
    value = _param(situation, parameter_id).value_on(on)
    return () if value is None else tuple(value.sources)


# --- right to work ----------------------------------------------------------------------


def _unknown_right_to_work(
    reason: str, missing: tuple[str, ...], sources: tuple[Citation, ...] = ()
) -> Fact:
    """The right to work left open until the profile gives the `missing` fields."""
    return Fact("right_to_work", None, (reason,), sources, missing=missing)


def right_to_work_on(situation: FactSource, on: dt.date) -> Fact:
    profile = situation.profile
    status = legal_status_on(profile, on)
    if status.value is None:
        return _unknown_right_to_work(
            _("the legal status on this date is not known"), status.missing
        )
    regime_id = f"right_to_work.regime.{status.value}"
    regime = _value_on(situation, regime_id, on)
    sources = _sources_on(situation, regime_id, on)
    if status.value == "eu_citizen":
        transitional, sources = _eu_transitional_period(situation, on, sources)
        if transitional is not None:
            return transitional
    if regime == "exempt":
        return Fact(
            "right_to_work",
            "yes",
            (
                _("{status}: may work without a work permit").format(
                    status=_(LEGAL_STATUS_WORDS.get(str(status.value), str(status.value)))
                ),
            ),
            sources,
        )
    if regime == "none":
        return Fact(
            "right_to_work",
            "no",
            (_("without a residence permit a person may not work"), *_procedure_ended(profile)),
            sources,
        )
    if regime == "residence_card":
        return _residence_card_right_to_work(profile, sources)
    if regime == "work_permit_c" and status.value == "subsidiary_protection":
        return Fact(
            "right_to_work",
            "with_permit",
            (_("subsidiary protection: may work with a type C work permit"),),
            sources,
        )
    if status.value != "asylum_seeker" or regime not in ("work_permit_c", "automatic"):
        raise ValueError(f"{regime_id}: regime {regime!r} is not defined for this status")
    return _asylum_seeker_right_to_work(situation, on, str(regime), sources)


def _eu_transitional_period(
    situation: FactSource, on: dt.date, sources: tuple[Citation, ...]
) -> tuple[Fact | None, tuple[Citation, ...]]:
    """An EU citizen during a transitional period for some nationalities: the fact when the
    period decides it (or the nationality is missing), else None; and the sources, with the
    period's when one is in force, since it was checked to reach the answer."""
    profile = situation.profile
    transitional = _value_on(situation, TRANSITIONAL_ID, on)
    if not isinstance(transitional, list) or not transitional:
        return None, sources
    sources += _sources_on(situation, TRANSITIONAL_ID, on)
    if profile.nationality is None:
        reason = _(
            "nationals of {countries} need a work permit during the EU transitional period"
        ).format(countries=", ".join(transitional))
        return _unknown_right_to_work(reason, ("nationality",), sources), sources
    if profile.nationality in transitional:
        reason = _(
            "{country}: during the EU transitional period its nationals need a "
            "work permit to work as employees"
        ).format(country=country_name(profile.nationality))
        return Fact("right_to_work", "with_permit", (reason,), sources), sources
    return None, sources


def _residence_card_right_to_work(profile: Profile, sources: tuple[Citation, ...]) -> Fact:
    """The right the residence card states, from its labour market access."""
    access = profile.labour_market_access
    if access is None:
        return _unknown_right_to_work(
            _("depends on the labour market access written on the residence card"),
            ("labour_market_access",),
            sources,
        )
    value = {"unlimited": "yes", "limited": "with_permit", "none": "no"}[access]
    return Fact(
        "right_to_work",
        value,
        (
            _("the residence card states labour market access: {access}").format(
                access=_(LABOUR_MARKET_ACCESS_WORDS[access])
            ),
        ),
        sources,
    )


def _asylum_seeker_right_to_work(
    situation: FactSource, on: dt.date, regime: str, sources: tuple[Citation, ...]
) -> Fact:
    """An asylum seeker: no work during a waiting period after the application; then a
    type C permit (before 2019) or an automatic right, unless a first-instance negative
    decision was notified within the waiting period. Once acquired, the right lasts
    through a suspensive appeal until the Council's negative decision is notified; a
    subsequent application gives no right before it is declared admissible."""
    profile = situation.profile
    application = profile.asylum_application_date
    if application is None:
        return _unknown_right_to_work(
            _("an asylum seeker's right to work depends on the application date"),
            ("asylum_application_date",),
            sources,
        )
    waiting_id = "right_to_work.asylum_seeker.waiting_months"
    waiting = _int_on(situation, waiting_id, on)
    sources = sources + _sources_on(situation, waiting_id, on)
    acquired = anniversary(application, months=waiting)
    refusal = _known_by(profile.asylum_refusal_date, on)
    no = _Refusal(situation, on, sources)
    denied = _asylum_seeker_not_yet(no, application, waiting, acquired, refusal)
    if denied is None:
        denied = _asylum_seeker_right_ended(no, refusal)
    if denied is not None:
        return denied
    if refusal is not None:
        sources += _sources_on(situation, KEPT_DURING_APPEAL_ID, on)
    lodged = profile.appeal_lodged_date
    return _asylum_seeker_may_work(regime, sources, waiting, acquired, refusal, lodged)


@dataclass(frozen=True)
class _Refusal:
    """Builds an asylum seeker's "no", citing the sources so far and the parameters that
    decide it."""

    situation: FactSource
    on: dt.date
    sources: tuple[Citation, ...]

    def __call__(self, reason: str, *parameter_ids: str, then: str | None = None) -> Fact:
        cited = self.sources
        for parameter_id in parameter_ids:
            cited += _sources_on(self.situation, parameter_id, self.on)
        return Fact("right_to_work", "no", (reason,) if then is None else (reason, then), cited)


def _asylum_seeker_not_yet(
    no: _Refusal,
    application: dt.date,
    waiting: int,
    acquired: dt.date,
    refusal: dt.date | None,
) -> Fact | None:
    """The "no" of an asylum seeker whose right has not arisen (a subsequent application not
    yet admissible, a refusal within the waiting period, the waiting period itself), if any."""
    profile, on = no.situation.profile, no.on
    if profile.subsequent_application and (
        profile.admissibility_date is None or on < profile.admissibility_date
    ):
        return no(
            _(
                "a subsequent asylum application gives no right to work before it is declared "
                "admissible (admissibility_date)"
            ),
            SUBSEQUENT_ID,
        )
    if refusal is not None and refusal < acquired:
        return no(
            _(
                "a first-instance negative decision was notified on {refusal}, within {waiting} "
                "months of the application ({application}): the right to work never arose, "
                "and an appeal does not give it"
            ).format(
                refusal=reader_date(refusal), waiting=waiting, application=reader_date(application)
            ),
            DECISION_WITHIN_WAITING_ID,
        )
    months = full_months_between(application, on)
    if months < waiting:
        return no(
            _(
                "asylum seekers may not work during the first {waiting} months after the "
                "application ({months} months since {application})"
            ).format(waiting=waiting, months=months, application=reader_date(application)),
            then=_(
                "the right to work arises on {acquired} if no first-instance decision is "
                "notified before"
            ).format(acquired=reader_date(acquired)),
        )
    return None


def _asylum_seeker_right_ended(no: _Refusal, refusal: dt.date | None) -> Fact | None:
    """The "no" of an asylum seeker whose acquired right ended with a negative decision, if
    any. An appeal lodged in time keeps the right from the refusal on: the appeal period is
    suspensive too."""
    profile = no.situation.profile
    appeal_refusal = _known_by(profile.appeal_refusal_date, no.on)
    if appeal_refusal is not None:
        return no(
            _(
                "the Council for Alien Law Litigation's negative decision was notified on "
                "{date}: the right to work ended"
            ).format(date=reader_date(appeal_refusal)),
            KEPT_DURING_APPEAL_ID,
        )
    if refusal is not None and profile.appeal_lodged_date is None:
        return no(
            _(
                "a first-instance negative decision was notified on {refusal}: the right to "
                "work ended, unless a suspensive appeal is lodged with the Council for Alien "
                "Law Litigation (appeal_lodged_date)"
            ).format(refusal=reader_date(refusal)),
            KEPT_DURING_APPEAL_ID,
        )
    return None


def _asylum_seeker_may_work(
    regime: str,
    sources: tuple[Citation, ...],
    waiting: int,
    acquired: dt.date,
    refusal: dt.date | None,
    lodged: dt.date | None,
) -> Fact:
    """An asylum seeker past the waiting period, with no decision that ends the right: a
    type C permit or the automatic right, kept through a suspensive appeal."""
    reasons: list[str] = []
    if refusal is not None:
        reasons.append(
            _(
                "the right to work acquired on {acquired} lasts through the suspensive appeal "
                "lodged on {lodged} until the Council for Alien Law Litigation's negative "
                "decision is notified"
            ).format(acquired=reader_date(acquired), lodged=reader_date(lodged))
        )
    if regime == "work_permit_c":
        return Fact(
            "right_to_work",
            "with_permit",
            (
                _(
                    "no first-instance decision within {waiting} months of the application: an "
                    "asylum seeker may work as an employee with a type C work permit (one year, "
                    "renewable)"
                ).format(waiting=waiting),
                *reasons,
            ),
            sources,
        )
    return Fact(
        "right_to_work",
        "yes",
        (
            _(
                "no first-instance decision within {waiting} months of the application: the "
                "right to work is automatic and written on the residence document"
            ).format(waiting=waiting),
            *reasons,
            _("as an employee only: self-employment needs a professional card"),
        ),
        sources,
    )


def _procedure_ended(profile: Profile) -> tuple[str, ...]:
    end = procedure_end(profile)
    if profile.legal_status != "no_permit" or end is None:
        return ()
    if end == profile.appeal_refusal_date:
        return (
            _(
                "the asylum procedure ended when the Council for Alien Law Litigation's "
                "negative decision was notified on {date}"
            ).format(date=reader_date(end)),
        )
    if end == profile.asylum_refusal_date:
        return (
            _(
                "the asylum procedure ended with the first-instance negative decision notified "
                "on {date} (no appeal recorded)"
            ).format(date=reader_date(end)),
        )
    return (_("the asylum procedure ended on {date}").format(date=reader_date(end)),)


TRANSITIONAL_ID = "right_to_work.eu_citizen.transitional_work_permit"
SUBSEQUENT_ID = "right_to_work.asylum_seeker.subsequent_needs_admissibility"
DECISION_WITHIN_WAITING_ID = "right_to_work.asylum_seeker.decision_within_waiting_bars"
KEPT_DURING_APPEAL_ID = "right_to_work.asylum_seeker.kept_during_appeal"


def _known_by(day: dt.date | None, on: dt.date) -> dt.date | None:
    """An event of the procedure as known on a date: one that happens later does not count
    yet."""
    return day if day is not None and day <= on else None


def right_to_work_change_dates(situation: FactSource) -> tuple[dt.date, ...]:
    knowledge = situation.knowledge
    dates: set[dt.date] = set(legal_status_change_dates(situation.profile))
    for parameter_id, parameter in knowledge.parameters.items():
        if parameter_id.startswith("right_to_work."):
            dates.update(parameter.change_dates())
    profile = situation.profile
    application = profile.asylum_application_date
    if application is not None:
        waiting = _param(situation, "right_to_work.asylum_seeker.waiting_months")
        for months in _whole_numbers(waiting):
            dates.add(anniversary(application, months=months))
    if profile.admissibility_date is not None:
        dates.add(profile.admissibility_date)
    return tuple(sorted(dates))


# --- integration pathway -----------------------------------------------------------------


def _permit_months(situation: FactSource, status: str | None, on: dt.date) -> int | None:
    """The residence document's validity in months: an asylum seeker's document on a date
    before the decision, else the profile's permit while the person holds the status it
    belongs to, else the usual one for the status."""
    profile = situation.profile
    defaults = _value_on(situation, "integration_pathway.residence_permit_months_by_status", on)
    if not isinstance(defaults, dict):
        raise TypeError(f"defaults: expected dict, got {type(defaults).__name__}")
    if status in ("asylum_seeker", "no_permit"):
        # The asylum procedure's document is not a residence permit.
        return 0
    if profile.residence_permit_months is not None and status == profile.legal_status:
        # The profile's permit is the current one: it says nothing of earlier statuses.
        return profile.residence_permit_months
    if status in defaults:
        return int(defaults[status])
    return None


@dataclass
class _Checks:
    """The conditions of a fact checked one by one: the reasons that fail it, the answers
    missing to decide it, and the sources read."""

    sources: list[Citation]
    failing: list[str] = dataclasses.field(default_factory=list)
    unknown: list[str] = dataclasses.field(default_factory=list)
    missing: list[str] = dataclasses.field(default_factory=list)


def _pathway_not_in_force(situation: FactSource, on: dt.date) -> Fact:
    name = "integration_pathway"
    start = next(
        (
            v.valid_from
            for v in _param(situation, "integration_pathway.in_force").values
            if v.value is True
        ),
        None,
    )
    return Fact(
        name,
        "not_eligible",
        (_("the Brussels integration pathway starts on {start}").format(start=reader_date(start)),),
        _sources_on(situation, "integration_pathway.in_force", on),
    )


def _pathway_nationality(situation: FactSource, on: dt.date, checks: _Checks) -> None:
    profile = situation.profile
    knowledge = situation.knowledge
    # Newcomers from outside the European Union.
    checks.sources += _sources_on(situation, "integration_pathway.excluded_eu_nationals", on)
    if profile.nationality is None:
        checks.unknown.append(_("nationality not given"))
        checks.missing.append("nationality")
    elif _value_on(situation, "integration_pathway.excluded_eu_nationals", on) and (
        knowledge.is_eu_member(profile.nationality, on)
    ):
        checks.failing.append(
            _("{country} is a member state of the European Union on {on}").format(
                country=country_name(profile.nationality), on=reader_date(on)
            )
        )


def _pathway_permit(situation: FactSource, on: dt.date, checks: _Checks) -> int:
    """The permit's condition; returns the minimum months (exclusive)."""
    profile = situation.profile
    # A residence permit of more than three months.
    status = legal_status_on(profile, on)
    minimum = _int_on(situation, "integration_pathway.minimum_permit_months_exclusive", on)
    checks.sources += _sources_on(
        situation, "integration_pathway.minimum_permit_months_exclusive", on
    )
    months = _permit_months(situation, _status_text(status.value), on)
    if status.value == "asylum_seeker":
        checks.failing.append(
            _(
                "an asylum seeker holds no residence permit: the document of the asylum "
                "procedure is not one, and the pathway needs a permit of more than {minimum} "
                "months"
            ).format(minimum=minimum)
        )
    elif months is None:
        checks.unknown.append(_("validity of the residence permit not given"))
        checks.missing.extend(status.missing or ("residence_permit_months",))
    elif months <= minimum:
        checks.failing.append(
            _(
                "the residence permit is valid {months} months; more than {minimum} are needed"
            ).format(months=months, minimum=minimum)
        )
    return minimum


def _pathway_adult(situation: FactSource, on: dt.date, checks: _Checks) -> None:
    profile = situation.profile
    # Adults only.
    adult = _int_on(situation, ADULT_AGE_ID, on)
    checks.sources += _sources_on(situation, ADULT_AGE_ID, on)
    if profile.birth_date is None:
        checks.unknown.append(_("birth date not given: the pathway is for adults"))
        checks.missing.append("birth_date")
    elif full_years_between(profile.birth_date, on) < adult:
        checks.failing.append(
            _("aged {age}: the pathway is for adults ({adult} or older)").format(
                age=full_years_between(profile.birth_date, on), adult=adult
            )
        )


def _pathway_years(situation: FactSource, on: dt.date, checks: _Checks) -> int:
    """The years-in-Belgium condition; returns the maximum years (exclusive)."""
    profile = situation.profile
    # Legally in Belgium for less than three years.
    maximum = _int_on(situation, "integration_pathway.maximum_years_in_belgium_exclusive", on)
    checks.sources += _sources_on(
        situation, "integration_pathway.maximum_years_in_belgium_exclusive", on
    )
    if profile.arrival_in_belgium is None:
        checks.unknown.append(_("date of arrival in Belgium not given"))
        checks.missing.append("arrival_in_belgium")
    elif full_years_between(profile.arrival_in_belgium, on) >= maximum:
        checks.failing.append(
            _("in Belgium since {arrival}: {maximum} years or more").format(
                arrival=reader_date(profile.arrival_in_belgium), maximum=maximum
            )
        )
    return maximum


def _pathway_municipality(situation: FactSource, checks: _Checks) -> None:
    profile = situation.profile
    # Registered in one of the 19 Brussels municipalities.
    if profile.municipality is None:
        checks.unknown.append(_("municipality not given"))
        checks.missing.append("municipality")
    elif not profile.municipality_in_brussels:
        checks.failing.append(
            _("postcode {postcode} is outside the 19 Brussels municipalities").format(
                postcode=profile.municipality
            )
        )


def _pathway_obligation(
    situation: FactSource, on: dt.date, sources: list[Citation], eligible_reason: str
) -> Fact:
    """An eligible person's pathway: obliged, eligible (exempt), or unknown until the
    answers the exemptions depend on are given."""
    name = "integration_pathway"
    # The obligation: aged 18 to 64 when first entered in a Brussels foreigners' register
    # with a permit of more than three months, on or after its start date, unless exempt.
    obligation = _param(situation, "integration_pathway.obligation")
    obligation_start = next(v.valid_from for v in obligation.values if v.value is True)
    low = _int_on(situation, "integration_pathway.obligation_minimum_age", on)
    high = _int_on(situation, "integration_pathway.obligation_maximum_age_exclusive", on)
    for parameter_id in (
        "integration_pathway.obligation",
        "integration_pathway.obligation_minimum_age",
        "integration_pathway.obligation_maximum_age_exclusive",
        EXEMPT_NATIONALITIES_ID,
    ):
        sources += _sources_on(situation, parameter_id, on)
    exempt, unsettled = _obligation_exemptions(situation, on, obligation_start, low, high)
    if exempt:
        return Fact(name, "eligible", (eligible_reason, *exempt), tuple(sources))
    if unsettled:
        return Fact(
            name,
            None,
            (eligible_reason, _("whether the pathway is mandatory depends on missing answers")),
            tuple(sources),
            missing=tuple(unsettled),
            possible=("obliged", "eligible"),
        )
    return Fact(
        name,
        "obliged",
        (
            eligible_reason,
            _(
                "the pathway is mandatory for newcomers aged {low} to {high_minus_one} when "
                "first entered in a Brussels foreigners' register with a permit of more than "
                "three months from {start}, unless exempt"
            ).format(low=low, high_minus_one=high - 1, start=reader_date(obligation_start)),
        ),
        tuple(sources),
    )


def integration_pathway_on(situation: FactSource, on: dt.date) -> Fact:
    name = "integration_pathway"
    if not _value_on(situation, "integration_pathway.in_force", on):
        return _pathway_not_in_force(situation, on)
    checks = _Checks(list(_sources_on(situation, "integration_pathway.in_force", on)))
    _pathway_nationality(situation, on, checks)
    minimum = _pathway_permit(situation, on, checks)
    _pathway_adult(situation, on, checks)
    maximum = _pathway_years(situation, on, checks)
    _pathway_municipality(situation, checks)
    if checks.failing:
        return Fact(name, "not_eligible", tuple(checks.failing), tuple(checks.sources))
    if checks.unknown:
        return Fact(
            name,
            None,
            tuple(checks.unknown),
            tuple(checks.sources),
            missing=_unique(checks.missing),
        )

    eligible_reason = _(
        "an adult newcomer from outside the EU with a permit of more than {minimum} months, in "
        "Belgium for less than {maximum} years and registered in a Brussels municipality"
    ).format(minimum=minimum, maximum=maximum)
    if not _value_on(situation, "integration_pathway.obligation", on):
        return Fact(name, "eligible", (eligible_reason,), tuple(checks.sources))
    return _pathway_obligation(situation, on, checks.sources, eligible_reason)


def _obligation_exemptions(
    situation: FactSource, on: dt.date, start: dt.date, low: int, high: int
) -> tuple[list[str], list[str]]:
    """Why the obligation does not apply (reasons), and the answers it still depends on."""
    exempt: list[str] = []
    unsettled: list[str] = []
    _registration_exemption(situation.profile, on, start, exempt, unsettled)
    _age_exemption(situation.profile, low, high, exempt, unsettled)
    _nationality_exemption(situation, on, exempt)
    _declared_exemptions(situation.profile, exempt, unsettled)
    return exempt, unsettled


def _registration_exemption(
    profile: Profile, on: dt.date, start: dt.date, exempt: list[str], unsettled: list[str]
) -> None:
    """The first registration in Brussels: before the obligation began, or not yet."""
    registration = profile.first_registration_brussels
    if registration is None:
        unsettled.append("first_registration_brussels")
    elif registration < start:
        exempt.append(
            _(
                "first entered in a Brussels foreigners' register on {registration}, before the "
                "obligation began ({start})"
            ).format(registration=reader_date(registration), start=reader_date(start))
        )
    elif registration > on:
        exempt.append(
            _(
                "not yet entered in a Brussels foreigners' register with a permit of more than "
                "three months (from {registration})"
            ).format(registration=reader_date(registration))
        )


def _age_exemption(
    profile: Profile, low: int, high: int, exempt: list[str], unsettled: list[str]
) -> None:
    """The age at the first registration, outside [low, high)."""
    birth = profile.birth_date
    registration = profile.first_registration_brussels
    if birth is None:
        unsettled.append("birth_date")
    elif registration is not None:
        age = full_years_between(birth, registration)
        if not low <= age < high:
            exempt.append(
                _(
                    "aged {age} when first registered: the obligation applies from {low} to "
                    "{high_minus_one}"
                ).format(age=age, low=low, high_minus_one=high - 1)
            )
    elif (
        profile.arrival_in_belgium is not None
        and full_years_between(birth, profile.arrival_in_belgium) >= high
    ):
        # The first registration follows the arrival: the person was at least as old then.
        message = _("aged {high} or more on arrival: the obligation applies up to {high_minus_one}")
        exempt.append(message.format(high=high, high_minus_one=high - 1))


def _nationality_exemption(situation: FactSource, on: dt.date, exempt: list[str]) -> None:
    """Citizens of the EU, the EEA and Switzerland."""
    nationality = situation.profile.nationality
    exempt_nationalities = _value_on(situation, EXEMPT_NATIONALITIES_ID, on)
    if nationality is not None and (
        situation.knowledge.is_eu_member(nationality, on)
        or (isinstance(exempt_nationalities, list) and nationality in exempt_nationalities)
    ):
        exempt.append(
            _(
                "{country}: citizens of the European Union, the EEA and Switzerland are exempt "
                "from the obligation"
            ).format(country=nationality)
        )


def _declared_exemptions(profile: Profile, exempt: list[str], unsettled: list[str]) -> None:
    """The exemptions the person answers for: family of an EEA citizen, a certificate, other."""
    for field, reason in (
        (
            "family_of_eea_swiss_citizen",
            _("a family member of an EU, EEA or Swiss citizen is exempt from the obligation"),
        ),
        (
            "integration_certificate",
            _("an integration certificate already obtained exempts from the obligation"),
        ),
        ("integration_other_exemption", _("another legal exemption applies")),
    ):
        answer = getattr(profile, field)
        if answer is None:
            unsettled.append(field)
        elif answer:
            exempt.append(reason)


ADULT_AGE_ID = "integration_pathway.minimum_age"
EXEMPT_NATIONALITIES_ID = "integration_pathway.obligation_exempt_nationalities"


def integration_pathway_change_dates(situation: FactSource) -> tuple[dt.date, ...]:
    profile = situation.profile
    dates: set[dt.date] = set(legal_status_change_dates(profile))
    for parameter_id, parameter in situation.knowledge.parameters.items():
        if parameter_id.startswith("integration_pathway."):
            dates.update(parameter.change_dates())
    if profile.arrival_in_belgium is not None:
        maximum_years = _param(situation, "integration_pathway.maximum_years_in_belgium_exclusive")
        for years in _whole_numbers(maximum_years):
            dates.add(anniversary(profile.arrival_in_belgium, years=years))
    if profile.first_registration_brussels is not None:
        dates.add(profile.first_registration_brussels)
    if profile.birth_date is not None:
        for parameter_id in (
            ADULT_AGE_ID,
            "integration_pathway.obligation_minimum_age",
            "integration_pathway.obligation_maximum_age_exclusive",
        ):
            for years in _whole_numbers(_param(situation, parameter_id)):
                dates.add(anniversary(profile.birth_date, years=years))
    dates.update(situation.change_dates("eu_national"))
    return tuple(sorted(dates))


def _status_text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _unique(items: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


# --- shared ------------------------------------------------------------------------------

FACTS: dict[
    str, tuple[Callable[[FactSource, dt.date], Fact], Callable[[FactSource], tuple[dt.date, ...]]]
] = {
    "right_to_work": (right_to_work_on, right_to_work_change_dates),
    "integration_pathway": (integration_pathway_on, integration_pathway_change_dates),
}


def fact_on(situation: FactSource, name: str, on: dt.date) -> Fact:
    """The fact's value on a date (cached on the situation)."""
    key = (name, on)
    cached = situation.cached_fact(key)
    if isinstance(cached, Fact):
        return cached
    compute, _change_dates = FACTS[name]
    fact = compute(situation, on)
    situation.cache_fact(key, fact)
    return fact


def fact_change_dates(situation: FactSource, name: str) -> tuple[dt.date, ...]:
    key = (name, dt.date.min)
    cached = situation.cached_fact(key)
    if isinstance(cached, tuple):
        return cached
    dates = FACTS[name][1](situation)
    situation.cache_fact(key, dates)
    return dates


def fact_with_next_change(situation: FactSource, name: str, on: dt.date) -> Fact:
    """The fact on a date, with the first later date on which its value changes."""
    fact = fact_on(situation, name, on)
    for day in fact_change_dates(situation, name):
        if day <= on or day > COVERAGE_END:
            continue
        later = fact_on(situation, name, day)
        if not later.same_outcome(fact):
            return replace(fact, next_change=day, next_value=later.value)
    return fact
