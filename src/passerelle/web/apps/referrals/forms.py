"""Referral forms."""

from __future__ import annotations

import datetime as dt
from typing import Any

import yaml
from django import forms
from django.utils.translation import gettext_lazy as _

from passerelle.core.validation import MAX_JSON_DEPTH
from passerelle.web.apps.people.models import FieldGroup
from passerelle.web.apps.referrals.models import Outcome, RejectionReason
from passerelle.web.common.forms import DateInput
from passerelle.web.validators import plain_text


def _choices(field: forms.Field, choices: list[tuple[str, str]]) -> None:
    if not isinstance(field, forms.ChoiceField):
        raise TypeError(f"field: expected forms.ChoiceField, got {type(field).__name__}")
    field.choices = choices


class ReferralForm(forms.Form):
    programme = forms.ChoiceField(label=_("Programme"))
    planned_start = forms.DateField(
        label=_("Planned start"), widget=DateInput(), initial=dt.date.today
    )
    shared_fields = forms.MultipleChoiceField(
        label=_("What to share with the receiving organisation (needs the person's consent)"),
        choices=FieldGroup.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        initial=[FieldGroup.IDENTITY, FieldGroup.CONTACT, FieldGroup.PROFILE],
    )
    note = forms.CharField(
        label=_("Note for the receiver"),
        required=False,
        widget=forms.Textarea,
        validators=[plain_text],
    )
    ineligibility_reason = forms.CharField(
        label=_("Why refer although the rules say not eligible"),
        required=False,
        widget=forms.Textarea,
        validators=[plain_text],
    )

    def __init__(self, *args: Any, programmes: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choices(self.fields["programme"], programmes)


class TransitionForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.ChoiceField(
        label=_("Reason"), required=False, choices=[("", "—"), *RejectionReason.choices]
    )
    text = forms.CharField(
        label=_("Explanation"), required=False, widget=forms.Textarea, validators=[plain_text]
    )
    outcome = forms.ChoiceField(
        label=_("Outcome"), required=False, choices=[("", "—"), *Outcome.choices]
    )
    override_reason = forms.CharField(
        label=_("Reason for sharing without consent (coordinators only)"),
        required=False,
        widget=forms.Textarea,
        validators=[plain_text],
    )

    def __init__(self, *args: Any, action: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if action == "complete":
            # Required here, so that the browser asks for it before the form is sent and the
            # page names the field in words when it is missing.
            outcome = self.fields["outcome"]
            outcome.required = True
            outcome.error_messages["required"] = _(
                "Choose the outcome before closing the referral."
            )


class CapacityForm(forms.Form):
    programme = forms.ChoiceField(label=_("Programme"))
    period_start = forms.DateField(label=_("From"), widget=DateInput())
    period_end = forms.DateField(label=_("Until"), widget=DateInput())
    places = forms.IntegerField(label=_("Places"), min_value=0, max_value=100000)

    def __init__(self, *args: Any, programmes: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choices(self.fields["programme"], programmes)


class ProtocolForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200, validators=[plain_text])
    programme = forms.ChoiceField(label=_("Programme people are routed to"))
    criteria = forms.CharField(
        label=_("Who (criteria, as in the knowledge base)"),
        widget=forms.Textarea(attrs={"dir": "ltr", "rows": 6}),
        help_text=_("For example: all: [{field: age, between: [18, 30]}]"),
    )
    valid_from = forms.DateField(label=_("Valid from"), widget=DateInput())
    valid_to = forms.DateField(label=_("Valid until"), widget=DateInput(), required=False)

    def __init__(self, *args: Any, programmes: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choices(self.fields["programme"], programmes)

    def clean_criteria(self) -> Any:
        text = self.cleaned_data["criteria"]
        try:
            _check_yaml_shape(text)
            return yaml.safe_load(text)
        # A timestamp that is no date ("2026-02-31") fails in PyYAML's constructor with a
        # ValueError, not a YAMLError: refused the same way, naming the field.
        except (yaml.YAMLError, ValueError) as error:
            raise forms.ValidationError(
                _("Not valid YAML: %(error)s"), params={"error": error}
            ) from None


def _check_yaml_shape(text: str) -> None:
    """Refuse, from the parser's events and before a document is built, what would make
    building or storing it fail: nesting deeper than `MAX_JSON_DEPTH` (PyYAML builds
    recursively) and aliases (a self-referencing or exponentially expanding document, which
    criteria never need)."""
    depth = 0
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        if isinstance(event, yaml.AliasEvent):
            raise forms.ValidationError(_("Write the criteria out: aliases (*name) are not read."))
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_JSON_DEPTH:
                raise forms.ValidationError(
                    _("Nested deeper than %(limit)s levels."), params={"limit": MAX_JSON_DEPTH}
                )
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


class WebhookForm(forms.Form):
    url = forms.CharField(
        label=_("Address of your system (https://)"),
        max_length=500,
        widget=forms.URLInput(attrs={"dir": "ltr"}),
    )
