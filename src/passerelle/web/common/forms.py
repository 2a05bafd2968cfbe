"""Form pieces several apps' forms share."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django import forms

# Arabic-Indic and Persian digits, as an Arabic or Persian keyboard types them.
EASTERN_DIGITS = str.maketrans(
    "\u0660\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668\u0669"
    "\u06f0\u06f1\u06f2\u06f3\u06f4\u06f5\u06f6\u06f7\u06f8\u06f9",
    "01234567890123456789",
)


class DateInput(forms.DateInput):
    """A date as one text field, day/month/year (the label says so): one Tab stop, where
    Chromium's `<input type="date">` takes three or four (a stop per part and the picker's
    button) and announces its parts in the browser's language, not the page's. The formats
    read are the locale's `DATE_INPUT_FORMATS` (`web/formats/`: day first, or ISO)."""

    input_type = "text"

    def __init__(self, **kwargs: Any) -> None:
        attrs = {"autocomplete": "off", "size": "10", **kwargs.pop("attrs", {})}
        super().__init__(format="%d/%m/%Y", attrs=attrs, **kwargs)

    def value_from_datadict(self, data: Any, files: Any, name: str) -> Any:
        value = super().value_from_datadict(data, files, name)
        return value.translate(EASTERN_DIGITS).strip() if isinstance(value, str) else value


def set_choices(form: forms.BaseForm, name: str, choices: Sequence[tuple[Any, Any]]) -> None:
    """The choices of the form's choice field `name`, known only when the form is made (the
    reader's organisations, programmes, translated labels). A `TypeError` when `name` is not
    a choice field, so that a form changed without its caller fails at once."""
    field = form.fields[name]
    if not isinstance(field, forms.ChoiceField):
        raise TypeError(f"{name}: expected forms.ChoiceField, got {type(field).__name__}")
    field.choices = choices


def add_field_errors(form: forms.BaseForm, errors: Mapping[str, str]) -> None:
    """A service's refusals (`InvalidFieldsError.errors`) on `form`: each message at the
    field it names, or above the form when the form has no such field."""
    for name, message in errors.items():
        form.add_error(name if name in form.fields else None, message)
