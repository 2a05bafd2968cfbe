"""The public forms: directory filters and the "What can I do?" finder."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django import forms
from django.utils.translation import gettext_lazy as _

from passerelle.knowledge.criteria import CEFR_LEVELS
from passerelle.knowledge.model import LANGUAGES_OF_THE_PLATFORM
from passerelle.web.apps.directory.labels import (
    CATEGORY_LABELS,
    LANGUAGE_LABELS,
    LEGAL_STATUS_LABELS,
    WHO_LABELS,
)
from passerelle.web.apps.directory.selectors import CATEGORIES, municipalities

FINDER_LANGUAGES = LANGUAGES_OF_THE_PLATFORM
EDUCATION_CHOICES = [
    ("", _("I prefer not to say")),
    ("1", _("Primary school")),
    ("2", _("Lower secondary school")),
    ("3", _("Upper secondary school")),
    ("4", _("Post-secondary, non-university")),
    ("6", _("Bachelor's degree or equivalent")),
    ("7", _("Master's degree or equivalent")),
    ("8", _("Doctorate")),
]


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

Choices = list[tuple[str, "StrOrPromise"]]


def municipality_choices() -> Choices:
    return [
        ("", _("Choose")),
        *[(mid, f"{fr} / {nl}" if fr != nl else fr) for mid, fr, nl in municipalities()],
        ("outside", _("Outside Brussels")),
    ]


class DirectoryFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    what = forms.ChoiceField(
        label=_("What"),
        required=False,
        choices=[("", _("Everything")), *[(c, CATEGORY_LABELS[c]) for c in CATEGORIES]],
    )
    language = forms.ChoiceField(
        label=_("Language of service"),
        required=False,
        choices=[("", _("Any language")), *[(c, LANGUAGE_LABELS[c]) for c in FINDER_LANGUAGES]],
    )
    municipality = forms.ChoiceField(label=_("Municipality"), required=False, choices=())
    who = forms.ChoiceField(
        label=_("For whom"),
        required=False,
        choices=[("", _("Everyone")), *WHO_LABELS.items()],
    )
    on = forms.DateField(label=_("Active on"), required=False, widget=DateInput())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = municipality_choices()[:-1]
        choices[0] = ("", _("All municipalities"))
        self._choice_field("municipality").choices = choices

    def _choice_field(self, name: str) -> forms.ChoiceField:
        field = self.fields[name]
        assert isinstance(field, forms.ChoiceField)
        return field


class FinderForm(forms.Form):
    """Plain questions; every one optional. Nothing entered here is stored."""

    legal_status = forms.ChoiceField(
        label=_("What is your situation?"),
        required=False,
        choices=[("", _("I do not know / I prefer not to say")), *LEGAL_STATUS_LABELS.items()],
    )
    asylum_application_date = forms.DateField(
        label=_("When did you apply for asylum?"), required=False, widget=DateInput()
    )
    asylum_decision_date = forms.DateField(
        label=_("When did you receive the decision?"),
        required=False,
        widget=DateInput(),
        help_text=_("Only if you have received a decision."),
    )
    birth_date = forms.DateField(label=_("Your birth date"), required=False, widget=DateInput())
    nationality = forms.CharField(
        label=_("Your nationality (country code, e.g. SY, AF, ER)"),
        required=False,
        max_length=2,
        min_length=2,
    )
    arrival_in_belgium = forms.DateField(
        label=_("When did you arrive in Belgium?"), required=False, widget=DateInput()
    )
    first_registration_brussels = forms.DateField(
        label=_("When were you first registered in a Brussels municipality?"),
        required=False,
        widget=DateInput(),
    )
    municipality = forms.ChoiceField(label=_("Where do you live?"), required=False, choices=())
    postcode = forms.RegexField(
        label=_("Postcode, if outside Brussels"),
        required=False,
        regex=r"^\d{4}$",
        error_messages={"invalid": _("A Belgian postcode has 4 digits.")},
    )
    residence_permit_months = forms.IntegerField(
        label=_("How many months is your residence permit valid?"),
        required=False,
        min_value=0,
        max_value=1200,
    )
    labour_market_access = forms.ChoiceField(
        label=_("What does your residence card say about access to work?"),
        required=False,
        choices=[
            ("", _("I do not know / not written")),
            ("unlimited", _("Unlimited")),
            ("limited", _("Limited")),
            ("none", _("None")),
        ],
    )
    migration_background = forms.ChoiceField(
        label=_("Were you or one of your parents born outside Belgium?"),
        required=False,
        choices=[("", _("I prefer not to say")), ("yes", _("Yes")), ("no", _("No"))],
    )
    education_isced = forms.ChoiceField(
        label=_("Your highest education"), required=False, choices=EDUCATION_CHOICES
    )
    on = forms.DateField(
        label=_("On which date?"),
        required=False,
        widget=DateInput(),
        help_text=_("Leave empty for today."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        municipality = self.fields["municipality"]
        assert isinstance(municipality, forms.ChoiceField)
        municipality.choices = municipality_choices()
        level_choices = [("", _("Not at all")), *[(level, level) for level in CEFR_LEVELS]]
        for code in FINDER_LANGUAGES:
            self.fields[f"language_{code}"] = forms.ChoiceField(
                label=LANGUAGE_LABELS[code], required=False, choices=level_choices
            )

    def language_fields(self) -> list[forms.BoundField]:
        return [self[f"language_{code}"] for code in FINDER_LANGUAGES]

    def profile_data(self) -> dict[str, Any]:
        """The profile JSON the rules engine takes (see docs/cli.md)."""
        data = self.cleaned_data
        profile: dict[str, Any] = {}
        for name in (
            "legal_status",
            "asylum_application_date",
            "asylum_decision_date",
            "birth_date",
            "arrival_in_belgium",
            "first_registration_brussels",
            "residence_permit_months",
            "labour_market_access",
        ):
            value = data.get(name)
            if value not in (None, ""):
                profile[name] = value.isoformat() if isinstance(value, dt.date) else value
        if data.get("nationality"):
            profile["nationality"] = data["nationality"].upper()
        if data.get("municipality") == "outside":
            if data.get("postcode"):
                profile["municipality"] = data["postcode"]
        elif data.get("municipality"):
            profile["municipality"] = data["municipality"]
        if data.get("migration_background"):
            profile["migration_background"] = data["migration_background"] == "yes"
        if data.get("education_isced"):
            profile["education_isced"] = int(data["education_isced"])
        levels = {code: data.get(f"language_{code}") for code in FINDER_LANGUAGES}
        if any(levels.values()):
            profile["languages"] = {code: level for code, level in levels.items() if level}
        return profile
