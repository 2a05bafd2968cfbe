"""The form of a follow-up: the person's situation on a date. The service checks the
combinations (contract and hours only with employment) and names the field at fault."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from passerelle.web.common.forms import add_field_errors, set_choices
from passerelle.web.common.outcomes import MAX_HOURS_PER_WEEK, ContractType, Situation


class FollowUpForm(forms.Form):
    situation = forms.ChoiceField(
        label=_("Situation on that date"), choices=Situation.choices, widget=forms.RadioSelect
    )
    contract_type = forms.ChoiceField(
        label=_("Contract type (when employed)"),
        choices=[("", "—"), *ContractType.choices],
        required=False,
    )
    hours_per_week = forms.DecimalField(
        label=_("Hours per week (when employed)"),
        required=False,
        max_digits=4,
        decimal_places=1,
        help_text=format_lazy(
            _(
                "More than 0 and at most {most} (a bound the project chose against typing "
                "errors, not a legal limit)."
            ),
            most=MAX_HOURS_PER_WEEK,
        ),
    )
    situation_on = forms.DateField(
        label=_("Date of the situation"),
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("The day the person's situation was as you record it (usually today)."),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def add_data_errors(self, errors: dict[str, str]) -> None:
        """The service's errors, each at its field (the whole form for the others)."""
        add_field_errors(self, errors)

    def service_arguments(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "situation": data["situation"],
            "contract_type": data.get("contract_type") or "",
            "hours_per_week": data.get("hours_per_week"),
            "situation_on": data["situation_on"],
            "expected_version": data.get("version"),
        }


class ParticipationForm(forms.Form):
    """A participation in one of the organisation's programmes, recorded on the file."""

    programme = forms.ChoiceField(label=_("Programme of your organisation"))
    started_on = forms.DateField(
        label=_("Started on"), widget=forms.DateInput(attrs={"type": "date"})
    )
    ended_on = forms.DateField(label=_("Ended on"), widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, programmes: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self, "programme", [("", "—"), *programmes])
