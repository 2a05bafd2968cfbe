"""How many people a programme takes in a period, and how long one waits.

An organisation sets its programmes' places per period (`ProgrammeCapacity`); where it has
not, the knowledge base's figure applies where a source gives one (places per year or per
month), over the calendar year or month. Without either, the capacity is unknown and no
referral goes to the waiting list.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Avg, DurationField, ExpressionWrapper, F

from passerelle.web.apps.directory.models import Programme
from passerelle.web.apps.referrals.models import (
    HOLDS_A_PLACE,
    ProgrammeCapacity,
    Referral,
    State,
)

Period = tuple[dt.date, dt.date]


def _set_capacity(programme: Programme, on: dt.date) -> ProgrammeCapacity | None:
    return (
        ProgrammeCapacity.objects.filter(
            programme=programme, period_start__lte=on, period_end__gte=on
        )
        .order_by("-period_start")
        .first()
    )


def intake_on(programme: Programme, on: dt.date) -> tuple[Period, int | None]:
    """The intake period containing `on` and its places: the organisation's, else the
    knowledge base's figure over the calendar year (or month, for a figure per month);
    places None when neither says."""
    own = _set_capacity(programme, on)
    if own is not None:
        return (own.period_start, own.period_end), own.places
    known = programme.capacity or {}
    if known.get("per") == "month":
        last = calendar.monthrange(on.year, on.month)[1]
        period = (on.replace(day=1), on.replace(day=last))
    else:
        period = (dt.date(on.year, 1, 1), dt.date(on.year, 12, 31))
    value = known.get("value")
    places = (
        int(value)
        if known.get("per") in ("year", "month") and isinstance(value, int | float)
        else None
    )
    return period, places


@dataclass(frozen=True)
class Waiting:
    places: int | None
    taken: int
    waitlisted: int
    average_answer_days: float | None

    @property
    def full(self) -> bool:
        return self.places is not None and self.taken >= self.places


def waiting_on(programme: Programme, on: dt.date) -> Waiting:
    """What a caseworker sees before choosing where to refer: places and places taken in
    the period of `on`, people waiting, and how long answers took lately."""
    period, places = intake_on(programme, on)
    referrals = Referral.objects.filter(programme=programme)
    taken = referrals.filter(
        state__in=HOLDS_A_PLACE, planned_start__gte=period[0], planned_start__lte=period[1]
    ).count()
    answered = referrals.filter(answered_at__isnull=False, sent_at__isnull=False).annotate(
        delay=ExpressionWrapper(F("answered_at") - F("sent_at"), output_field=DurationField())
    )
    average = answered.aggregate(average=Avg("delay"))["average"]
    return Waiting(
        places=places,
        taken=taken,
        waitlisted=referrals.filter(state=State.WAITLISTED).count(),
        average_answer_days=None if average is None else average.total_seconds() / 86400,
    )


def capacity_set(
    *, programme: Programme, period_start: dt.date, period_end: dt.date, places: int, by: Any
) -> ProgrammeCapacity:
    from passerelle.web.apps.people.schemas import PersonDataError

    if period_end < period_start:
        raise PersonDataError({"period_end": "must be on or after period_start"})
    if places < 0:
        raise PersonDataError({"places": "must be 0 or more"})
    capacity, _ = ProgrammeCapacity.objects.update_or_create(
        programme=programme,
        period_start=period_start,
        defaults={"period_end": period_end, "places": places, "set_by": by},
    )
    return capacity
