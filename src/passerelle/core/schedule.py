"""The dates of a recurring event from its schedule (knowledge `EventSchedule`): the next
dates the calendar page shows and the iCalendar rule of the feed, computed once here."""

from __future__ import annotations

import datetime as dt

from passerelle.knowledge.model import WEEKDAYS, EventSchedule


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> dt.date:
    first = dt.date(year, month, 1)
    offset = (weekday - first.weekday()) % 7
    return first + dt.timedelta(days=offset + 7 * (n - 1))


def next_dates(schedule: EventSchedule, on: dt.date, count: int) -> list[dt.date]:
    """The first `count` dates of the schedule on or after `on` (and `schedule.starts`)."""
    start = max(on, schedule.starts)
    weekday = WEEKDAYS.index(schedule.weekday)
    dates: list[dt.date] = []
    if schedule.frequency == "weekly":
        day = start + dt.timedelta(days=(weekday - start.weekday()) % 7)
        while len(dates) < count:
            dates.append(day)
            day += dt.timedelta(days=7)
        return dates
    if schedule.week_of_month is None:
        raise ValueError("week_of_month: required for a monthly schedule")
    year, month = start.year, start.month
    for _month in range(count + 2):
        day = _nth_weekday(year, month, weekday, schedule.week_of_month)
        if day >= start:
            dates.append(day)
        if len(dates) == count:
            break
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return dates


def recurrence_rule(schedule: EventSchedule) -> dict[str, str]:
    """The schedule as an RFC 5545 RRULE (the keys `icalendar` takes): "every month on the
    first Tuesday" is FREQ=MONTHLY;BYDAY=1TU."""
    if schedule.frequency == "weekly":
        return {"freq": "WEEKLY", "byday": schedule.weekday}
    return {"freq": "MONTHLY", "byday": f"{schedule.week_of_month}{schedule.weekday}"}
