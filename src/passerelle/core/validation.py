"""Bad input as one plain message per field: the exception services raise, and pydantic's
validation errors turned into it."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import re
from collections.abc import Iterable
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ValidationError

from passerelle.core.i18n import _, gettext_noop


class InvalidFieldsError(ValueError):
    """Input that cannot be taken; `errors` maps each field (a dotted path) to what is wrong
    and what is allowed. Forms show each message at its field, the API answers 422."""

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{name}: {message}" for name, message in errors.items()))


def check_allowed(
    field: str, value: object, allowed: Iterable[str], error: type[Exception] = ValueError
) -> None:
    """Refuse `value` unless it is one of `allowed`, with the message the engines give for
    a bad option: the field, the value and the allowed values."""
    choices = tuple(allowed)
    if value not in choices:
        raise error(f"{field}: {value!r}; allowed values: {', '.join(choices)}")


CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
"""C0 controls except tab, new line and carriage return (which a text area sends), DEL, and
C1 controls (U+0080 to U+009F: U+0085 is a new line to some programs, U+009B starts a
terminal escape sequence)."""

BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")
"""Embeddings, overrides and isolates: they reorder how text is shown, so that a name or a
note reads differently from what is stored (Trojan Source, CVE-2021-42574). Arabic and
Hebrew text needs none of them: the Unicode bidirectional algorithm orders it."""

INVISIBLE_IN_NAMES = re.compile("[\u200b-\u200f\u2060\u061c\ufeff]")
"""Zero-width space, non-joiner and joiner, the left-to-right, right-to-left and Arabic
letter marks, word joiner and zero-width no-break space: invisible, so two names that look
the same would differ (a duplicate file, a namesake the linkage misses). Free text keeps
them: the zero-width non-joiner belongs in Persian words (U+200C in "mi‌khaham") and the
joiner in some Arabic-script and emoji sequences."""

MAX_JSON_DEPTH = 32
"""Deepest nesting of arrays and objects a JSON input may have; the deepest the documents
need is 4 (a diploma in the assessment's list). Python's parser recurses, so a body of 100 000
brackets (well under the size limit) would exhaust the stack."""

EARLIEST_BIRTH_DATE = dt.date(1900, 1, 1)
"""No one born before 1900 is alive to look for work: an earlier date is a typing mistake
(1000-01-01, a year typed with two digits)."""


def _code_point(character: str) -> str:
    return f"U+{ord(character):04X}"


def text_problem(value: str, *, name: bool = False) -> str | None:
    """What is wrong with a text a person typed (None when nothing): the one rule for names
    (`name=True`) and free text, used by forms, the APIs and the CLI."""
    found = CONTROL_CHARACTERS.search(value)
    if found:
        return _("contains a control character ({code}); remove it").format(
            code=_code_point(found.group())
        )
    found = BIDI_CONTROLS.search(value)
    if found:
        return _(
            "contains a bidirectional control ({code}) that changes how the text is shown; "
            "remove it"
        ).format(code=_code_point(found.group()))
    if name:
        found = INVISIBLE_IN_NAMES.search(value)
        if found:
            return _(
                "contains an invisible character ({code}), not allowed in names; remove it"
            ).format(code=_code_point(found.group()))
    return None


def _plain_text(value: str) -> str:
    problem = text_problem(value)
    if problem:
        raise ValueError(problem)
    return value


def _name_text(value: str) -> str:
    problem = text_problem(value, name=True)
    if problem:
        raise ValueError(problem)
    return value


PlainText = Annotated[str, AfterValidator(_plain_text)]
"""Text a person typed: any script, new lines and tabs, but no control characters (which
databases refuse, NUL first of all) nor bidirectional controls."""

PersonName = Annotated[str, AfterValidator(_name_text)]
"""A name: as `PlainText`, and no invisible characters either."""


def birth_date_problem(value: dt.date, *, today: dt.date | None = None) -> str | None:
    """Why `value` cannot be a birth date (None when it can): before 1900 or after today. The
    one rule for the finder, person files, the API, the CLI and CSV inputs."""
    # A plausibility bound, not a rule's date: callers may pass theirs, else the machine's.
    latest = today or dt.date.today()  # noqa: DTZ011
    if EARLIEST_BIRTH_DATE <= value <= latest:
        return None
    return _("{value} is not a plausible birth date; allowed: {earliest} to {latest}").format(
        value=value.isoformat(), earliest=EARLIEST_BIRTH_DATE.isoformat(), latest=latest.isoformat()
    )


def _birth_date(value: dt.date | None) -> dt.date | None:
    if value is not None:
        problem = birth_date_problem(value)
        if problem:
            raise ValueError(problem)
    return value


BirthDate = Annotated[dt.date, AfterValidator(_birth_date)]
"""A birth date from 1900-01-01 to today."""


def json_depth_problem(text: str | bytes, *, max_depth: int = MAX_JSON_DEPTH) -> str | None:
    """Whether `text`, read as JSON, nests arrays and objects deeper than `max_depth`, found
    before parsing (Python's parser would exhaust the stack first). Brackets inside strings
    do not count; the text need not be valid JSON."""
    data = text.encode("utf-8", errors="replace") if isinstance(text, str) else text
    # Bytes, so that deleting all but the brackets is one C call (UTF-8 never puts an ASCII
    # byte inside a longer character); the running sum is in C too: a body at the size limit
    # takes milliseconds, not a Python loop over each character.
    brackets = _JSON_STRINGS.sub(b"", data).translate(None, _NOT_BRACKETS)
    if len(brackets) <= max_depth:
        return None
    if max(itertools.accumulate(map(_BRACKET_STEP.__getitem__, brackets))) <= max_depth:
        return None
    return _("nested deeper than {limit} levels of arrays and objects").format(limit=max_depth)


_JSON_STRINGS = re.compile(rb'"(?:[^"\\]++|\\.)*+"')
_NOT_BRACKETS = bytes(byte for byte in range(256) if byte not in b"[]{}")
_BRACKET_STEP = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}


def json_loads_bounded(text: str | bytes, *, field: str = "body") -> Any:
    """`json.loads` that refuses nesting deeper than `MAX_JSON_DEPTH` and unreadable JSON
    with `InvalidFieldsError` naming `field`, never a RecursionError."""
    problem = json_depth_problem(text)
    if problem is None:
        try:
            return json.loads(text)
        except json.JSONDecodeError as error:
            problem = _("not valid JSON: {error}").format(error=error)
        except UnicodeDecodeError:
            problem = _("not valid JSON: the text is not UTF-8")
        except RecursionError:  # cannot happen within the bound; kept as the last guard
            problem = _("nested too deeply")
    raise InvalidFieldsError({field: problem})


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
    language (`core.i18n.language_of`)."""
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
