"""The sector calendar as iCalendar (RFC 5545), with the `icalendar` library.

Sources give how often meetings happen ("every month at BON") but not their days, and we
invent no dates: a monthly meeting is one all-day event spanning the month, repeated every
month, with a description that says to ask the organiser for the day. Meetings the sources
call "regular" without a rhythm are listed on the calendar page only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.utils import translation
from django.utils.translation import gettext as _
from icalendar import Calendar
from icalendar import Event as IcsEvent

from passerelle.knowledge.dates import anniversary
from passerelle.web.apps.directory.models import Event

FREQUENCIES = {"weekly": "WEEKLY", "monthly": "MONTHLY"}


def calendar_ics(events: Sequence[Event], language: str, today: dt.date) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", "-//passerelle//sector calendar//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", "passerelle")
    month_start = today.replace(day=1)
    for event in events:
        frequency = FREQUENCIES.get(event.recurrence)
        if frequency is None:
            continue
        entry = IcsEvent()
        entry.add("uid", f"{event.uuid}@passerelle")
        entry.add("summary", event.name(language))
        entry.add("dtstamp", dt.datetime.combine(today, dt.time(), tzinfo=dt.UTC))
        if frequency == "MONTHLY":
            entry.add("dtstart", month_start)
            entry.add("dtend", anniversary(month_start, months=1))
        else:
            week_start = today - dt.timedelta(days=today.weekday())
            entry.add("dtstart", week_start)
            entry.add("dtend", week_start + dt.timedelta(days=7))
        entry.add("rrule", {"freq": frequency})
        entry.add("transp", "TRANSPARENT")
        if event.venue is not None:
            entry.add("location", event.venue.name(language))
        with translation.override(language):
            rhythm = _("every month") if frequency == "MONTHLY" else _("every week")
            description = _(
                "%(organiser)s, %(rhythm)s. The day is set by the organiser: ask them."
            ) % {"organiser": event.organiser.name(language), "rhythm": rhythm}
        entry.add("description", description)
        calendar.add_component(entry)
    return bytes(calendar.to_ical())
