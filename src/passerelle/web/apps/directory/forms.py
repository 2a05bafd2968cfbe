"""The public forms: directory filters and the "What can I do?" finder."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django import forms
from django.utils.translation import gettext_lazy as _

from passerelle.core.profile import EVENT_DATES
from passerelle.knowledge.criteria import CEFR_LEVELS
from passerelle.knowledge.model import LANGUAGES_OF_THE_PLATFORM
from passerelle.web.apps.directory.selectors import CATEGORIES, municipalities
from passerelle.web.common.forms import DateInput
from passerelle.web.common.labels import (
    CATEGORY_LABELS,
    LANGUAGE_LABELS,
    LEGAL_STATUS_LABELS,
    WHO_LABELS,
)

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


YES_NO_CHOICES = [
    ("", _("I do not know / I prefer not to say")),
    ("yes", _("Yes")),
    ("no", _("No")),
]
PROCEDURE_FIELDS = (
    "asylum_refusal_date",
    "appeal_lodged_date",
    "appeal_refusal_date",
    "subsequent_application",
    "admissibility_date",
)
EXEMPTION_FIELDS = (
    "family_of_eea_swiss_citizen",
    "integration_certificate",
    "integration_other_exemption",
)
YES_NO_FIELDS = ("subsequent_application", *EXEMPTION_FIELDS)


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
        if not isinstance(field, forms.ChoiceField):
            raise TypeError(f"field: expected forms.ChoiceField, got {type(field).__name__}")
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
    # The asylum procedure's later steps: asked under "your asylum procedure", opened when
    # the situation is an asylum seeker's or a refused applicant's (see `procedure_open`).
    asylum_refusal_date = forms.DateField(
        label=_("When were you told that your asylum application was refused?"),
        required=False,
        widget=DateInput(),
        help_text=_("The first negative decision (refusal or inadmissibility), if there was one."),
    )
    appeal_lodged_date = forms.DateField(
        label=_("When did you appeal to the Council for Alien Law Litigation (CCE / RvV)?"),
        required=False,
        widget=DateInput(),
    )
    appeal_refusal_date = forms.DateField(
        label=_("When were you told that the Council refused your appeal?"),
        required=False,
        widget=DateInput(),
    )
    subsequent_application = forms.ChoiceField(
        label=_("Is your asylum application a new one, after an earlier application?"),
        required=False,
        choices=YES_NO_CHOICES,
    )
    admissibility_date = forms.DateField(
        label=_("When was the new application declared admissible?"),
        required=False,
        widget=DateInput(),
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
        label=_(
            "When were you first entered in the foreigners' register of a Brussels "
            "municipality with a residence permit of more than three months?"
        ),
        required=False,
        widget=DateInput(),
        help_text=_(
            "Not the registration while your asylum application was examined: for a "
            "recognised refugee, the registration after the decision."
        ),
    )
    # Exemptions from the integration obligation (asked when the obligation depends on them).
    family_of_eea_swiss_citizen = forms.ChoiceField(
        label=_(
            "Are you the family member of a citizen of the European Union, Iceland, "
            "Liechtenstein, Norway or Switzerland (F card)?"
        ),
        required=False,
        choices=YES_NO_CHOICES,
    )
    integration_certificate = forms.ChoiceField(
        label=_("Do you already have an integration certificate from a Belgian region?"),
        required=False,
        choices=YES_NO_CHOICES,
    )
    integration_other_exemption = forms.ChoiceField(
        label=_(
            "Does another legal exemption from the integration obligation apply to you "
            "(for example a medical certificate)?"
        ),
        required=False,
        choices=YES_NO_CHOICES,
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
        if not isinstance(municipality, forms.ChoiceField):
            raise TypeError(
                f"municipality: expected forms.ChoiceField, got {type(municipality).__name__}"
            )
        municipality.choices = municipality_choices()
        level_choices = [("", _("Not at all")), *[(level, level) for level in CEFR_LEVELS]]
        for code in FINDER_LANGUAGES:
            self.fields[f"language_{code}"] = forms.ChoiceField(
                label=LANGUAGE_LABELS[code], required=False, choices=level_choices
            )

    def language_fields(self) -> list[forms.BoundField]:
        return [self[f"language_{code}"] for code in FINDER_LANGUAGES]

    def procedure_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in PROCEDURE_FIELDS]

    def exemption_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in EXEMPTION_FIELDS]

    def procedure_open(self) -> bool:
        """The asylum procedure's questions matter to an asylum seeker or a refused
        applicant, or once one of them is answered."""
        return self._answered(PROCEDURE_FIELDS) or self._value("legal_status") in (
            "asylum_seeker",
            "no_permit",
        )

    def exemptions_open(self, missing: list[str] | None = None) -> bool:
        """The exemptions matter when the obligation depends on them."""
        return self._answered(EXEMPTION_FIELDS) or any(
            name in EXEMPTION_FIELDS for name in missing or ()
        )

    def _value(self, name: str) -> Any:
        return self[name].value()

    def _answered(self, names: tuple[str, ...]) -> bool:
        return any(self._value(name) not in (None, "") for name in names)

    def profile_data(self) -> dict[str, Any]:
        """The profile JSON the rules engine takes (see docs/cli.md)."""
        data = self.cleaned_data
        profile: dict[str, Any] = {}
        for name in (
            "legal_status",
            "birth_date",
            *EVENT_DATES,
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
        for name in ("migration_background", *YES_NO_FIELDS):
            if data.get(name):
                profile[name] = data[name] == "yes"
        if data.get("education_isced"):
            profile["education_isced"] = int(data["education_isced"])
        levels = {code: data.get(f"language_{code}") for code in FINDER_LANGUAGES}
        if any(levels.values()):
            profile["languages"] = {code: level for code, level in levels.items() if level}
        return profile
