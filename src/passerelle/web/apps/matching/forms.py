"""Forms of the matching pages: they only collect text; the services validate
(`schemas.py`) and their field errors are put back on the form (`add_errors`)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from passerelle.web.apps.matching.models import Cefr, KindChoices
from passerelle.web.apps.matching.services import ROUND_DEFAULTS
from passerelle.web.common.forms import DateInput, set_choices

DATE = DateInput()


def add_errors(form: forms.Form, errors: dict[str, str]) -> None:
    for name, message in errors.items():
        form.add_error(
            name if name in form.fields else None,
            f"{name}: {message}" if name not in form.fields else message,
        )


class RoundForm(forms.Form):
    programme = forms.ChoiceField(label=_("Programme"))
    kind = forms.ChoiceField(label=_("What to match"), choices=KindChoices.choices)
    on = forms.DateField(
        label=_("Round date (the rules are asked on each start date)"), widget=DATE
    )
    min_score = forms.FloatField(
        label=_("Minimum score (0 to 100)"), initial=ROUND_DEFAULTS.min_score, required=False
    )
    waiting_priority = forms.BooleanField(
        label=_("Priority to those waiting longest"),
        required=False,
        initial=ROUND_DEFAULTS.waiting_priority,
    )
    balance_organisations = forms.BooleanField(
        label=_("Balance across referring organisations"),
        required=False,
        initial=ROUND_DEFAULTS.balance_organisations,
    )

    def __init__(self, *args: Any, programmes: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self, "programme", programmes)


class MentorForm(forms.Form):
    label = forms.CharField(label=_("Name or initials"), max_length=80)
    age = forms.IntegerField(label=_("Age"))
    retired = forms.BooleanField(label=_("Retired"), required=False, initial=True)
    occupations = forms.CharField(
        label=_("Former occupations (ISCO-08 codes, separated by spaces)"), required=False
    )
    sectors = forms.CharField(
        label=_("Sectors (ISCO-08 major groups, 1 or 2 digits)"), required=False
    )
    languages = forms.CharField(
        label=_("Languages and levels"), help_text=_("For example: fr:C2 nl:B2 en:B1")
    )
    mentee_level = forms.ChoiceField(
        label=_("Level a mentee needs in one of these languages"),
        choices=Cefr.choices,
        initial="A2",
    )
    municipality = forms.CharField(label=_("Municipality"), required=False)
    available_from = forms.DateField(label=_("Available from"), required=False, widget=DATE)
    available_to = forms.DateField(label=_("Available until"), required=False, widget=DATE)
    max_mentees = forms.IntegerField(label=_("Mentees at once"), initial=1)
    active = forms.BooleanField(label=_("Open for matching"), required=False, initial=True)


class OfferForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=120)
    programme = forms.ChoiceField(label=_("Programme"))
    occupation = forms.CharField(label=_("Field (ISCO-08 code)"), required=False)
    working_language = forms.CharField(label=_("Working language (code)"), initial="en")
    language_level = forms.ChoiceField(
        label=_("Minimum level in the working language"), choices=Cefr.choices, initial="B1"
    )
    municipality = forms.CharField(label=_("Municipality"), required=False)
    start_date = forms.DateField(label=_("First day"), widget=DATE)
    end_date = forms.DateField(
        label=_("Last day"),
        required=False,
        widget=DATE,
        help_text=_("Empty: two weeks from the first day."),
    )
    allowance = forms.DecimalField(label=_("Allowance (euros a day)"), required=False)
    places = forms.IntegerField(label=_("Places"), initial=1)
    active = forms.BooleanField(label=_("Open for matching"), required=False, initial=True)

    def __init__(self, *args: Any, programmes: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self, "programme", programmes)


class VacancyForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=120)
    programme = forms.ChoiceField(label=_("Published through the programme"), required=False)
    occupation = forms.CharField(label=_("Occupation (ISCO-08 code)"))
    languages = forms.CharField(
        label=_("Accepted languages and minimum levels (any one suffices)"),
        required=False,
        help_text=_("For example: fr:B1 nl:B1"),
    )
    diploma_isced_required = forms.IntegerField(
        label=_("Minimum diploma (ISCED level 0 to 8)"), required=False
    )
    recognition_required = forms.BooleanField(
        label=_("A foreign diploma must be recognised"), required=False
    )
    driving_licence_required = forms.BooleanField(
        label=_("Driving licence required"), required=False
    )
    municipality = forms.CharField(label=_("Municipality"), required=False)
    start_date = forms.DateField(label=_("Start date"), widget=DATE)
    posts = forms.IntegerField(label=_("Posts"), initial=1)
    active = forms.BooleanField(label=_("Open for matching"), required=False, initial=True)

    def __init__(self, *args: Any, programmes: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self, "programme", [("", "—"), *programmes])


class MoveForm(forms.Form):
    slot = forms.ChoiceField(label=_("Propose instead"))

    def __init__(self, *args: Any, slots: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self, "slot", slots)
