"""The one rule for text and birth dates (`core.validation`), and the JSON depth bound."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from passerelle.core.validation import (
    MAX_JSON_DEPTH,
    InvalidFieldsError,
    birth_date_problem,
    check_allowed,
    json_depth_problem,
    json_loads_bounded,
    text_problem,
)

BIDI = [chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))]
ZERO_WIDTH = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"]
C0 = [chr(c) for c in range(0x20) if chr(c) not in "\t\n\r"]
C1 = [chr(c) for c in range(0x7F, 0xA0)]


@pytest.mark.parametrize("character", BIDI + C0 + C1)
@pytest.mark.parametrize("name", [True, False])
def test_names_and_free_text_refuse_controls(character: str, name: bool) -> None:
    problem = text_problem(f"Ahmad{character}Karimi", name=name)
    assert problem is not None
    assert f"U+{ord(character):04X}" in problem


@pytest.mark.parametrize("character", [*ZERO_WIDTH, "\u200e", "\u200f", "\u061c"])
def test_names_refuse_invisible_characters_that_free_text_keeps(character: str) -> None:
    problem = text_problem(f"Ahmad{character}Karimi", name=True)
    assert problem == (
        f"contains an invisible character (U+{ord(character):04X}), not allowed in names; remove it"
    )
    assert text_problem(f"Ahmad{character}Karimi") is None


@pytest.mark.parametrize(
    "text",
    [
        "فاطمة الحسن",  # Arabic: the bidirectional algorithm orders it, no control needed
        "Zoë N'Guessan-Ōtomo",
        "ትግርኛ",
        "line one\nline two\r\n\ttabbed",
        "می\u200cخواهم کار کنم",  # Persian with its zero-width non-joiner, in free text
    ],
)
def test_ordinary_text_passes(text: str) -> None:
    assert text_problem(text) is None


def test_ordinary_names_pass() -> None:
    for name in ("فاطمة", "Zoë", "N'Guessan-Ōtomo", "ትግርኛ", "Nguyễn Thị"):
        assert text_problem(name, name=True) is None


@pytest.mark.parametrize(
    "value",
    [dt.date(1000, 1, 1), dt.date(1899, 12, 31), dt.date(2026, 1, 2), dt.date(9999, 12, 31)],
)
def test_implausible_birth_dates(value: dt.date) -> None:
    assert birth_date_problem(value, today=dt.date(2026, 1, 1)) == (
        f"{value.isoformat()} is not a plausible birth date; allowed: 1900-01-01 to 2026-01-01"
    )


@pytest.mark.parametrize("value", [dt.date(1900, 1, 1), dt.date(1990, 6, 30), dt.date(2026, 1, 1)])
def test_plausible_birth_dates(value: dt.date) -> None:
    assert birth_date_problem(value, today=dt.date(2026, 1, 1)) is None


def test_json_depth_counts_arrays_and_objects_outside_strings() -> None:
    assert json_depth_problem("[" * 3 + "]" * 3, max_depth=3) is None
    assert json_depth_problem("[" * 4 + "]" * 4, max_depth=3) is not None
    assert json_depth_problem('{"a": {"b": {"c": {}}}}', max_depth=3) is not None
    assert json_depth_problem(json.dumps({"text": '[[[[[[\\"{{{{'}), max_depth=1) is None
    # bytes as a request body, and text that is not even JSON
    assert json_depth_problem(b"[[[[ not json", max_depth=3) is not None


def test_json_loads_bounded_refuses_deep_nesting_without_recursion_error() -> None:
    with pytest.raises(InvalidFieldsError) as error:
        json_loads_bounded("[" * 1_000_000)
    assert error.value.errors == {
        "body": f"nested deeper than {MAX_JSON_DEPTH} levels of arrays and objects"
    }
    with pytest.raises(InvalidFieldsError) as error:
        json_loads_bounded("{oops", field="profile")
    assert error.value.errors["profile"].startswith("not valid JSON: ")
    assert json_loads_bounded('{"a": [[1]]}') == {"a": [[1]]}


def test_a_value_not_allowed_is_refused_naming_the_field_the_value_and_the_allowed_ones() -> None:
    check_allowed("origin", "arrival", ("right_to_work", "arrival"))
    with pytest.raises(
        ValueError, match=r"^origin: 'birth'; allowed values: right_to_work, arrival$"
    ):
        check_allowed("origin", "birth", ("right_to_work", "arrival"))
    # a mapping allows its keys; the engine's own error class is kept
    with pytest.raises(LookupError, match=r"^kind: 'jobs'; allowed values: persons, events$"):
        check_allowed("kind", "jobs", {"persons": 1, "events": 2}, LookupError)
