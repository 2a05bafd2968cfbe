"""The next dates of a recurring event and its iCalendar rule (issue 18, item 5)."""

from __future__ import annotations

import datetime as dt

import pytest
from pydantic import ValidationError

from passerelle.core.schedule import next_dates, recurrence_rule
from passerelle.knowledge.model import EventSchedule

FIRST_TUESDAY = EventSchedule(
    frequency="monthly",
    weekday="TU",
    week_of_month=1,
    starts=dt.date(2019, 3, 1),
    assumption=True,
    note={"en": "The day is assumed."},  # type: ignore[arg-type]
)


def test_the_first_tuesdays_after_a_date() -> None:
    # 1 December 2026 is a Tuesday: from the 2nd, the next first Tuesday is in January.
    assert next_dates(FIRST_TUESDAY, dt.date(2026, 12, 1), 2) == [
        dt.date(2026, 12, 1),
        dt.date(2027, 1, 5),
    ]
    assert next_dates(FIRST_TUESDAY, dt.date(2026, 12, 2), 3) == [
        dt.date(2027, 1, 5),
        dt.date(2027, 2, 2),
        dt.date(2027, 3, 2),
    ]


def test_nothing_before_the_schedule_starts() -> None:
    assert next_dates(FIRST_TUESDAY, dt.date(2018, 6, 1), 1) == [dt.date(2019, 3, 5)]


def test_weekly_and_the_rules() -> None:
    weekly = EventSchedule(
        frequency="weekly", weekday="FR", starts=dt.date(2020, 1, 1), assumption=False
    )
    assert next_dates(weekly, dt.date(2026, 12, 7), 2) == [
        dt.date(2026, 12, 11),
        dt.date(2026, 12, 18),
    ]
    assert recurrence_rule(weekly) == {"freq": "WEEKLY", "byday": "FR"}
    assert recurrence_rule(FIRST_TUESDAY) == {"freq": "MONTHLY", "byday": "1TU"}


def test_a_bad_schedule_names_the_field() -> None:
    with pytest.raises(ValidationError, match="week_of_month"):
        EventSchedule(
            frequency="monthly", weekday="TU", starts=dt.date(2020, 1, 1), assumption=False
        )
    with pytest.raises(ValidationError, match="note: required"):
        EventSchedule(frequency="weekly", weekday="TU", starts=dt.date(2020, 1, 1), assumption=True)
