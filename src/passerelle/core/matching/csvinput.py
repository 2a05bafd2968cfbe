"""Reading a matching round from CSV files (format in docs/matching.md).

Every error names the file, the row (the line number, the header being line 1) and the
column, with what is allowed.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from passerelle.core.matching.model import (
    MAX_LANGUAGE_ALTERNATIVES,
    Kind,
    Person,
    Slot,
)
from passerelle.core.profile import Profile, ProfileError, profile_from_data
from passerelle.knowledge.criteria import CEFR_LEVELS

PERSONS_FILE = "persons.csv"
SLOT_FILES = {
    Kind.mentoring: "mentors.csv",
    Kind.internship: "internships.csv",
    Kind.vacancy: "vacancies.csv",
}
PROFILE_COLUMNS = tuple(name for name in Profile.model_fields if name != "languages")
PERSON_COLUMNS = (
    "person_id",
    *PROFILE_COLUMNS,
    "languages",
    "occupation",
    "wish",
    "available_from",
    "waiting_since",
    "organisation",
    "driving_licence",
    "diploma_isced",
    "diploma_foreign",
    "diploma_recognised",
    "capacity",
)
SLOT_COLUMNS = (
    "slot_id",
    "start_date",
    "capacity",
    "organisation",
    "occupation",
    "other_occupations",
    "municipality",
    "languages",
    "driving_licence_required",
    "diploma_isced_required",
    "recognition_required",
    "programme",
)
_INT_PROFILE = {"residence_permit_months", "education_isced"}
_BOOL_PROFILE = {
    name for name, field in Profile.model_fields.items() if field.annotation == bool | None
}
_ISCO = re.compile(r"^\d{2,4}$")
_LANGUAGE = re.compile(r"^([a-z]{2}):(A1|A2|B1|B2|C1|C2)$")


class MatchingInputError(ValueError):
    def __init__(self, file: str, row: int | None, column: str | None, message: str) -> None:
        self.file, self.row, self.column = file, row, column
        where = file + (f", row {row}" if row else "") + (f", column {column}" if column else "")
        super().__init__(f"{where}: {message}")


def _rows(
    path: Path, allowed: tuple[str, ...], required: tuple[str, ...]
) -> Iterator[tuple[int, dict[str, str]]]:
    name = path.name
    if not path.is_file():
        raise MatchingInputError(name, None, None, f"{path} does not exist")
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        header = reader.fieldnames or []
        for column in header:
            if column not in allowed:
                raise MatchingInputError(
                    name, 1, column, f"unknown column; allowed: {', '.join(allowed)}"
                )
        for column in required:
            if column not in header:
                raise MatchingInputError(name, 1, column, "required column is missing")
        for line, row in enumerate(reader, start=2):
            if None in row:
                raise MatchingInputError(name, line, None, "more values than columns")
            yield line, {k: v.strip() for k, v in row.items() if v is not None and v.strip()}


def _convert(
    file: str, line: int, column: str, value: str | None, parse: Callable[[str], Any], hint: str
) -> Any:
    if value is None:
        return None
    try:
        return parse(value)
    except ValueError:
        raise MatchingInputError(file, line, column, f"got {value!r}; expected {hint}") from None


def _cell(
    file: str,
    line: int,
    row: dict[str, str],
    column: str,
    parse: Callable[[str], Any],
    hint: str,
) -> Any:
    return _convert(file, line, column, row.get(column), parse, hint)


def _date(value: str) -> dt.date:
    return dt.date.fromisoformat(value)


def _bool(value: str) -> bool:
    lowered = value.lower()
    if lowered in ("true", "yes", "1"):
        return True
    if lowered in ("false", "no", "0"):
        return False
    raise ValueError(value)


def _isco(value: str) -> str:
    if not _ISCO.match(value):
        raise ValueError(value)
    return value


def _languages(value: str, separator: str) -> dict[str, str]:
    result: dict[str, str] = {}
    for part in re.split(separator, value):
        if not part:
            continue
        found = _LANGUAGE.match(part.strip())
        if not found:
            raise ValueError(part)
        result[found.group(1)] = found.group(2)
    return result


LANGUAGE_HINT = (
    "code:LEVEL such as fr:B1 (ISO 639-1 code, CEFR level " + "/".join(CEFR_LEVELS) + ")"
)


def _new_id(file: str, line: int, row: dict[str, str], column: str, seen: set[str]) -> str:
    """The row's id in `column`: required, and once per file (`seen` holds the earlier ones)."""
    key = row.get(column)
    if not key:
        raise MatchingInputError(file, line, column, "required")
    if key in seen:
        raise MatchingInputError(file, line, column, f"{key!r} appears twice")
    seen.add(key)
    return key


def _capacity(file: str, line: int, row: dict[str, str]) -> int | None:
    capacity: int | None = _convert(
        file, line, "capacity", row.get("capacity"), int, "a whole number"
    )
    if capacity is not None and capacity < 1:
        raise MatchingInputError(file, line, "capacity", f"got {capacity}; expected 1 or more")
    return capacity


def _municipality(file: str, line: int, name: str | None) -> str | None:
    """The municipality's name as the knowledge base spells it (a postcode is resolved)."""
    if name is None:
        return None
    try:
        return Profile(municipality=name).municipality
    except ValueError as error:
        message = str(error).split("\n")[-1].strip() or str(error)
        raise MatchingInputError(file, line, "municipality", message) from None


def read_persons(path: Path) -> list[Person]:
    file = path.name
    persons: list[Person] = []
    seen: set[str] = set()
    for line, row in _rows(path, PERSON_COLUMNS, ("person_id",)):
        person_id = _new_id(file, line, row, "person_id", seen)
        data: dict[str, Any] = {}
        for column in PROFILE_COLUMNS:
            value = row.get(column)
            if column in _INT_PROFILE:
                data[column] = _convert(file, line, column, value, int, "a whole number")
            elif column in _BOOL_PROFILE:
                data[column] = _convert(file, line, column, value, _bool, "true or false")
            else:
                data[column] = value
        data["languages"] = _convert(
            file,
            line,
            "languages",
            row.get("languages"),
            lambda v: _languages(v, r"[\s;]+"),
            LANGUAGE_HINT + ", separated by spaces",
        )
        try:
            profile = profile_from_data(data)
        except ProfileError as error:
            column, message = next(iter(error.errors.items()))
            raise MatchingInputError(file, line, column, message) from None
        capacity = _capacity(file, line, row)
        get = functools.partial(_cell, file, line, row)
        persons.append(
            Person(
                id=person_id,
                profile=profile,
                occupation=get("occupation", _isco, "an ISCO-08 code of 2 to 4 digits"),
                wish=get("wish", _isco, "an ISCO-08 code of 2 to 4 digits"),
                available_from=get("available_from", _date, "a date as YYYY-MM-DD"),
                waiting_since=get("waiting_since", _date, "a date as YYYY-MM-DD"),
                organisation=row.get("organisation"),
                driving_licence=get("driving_licence", _bool, "true or false"),
                diploma_isced=get("diploma_isced", _isced, "an ISCED level from 0 to 8"),
                diploma_foreign=get("diploma_foreign", _bool, "true or false"),
                diploma_recognised=get("diploma_recognised", _bool, "true or false"),
                capacity=capacity or 1,
            )
        )
    return persons


def _isced(value: str) -> int:
    level = int(value)
    if not 0 <= level <= 8:
        raise ValueError(value)
    return level


def read_slots(path: Path, programmes: set[str] | None = None) -> list[Slot]:
    file = path.name
    slots: list[Slot] = []
    seen: set[str] = set()
    for line, row in _rows(path, SLOT_COLUMNS, ("slot_id", "start_date")):
        get = functools.partial(_cell, file, line, row)
        slot_id = _new_id(file, line, row, "slot_id", seen)
        start = get("start_date", _date, "a date as YYYY-MM-DD")
        if start is None:
            raise MatchingInputError(file, line, "start_date", "required")
        capacity = _capacity(file, line, row)
        languages = (
            get("languages", lambda v: _languages(v, r"\|"), LANGUAGE_HINT + " separated by |")
            or {}
        )
        if len(languages) > MAX_LANGUAGE_ALTERNATIVES:
            raise MatchingInputError(
                file, line, "languages", f"at most {MAX_LANGUAGE_ALTERNATIVES} languages"
            )
        municipality = _municipality(file, line, row.get("municipality"))
        programme = row.get("programme")
        if programme is not None and programmes is not None and programme not in programmes:
            raise MatchingInputError(
                file, line, "programme", f"unknown programme {programme!r}; see passerelle orgs"
            )
        slots.append(
            Slot(
                id=slot_id,
                start_date=start,
                capacity=capacity or 1,
                organisation=row.get("organisation"),
                occupation=get("occupation", _isco, "an ISCO-08 code of 2 to 4 digits"),
                other_occupations=get(
                    "other_occupations",
                    lambda v: tuple(_isco(code) for code in v.split()),
                    "ISCO-08 codes of 2 to 4 digits separated by spaces",
                )
                or (),
                municipality=municipality,
                languages=languages,
                driving_licence_required=bool(
                    get("driving_licence_required", _bool, "true or false")
                ),
                diploma_isced_required=get(
                    "diploma_isced_required", _isced, "an ISCED level from 0 to 8"
                ),
                recognition_required=bool(get("recognition_required", _bool, "true or false")),
                programme=programme,
            )
        )
    return slots


def read_round(
    directory: Path, kind: Kind, programmes: set[str] | None = None
) -> tuple[list[Person], list[Slot]]:
    """The persons and the slots of `kind` from `directory`."""
    if not directory.is_dir():
        raise MatchingInputError(str(directory), None, None, "is not a directory")
    return read_persons(directory / PERSONS_FILE), read_slots(
        directory / SLOT_FILES[kind], programmes
    )
