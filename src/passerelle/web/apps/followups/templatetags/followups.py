"""The follow-ups of a file as sentences, for its timeline."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.formats import date_format
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from passerelle.web.apps.followups.access import follow_ups_of_file
from passerelle.web.apps.followups.forms import ParticipationForm
from passerelle.web.apps.followups.models import FollowUp, FollowUpState
from passerelle.web.apps.followups.views import own_programmes
from passerelle.web.apps.people.access import PersonAccess

register = template.Library()


def iso_date(day: Any) -> str:
    """A date as the reader's language writes it (as the `iso_date` filter of the pages)."""
    return date_format(day, "DATE_FORMAT") if day else ""


@register.inclusion_tag("followups/_file_follow_ups.html")
def file_follow_ups(found: PersonAccess) -> dict[str, Any]:
    """The follow-ups of the file, to the organisation that holds it, and the form that
    records a participation in one of its programmes."""
    programmes = own_programmes(found.actor) if found.relation == "own" else []
    return {
        "follow_ups": follow_ups_of_file(found),
        "found": found,
        "participation_form": ParticipationForm(programmes=programmes) if programmes else None,
    }


def _situation_words(follow_up: FollowUp) -> str:
    words = str(follow_up.get_situation_display())
    details = []
    if follow_up.contract_type:
        details.append(str(follow_up.get_contract_type_display()))
    if follow_up.hours_per_week is not None:
        hours = f"{follow_up.hours_per_week.normalize():f}"
        details.append(_("{hours} hours a week").format(hours=hours))
    return f"{words} ({', '.join(details)})" if details else words


@register.filter
def follow_up_sentence(follow_up: FollowUp) -> str:
    """What a follow-up says, in words: when it is due, what was recorded and by whom, or
    why it was cancelled."""
    about = _("{months} months after {programme} (ended on {ended})").format(
        months=follow_up.months,
        programme=follow_up.programme.name(get_language() or "fr"),
        ended=iso_date(follow_up.ended_on),
    )
    if follow_up.state == FollowUpState.RECORDED:
        return _("Follow-up {about}: on {date}, {situation}; recorded by {who}.").format(
            about=about,
            date=iso_date(follow_up.situation_on),
            situation=_situation_words(follow_up),
            who=follow_up.recorded_by_label,
        )
    if follow_up.state == FollowUpState.CANCELLED:
        return _("Follow-up {about}: cancelled on {date}: {reason}.").format(
            about=about,
            date=iso_date(follow_up.cancelled_on),
            reason=follow_up.get_cancel_reason_display(),
        )
    return _("Follow-up {about}: due on {date}.").format(
        about=about, date=iso_date(follow_up.due_on)
    )
