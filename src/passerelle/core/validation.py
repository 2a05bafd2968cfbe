"""Turning pydantic's validation errors into one plain message per field."""

from __future__ import annotations

import json
import re
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ValidationError

CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _plain_text(value: str) -> str:
    if CONTROL_CHARACTERS.search(value):
        raise ValueError("contains control characters (such as NUL); remove them")
    return value


PlainText = Annotated[str, AfterValidator(_plain_text)]
"""Text a person typed: any script, new lines and tabs, but no control characters (which
databases refuse, NUL first of all)."""


def field_errors(error: ValidationError, model: type[BaseModel]) -> dict[str, str]:
    """One plain message per bad field of `model`, naming what is allowed."""
    allowed = ", ".join(model.model_fields)
    errors: dict[str, str] = {}
    for detail in error.errors():
        location = [str(part) for part in detail["loc"]]
        name = ".".join(location) or f"({model.__name__})"
        kind = detail["type"]
        message = detail["msg"].removeprefix("Value error, ")
        if kind == "extra_forbidden":
            message = f"unknown field; allowed: {allowed}"
        elif kind == "literal_error":
            expected = detail.get("ctx", {}).get("expected", "")
            message = f"got {detail['input']!r}; allowed: {expected}"
        elif kind.startswith("date"):
            message = f"got {detail['input']!r}; expected a date as YYYY-MM-DD"
        elif kind == "string_pattern_mismatch" and location[-1] in ("nationality", "country"):
            message = f"got {detail['input']!r}; expected an ISO 3166-1 alpha-2 code such as SY"
        elif kind == "string_pattern_mismatch" and location[0] == "languages":
            message = "language codes are ISO 639-1, two letters such as ar, fr, nl"
        if not location and message.startswith("{"):
            errors.update(json.loads(message))
            continue
        errors[name] = message
    return errors
