"""How a profile's fields read on a date, one field at a time: the dates the rules cover,
durations, and the legal status over the asylum procedure. `situation.Situation` puts them
together with the derived facts (`facts`), which rest on this module too; keeping these
here lets `situation` import `facts` without a cycle.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from passerelle.core.profile import Profile
from passerelle.knowledge.dates import anniversary, full_months_between, full_years_between

COVERAGE_START = dt.date(2010, 1, 1)
"""The knowledge base covers dates from the period of the seed article onwards."""
COVERAGE_END = dt.date(2099, 12, 31)


class DateOutOfCoverageError(ValueError):
    def __init__(self, on: dt.date) -> None:
        super().__init__(
            f"on: {on} is outside the dates the rules cover ({COVERAGE_START} to {COVERAGE_END})"
        )


def check_coverage(on: dt.date) -> None:
    if not COVERAGE_START <= on <= COVERAGE_END:
        raise DateOutOfCoverageError(on)


Value = str | int | bool | None

FACT_NAMES = frozenset({"right_to_work", "integration_pathway"})


@dataclass(frozen=True)
class FieldValue:
    value: Value
    missing: tuple[str, ...] = ()
    possible: tuple[str, ...] = ()
    """For a derived fact that is unknown: the values it may still take."""


# Durations: field name -> (profile field holding the start date, unit).
DURATIONS: dict[str, tuple[str, str]] = {
    "age": ("birth_date", "years"),
    "years_in_belgium": ("arrival_in_belgium", "years"),
    "months_since_application": ("asylum_application_date", "months"),
    "years_since_first_registration_brussels": ("first_registration_brussels", "years"),
}


def duration_on(start: dt.date, unit: str, on: dt.date) -> int:
    if unit == "years":
        return full_years_between(start, on)
    return full_months_between(start, on)


def duration_reached(start: dt.date, unit: str, amount: int) -> dt.date:
    """The first date on which the duration from `start` reaches `amount`."""
    if unit == "years":
        return anniversary(start, years=amount)
    return anniversary(start, months=amount)


def procedure_end(profile: Profile) -> dt.date | None:
    """The date the asylum procedure ended, as far as the profile says: the decision date;
    for a person without a permit, the Council's negative decision on an appeal, or the
    first-instance refusal when no appeal was lodged."""
    if profile.asylum_decision_date is not None:
        return profile.asylum_decision_date
    if profile.legal_status != "no_permit":
        return None
    if profile.appeal_refusal_date is not None:
        return profile.appeal_refusal_date
    if profile.appeal_lodged_date is None:
        return profile.asylum_refusal_date
    return None


def legal_status_on(profile: Profile, on: dt.date) -> FieldValue:
    """The legal status on a date: an applicant is an asylum seeker from the application
    until the procedure ends, appeal included; from then on the person has the status the
    decision gave (refugee, protected person, or no permit after a refusal)."""
    status = profile.legal_status
    if status is None:
        return FieldValue(None, ("legal_status",))
    application = profile.asylum_application_date
    end = procedure_end(profile)
    if application is not None and on < application:
        # Before the application the profile says nothing about the person's status.
        return FieldValue(None, ("legal_status",))
    if end is not None and on < end:
        if application is None:
            return FieldValue(None, ("asylum_application_date",))
        status = "asylum_seeker"
    elif end is None and status == "no_permit" and profile.appeal_lodged_date is not None:
        # Refused on appeal, but the profile does not say when.
        if on < profile.appeal_lodged_date:
            status = "asylum_seeker"
        else:
            return FieldValue(None, ("appeal_refusal_date",))
    return FieldValue(status)


def legal_status_change_dates(profile: Profile) -> tuple[dt.date, ...]:
    return tuple(
        day
        for day in (
            profile.asylum_application_date,
            profile.asylum_decision_date,
            profile.asylum_refusal_date,
            profile.appeal_lodged_date,
            profile.appeal_refusal_date,
        )
        if day is not None
    )
