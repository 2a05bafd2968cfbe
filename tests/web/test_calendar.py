"""The calendar shows each event's next dates, labelled when the day is assumed, and its
iCalendar feed holds every event with its recurrence rule (issue 18, item 5)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client
from django.utils import timezone
from icalendar import Calendar

from passerelle.knowledge.loader import load_knowledge
from passerelle.web.apps.directory.services import LoadReport

pytestmark = pytest.mark.django_db


def _knowledge_events() -> set[str]:
    knowledge = load_knowledge()
    return {event.id for p in knowledge.partnerships.values() for event in p.events}


def test_the_feed_holds_every_event_with_its_rule(loaded_directory: LoadReport) -> None:
    calendar = Calendar.from_ical(Client().get("/calendar.ics").content)
    events = list(calendar.walk("VEVENT"))
    expected = _knowledge_events()
    assert len(expected) >= 3
    assert len(events) == len(expected)
    today = timezone.localdate()
    for event in events:
        start = event.decoded("dtstart")
        assert isinstance(start, dt.date)
        assert today <= start < today + dt.timedelta(days=62)
        rule = event.get("rrule")
        assert rule["FREQ"] == ["MONTHLY"]
        assert rule["BYDAY"]
        assert "Be.Face" in str(event.get("description"))
    locations = {str(event.get("location")) for event in events}
    assert {"BON", "Convivial"} <= {name.split(" ")[0] for name in locations}


def test_the_page_shows_next_dates_and_says_the_day_is_assumed(
    loaded_directory: LoadReport,
) -> None:
    client = Client()
    client.cookies["passerelle_language"] = "en"
    html = client.get("/calendar/").content.decode()
    shown = set(re.findall(r'<li class="card" data-event="([\w-]+)">', html))
    assert shown == _knowledge_events()
    days = re.findall(r'<time datetime="(\d{4}-\d{2}-\d{2})">', html)
    assert len(days) == 3 * len(_knowledge_events())
    today = timezone.localdate()
    assert all(dt.date.fromisoformat(day) >= today for day in days)
    assert html.count("Next dates (assumed day):") == len(_knowledge_events())
    assert "is an assumption of this platform: confirm the day with Be.Face" in html
