from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from passerelle.web.apps.beneficiaries.models import Decision
from passerelle.web.apps.beneficiaries.uploads import MAX_BYTES


def _within_limit(upload: Any) -> Any:
    """Refuse at once a file the worker would refuse, rather than keep it for the task."""
    if upload is not None and upload.size > MAX_BYTES:
        raise forms.ValidationError(_("the file is larger than 50 MB"))
    return upload


class UploadForm(forms.Form):
    encodings = forms.FileField(
        label=_("Encodings (the file written by passerelle encode)"),
        help_text=_("CSV: record_id and the encoded columns; no name, date or phone in clear."),
    )
    participations = forms.FileField(
        label=_("Participations"),
        help_text=_(
            "CSV: record_id, programme, start_date, end_date (YYYY-MM-DD; end_date may be "
            "empty), and measure_type if a programme has several."
        ),
    )

    def clean_encodings(self) -> Any:
        return _within_limit(self.cleaned_data.get("encodings"))

    def clean_participations(self) -> Any:
        return _within_limit(self.cleaned_data.get("participations"))


class OutcomeFileForm(forms.Form):
    file = forms.FileField(
        label=_("File of outcomes"),
        help_text=_(
            "CSV: the columns written by passerelle encode, and outcome_date (YYYY-MM-DD), "
            "situation, contract_type, hours and source; no name, date of birth or phone in "
            "clear."
        ),
    )
    dry_run = forms.BooleanField(label=_("Check and match only; store nothing"), required=False)


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Are these two records the same person?"),
        choices=Decision.choices,
        widget=forms.RadioSelect,
    )
