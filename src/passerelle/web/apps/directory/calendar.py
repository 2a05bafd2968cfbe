"""The sector calendar: each event's next dates for the page, and the whole calendar as
iCalendar (RFC 5545, with the `icalendar` library) for the feed.

An event with a schedule (knowledge `EventSchedule`) is dated: the feed holds it from its
next date with its recurrence rule (every month on the first Tuesday: FREQ=MONTHLY;BYDAY=1TU).
Sources often say how often a meeting happens but not the day; such a schedule is an
assumption and says so, on the page and in the feed. An event without a schedule that
recurs every week or month spans the current week or month, repeated, with a description
that says to ask the organiser for the day. One with neither schedule nor rhythm (an event
an organisation entered as "regularly") has no date to give and is on the page only; every
event of the knowledge base has a schedule, so the feed holds all of them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _
from icalendar import Calendar
from icalendar import Event as IcsEvent

from passerelle.core.schedule import next_dates, recurrence_rule
from passerelle.knowledge.dates import anniversary
from passerelle.knowledge.model import EventSchedule
from passerelle.web.apps.directory.models import Event

FREQUENCIES = {"weekly": "WEEKLY", "monthly": "MONTHLY"}
SHOWN_DATES = 3
"""How many next dates the calendar page shows per event."""


def event_schedule(event: Event) -> EventSchedule | None:
    return EventSchedule.model_validate(event.schedule) if event.schedule else None


def calendar_entries(events: Sequence[Event], today: dt.date) -> list[dict[str, Any]]:
    """What the calendar page lists: each event, its next dates and whether the day is an
    assumption (with the note that says what the sources give)."""
    entries: list[tuple[dt.date, str, dict[str, Any]]] = []
    for event in events:
        schedule = event_schedule(event)
        dates = next_dates(schedule, today, SHOWN_DATES) if schedule else []
        note = schedule.note if schedule else None
        entry = {
            "event": event,
            "dates": dates,
            "assumption": schedule.assumption if schedule else False,
            "note": note.model_dump(exclude_none=True) if note else None,
        }
        entries.append((dates[0] if dates else dt.date.max, event.slug, entry))
    # The soonest first; events with no known date last.
    return [entry for _first, _slug, entry in sorted(entries, key=lambda row: row[:2])]


def _description(event: Event, schedule: EventSchedule | None, language: str) -> str:
    with translation.override(language):
        organiser = event.organiser.name(language)
        if schedule is not None:
            text = organiser
            if schedule.assumption and schedule.note is not None:
                text += ". " + _("Assumed day, not given by the sources:") + " "
                text += schedule.note.get(language)
            return text
        rhythm = {
            "monthly": _("every month"),
            "weekly": _("every week"),
            "regularly": _("regularly"),
        }.get(event.recurrence, _("once"))
        return _("%(organiser)s, %(rhythm)s. The day is set by the organiser: ask them.") % {
            "organiser": organiser,
            "rhythm": rhythm,
        }


def calendar_ics(events: Sequence[Event], language: str, today: dt.date) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", "-//passerelle//sector calendar//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", "passerelle")
    month_start = today.replace(day=1)
    for event in events:
        schedule = event_schedule(event)
        entry = IcsEvent()
        entry.add("uid", f"{event.uuid}@passerelle")
        entry.add("summary", event.name(language))
        entry.add("dtstamp", dt.datetime.combine(today, dt.time(), tzinfo=dt.UTC))
        frequency = FREQUENCIES.get(event.recurrence)
        if schedule is not None:
            first = next_dates(schedule, today, 1)[0]
            entry.add("dtstart", first)
            entry.add("dtend", first + dt.timedelta(days=1))
            entry.add("rrule", recurrence_rule(schedule))
        elif frequency == "MONTHLY":
            entry.add("dtstart", month_start)
            entry.add("dtend", anniversary(month_start, months=1))
            entry.add("rrule", {"freq": frequency})
            entry.add("transp", "TRANSPARENT")
        elif frequency == "WEEKLY":
            week_start = today - dt.timedelta(days=today.weekday())
            entry.add("dtstart", week_start)
            entry.add("dtend", week_start + dt.timedelta(days=7))
            entry.add("rrule", {"freq": frequency})
            entry.add("transp", "TRANSPARENT")
        else:
            continue
        if event.venue is not None:
            entry.add("location", event.venue.name(language))
        entry.add("description", _description(event, schedule, language))
        calendar.add_component(entry)
    return bytes(calendar.to_ical())
