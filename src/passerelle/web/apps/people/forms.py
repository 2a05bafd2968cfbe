"""Caseworkers' forms. The profile questions are the public finder's (one set of questions,
one mapping to the rules' profile); validation is `schemas.person_data_from`'s."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from passerelle.core.assessment import (
    ISCED_LABELS,
    LITERACY_LABELS,
    RECOGNITION_LABELS,
    SOCIAL_NEED_LABELS,
)
from passerelle.web.apps.directory.forms import YES_NO_FIELDS, FinderForm
from passerelle.web.apps.people.models import ConsentPurpose, FieldGroup
from passerelle.web.common.forms import DateInput, set_choices
from passerelle.web.common.labels import STAFF_LEGAL_STATUS_LABELS, STAFF_PROFILE_FIELD_LABELS

DIPLOMA_ROWS = 3
EXPERIENCE_ROWS = 3
PERSON_LANGUAGES = [("fr", "Français"), ("nl", "Nederlands"), ("en", "English"), ("ar", "العربية")]


def _translated(labels: dict[Any, str]) -> list[tuple[str, Any]]:
    return [(str(key), _(label)) for key, label in labels.items()]


class PersonForm(FinderForm):
    """A whole file: identity, the rules' profile and the needs assessment."""

    given_names = forms.CharField(label=_("Given names, as the person writes them"))
    family_name = forms.CharField(label=_("Family name, as the person writes it"), required=False)
    given_names_latin = forms.CharField(label=_("Given names, in Latin letters"))
    family_name_latin = forms.CharField(label=_("Family name, in Latin letters"), required=False)
    phone = forms.CharField(label=_("Phone"), required=False, max_length=40)
    email = forms.CharField(label=_("E-mail"), required=False, max_length=254)
    language = forms.ChoiceField(
        label=_("Language for letters and exports"), choices=PERSON_LANGUAGES, initial="fr"
    )
    literacy = forms.ChoiceField(label=_("Literacy"), required=False)
    wished_occupations = forms.CharField(
        label=_("Wished occupations (ISCO-08 codes, separated by spaces)"),
        required=False,
        max_length=100,
    )
    wishes = forms.CharField(label=_("Wishes"), required=False, widget=forms.Textarea)
    social_needs = forms.MultipleChoiceField(
        label=_("Social needs"), required=False, widget=forms.CheckboxSelectMultiple
    )
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        del self.fields["on"]
        # The finder's questions speak to the person ("What is your situation?"); a file is
        # written about them: the file's own words, and the unit where a number has one.
        for name, label in STAFF_PROFILE_FIELD_LABELS.items():
            if name in self.fields:
                self.fields[name].label = capfirst(label)
        self.fields["residence_permit_months"].label = _(
            "Validity of the residence permit, in months"
        )
        not_known = ("", _("not known"))
        set_choices(self, "legal_status", [not_known, *STAFF_LEGAL_STATUS_LABELS.items()])
        for name in ("migration_background", *YES_NO_FIELDS):
            if name in self.fields:
                set_choices(self, name, [not_known, ("yes", _("Yes")), ("no", _("No"))])
        set_choices(self, "literacy", [("", _("Not assessed")), *_translated(LITERACY_LABELS)])
        set_choices(self, "social_needs", _translated(SOCIAL_NEED_LABELS))
        isced = [("", "—"), *[(k, f"{k} · {v}") for k, v in _translated(ISCED_LABELS)]]
        for row in range(1, DIPLOMA_ROWS + 1):
            self.fields[f"diploma_{row}_title"] = forms.CharField(
                label=_("Diploma"), required=False, max_length=200
            )
            self.fields[f"diploma_{row}_country"] = forms.CharField(
                label=_("Country (code)"), required=False, max_length=2
            )
            self.fields[f"diploma_{row}_isced"] = forms.ChoiceField(
                label=_("Level (ISCED)"), required=False, choices=isced
            )
            self.fields[f"diploma_{row}_recognition"] = forms.ChoiceField(
                label=_("Recognition"), required=False, choices=_translated(RECOGNITION_LABELS)
            )
        for row in range(1, EXPERIENCE_ROWS + 1):
            self.fields[f"experience_{row}_isco"] = forms.CharField(
                label=_("Occupation (ISCO-08 code)"), required=False, max_length=4
            )
            self.fields[f"experience_{row}_years"] = forms.DecimalField(
                label=_("Years"), required=False, min_value=0, max_value=60, decimal_places=1
            )
            self.fields[f"experience_{row}_description"] = forms.CharField(
                label=_("Description"), required=False, max_length=200
            )

    @property
    def diploma_rows(self) -> list[list[forms.BoundField]]:
        return self._rows("diploma", DIPLOMA_ROWS)

    @property
    def experience_rows(self) -> list[list[forms.BoundField]]:
        return self._rows("experience", EXPERIENCE_ROWS)

    def _rows(self, kind: str, count: int) -> list[list[forms.BoundField]]:
        return [
            [self[name] for name in self.fields if name.startswith(f"{kind}_{row}_")]
            for row in range(1, count + 1)
        ]

    def person_data(self) -> dict[str, Any]:
        """The file as `services.person_create` / `person_update` take it."""
        data = self.cleaned_data
        profile = self.profile_data()
        birth_date = profile.pop("birth_date", None)
        diplomas = []
        for row in range(1, DIPLOMA_ROWS + 1):
            title = data.get(f"diploma_{row}_title")
            if title:
                diploma: dict[str, Any] = {
                    "title": title,
                    "recognition": data.get(f"diploma_{row}_recognition") or "not_requested",
                }
                if data.get(f"diploma_{row}_country"):
                    diploma["country"] = data[f"diploma_{row}_country"].upper()
                if data.get(f"diploma_{row}_isced"):
                    diploma["isced"] = int(data[f"diploma_{row}_isced"])
                diplomas.append(diploma)
        experience = [
            {
                "isco": data[f"experience_{row}_isco"],
                "years": float(data.get(f"experience_{row}_years") or 0),
                "description": data.get(f"experience_{row}_description") or "",
            }
            for row in range(1, EXPERIENCE_ROWS + 1)
            if data.get(f"experience_{row}_isco")
        ]
        assessment: dict[str, Any] = {
            "diplomas": diplomas,
            "experience": experience,
            "wished_occupations": (data.get("wished_occupations") or "").split(),
            "wishes": data.get("wishes") or "",
            "social_needs": data.get("social_needs") or [],
            "notes": data.get("notes") or "",
        }
        if data.get("literacy"):
            assessment["literacy"] = data["literacy"]
        return {
            "given_names": data["given_names"],
            "family_name": data.get("family_name") or "",
            "given_names_latin": data["given_names_latin"],
            "family_name_latin": data.get("family_name_latin") or "",
            "birth_date": birth_date,
            "phone": data.get("phone") or "",
            "email": data.get("email") or "",
            "language": data.get("language") or "fr",
            "profile": profile,
            "assessment": assessment,
        }

    def add_data_errors(self, errors: dict[str, str]) -> None:
        """Put each of `person_data_from`'s errors on the field it names."""
        for path, message in errors.items():
            target = self._field_for(path)
            self.add_error(target, message if target else f"{path}: {message}")

    def _field_for(self, path: str) -> str | None:
        parts = path.split(".")
        if parts[0] in ("profile", "assessment"):
            parts = parts[1:]
        if not parts:
            return None
        if parts[0] in ("diplomas", "experience") and len(parts) >= 3 and parts[1].isdigit():
            kind = "diploma" if parts[0] == "diplomas" else "experience"
            name = f"{kind}_{int(parts[1]) + 1}_{parts[2]}"
            return name if name in self.fields else None
        if parts[0] == "languages" and len(parts) > 1 and f"language_{parts[1]}" in self.fields:
            return f"language_{parts[1]}"
        return parts[0] if parts[0] in self.fields else None

    @classmethod
    def initial_from(cls, visible: dict[str, Any], version: int) -> dict[str, Any]:
        """Form values from a file's data (as `access.visible_data` gives it)."""
        initial: dict[str, Any] = {"version": version}
        for group in (FieldGroup.IDENTITY, FieldGroup.BIRTH_DATE, FieldGroup.CONTACT):
            initial.update(visible.get(group, {}))
        profile = dict(visible.get(FieldGroup.PROFILE, {}).get("profile", {}))
        for code, level in (profile.pop("languages", None) or {}).items():
            initial[f"language_{code}"] = level
        municipality = profile.pop("municipality", None)
        if municipality and municipality.isdigit():
            initial.update(municipality="outside", postcode=municipality)
        elif municipality:
            initial["municipality"] = municipality
        for name in ("migration_background", *YES_NO_FIELDS):
            if name in profile:
                initial[name] = "yes" if profile.pop(name) else "no"
        initial.update(profile)
        education = visible.get(FieldGroup.EDUCATION, {})
        initial["literacy"] = education.get("literacy") or ""
        for row, diploma in enumerate(education.get("diplomas", []), start=1):
            for key, value in diploma.items():
                initial[f"diploma_{row}_{key}"] = value
        experience = visible.get(FieldGroup.EXPERIENCE, {})
        for row, item in enumerate(experience.get("experience", []), start=1):
            for key, value in item.items():
                initial[f"experience_{row}_{key}"] = value
        initial["wished_occupations"] = " ".join(experience.get("wished_occupations", []))
        initial["wishes"] = experience.get("wishes", "")
        social = visible.get(FieldGroup.SOCIAL_NEEDS, {})
        initial["social_needs"] = social.get("social_needs", [])
        initial["notes"] = social.get("notes", "")
        return initial


class ConsentForm(forms.Form):
    purpose = forms.ChoiceField(label=_("Purpose"), choices=ConsentPurpose.choices)
    recipient = forms.ChoiceField(label=_("Receiving organisation (referral only)"), required=False)
    shared_fields = forms.MultipleChoiceField(
        label=_("What may be shared"),
        choices=FieldGroup.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    given_on = forms.DateField(label=_("Given on"), widget=DateInput(), initial=dt.date.today)

    def __init__(self, *args: Any, organisations: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self, "recipient", [("", "—"), *organisations])


class DisclosureForm(forms.Form):
    recipient = forms.ChoiceField(label=_("Organisation"))
    shared_fields = forms.MultipleChoiceField(
        label=_("What to share"), choices=FieldGroup.choices, widget=forms.CheckboxSelectMultiple
    )
    override_reason = forms.CharField(
        label=_("Reason for sharing without consent (coordinators only)"),
        required=False,
        widget=forms.Textarea,
        help_text=_("Only when the person cannot consent. The audit log flags it."),
    )

    def __init__(self, *args: Any, organisations: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self, "recipient", organisations)
