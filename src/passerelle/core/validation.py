"""Bad input as one plain message per field: the exception services raise, and pydantic's
validation errors turned into it."""

from __future__ import annotations

import json
import re
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ValidationError

from passerelle.core.i18n import _, gettext_noop


class InvalidFieldsError(ValueError):
    """Input that cannot be taken; `errors` maps each field (a dotted path) to what is wrong
    and what is allowed. Forms show each message at its field, the API answers 422."""

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{name}: {message}" for name, message in errors.items()))


CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _plain_text(value: str) -> str:
    if CONTROL_CHARACTERS.search(value):
        raise ValueError(_("contains control characters (such as NUL); remove them"))
    return value


PlainText = Annotated[str, AfterValidator(_plain_text)]
"""Text a person typed: any script, new lines and tabs, but no control characters (which
databases refuse, NUL first of all)."""


GENERIC_MESSAGES = {
    "missing": gettext_noop("this field is required"),
    "string_too_short": gettext_noop("at least {min_length} character(s)"),
    "string_too_long": gettext_noop("at most {max_length} characters"),
    "too_long": gettext_noop("at most {max_length} items"),
    "greater_than_equal": gettext_noop("must be {ge} or more"),
    "less_than_equal": gettext_noop("must be {le} or less"),
    "int_parsing": gettext_noop("expected a whole number"),
    "int_type": gettext_noop("expected a whole number"),
    "int_from_float": gettext_noop("expected a whole number"),
    "float_parsing": gettext_noop("expected a number"),
    "float_type": gettext_noop("expected a number"),
    "bool_parsing": gettext_noop("expected true or false"),
    "bool_type": gettext_noop("expected true or false"),
    "string_type": gettext_noop("expected text"),
    "list_type": gettext_noop("expected a list"),
    "dict_type": gettext_noop("expected an object"),
    "string_pattern_mismatch": gettext_noop("not in the expected form"),
}
"""pydantic's error types, in words that go through the catalogue (message ids in English;
the placeholders are pydantic's own context values)."""


def field_errors(error: ValidationError, model: type[BaseModel]) -> dict[str, str]:
    """One plain message per bad field of `model`, naming what is allowed, in the reader's
    language (`core.i18n.use_language`)."""
    allowed = ", ".join(model.model_fields)
    errors: dict[str, str] = {}
    for detail in error.errors():
        location = [str(part) for part in detail["loc"]]
        name = ".".join(location) or f"({model.__name__})"
        kind = detail["type"]
        context = detail.get("ctx", {})
        value = repr(detail.get("input"))
        message = detail["msg"].removeprefix("Value error, ")
        if kind == "extra_forbidden":
            message = _("unknown field; allowed: {allowed}").format(allowed=allowed)
        elif kind == "literal_error":
            message = _("got {value}; allowed: {allowed}").format(
                value=value, allowed=context.get("expected", "")
            )
        elif kind.startswith("date"):
            message = _("got {value}; expected a date as YYYY-MM-DD").format(value=value)
        elif kind == "string_pattern_mismatch" and location[-1] in ("nationality", "country"):
            message = _("got {value}; expected an ISO 3166-1 alpha-2 code such as SY").format(
                value=value
            )
        elif kind == "string_pattern_mismatch" and location[0] == "languages":
            message = _("language codes are ISO 639-1, two letters such as ar, fr, nl")
        elif kind in GENERIC_MESSAGES:
            message = _(GENERIC_MESSAGES[kind]).format(**context)
        if not location and message.startswith("{"):
            errors.update(json.loads(message))
            continue
        errors[name] = message
    return errors
