"""Plain-data inputs of the matching engine and their column-wise form.

Persons and slots are frozen dataclasses for small inputs (the CLI, tests); the engine works
on polars frames with one row per person and per slot (`persons_frame`, `slots_frame`), so
that populations of a million are built column-wise without a Python object per person.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import polars as pl

from passerelle.core.profile import Profile
from passerelle.core.rules.vectorised import POPULATION_SCHEMA
from passerelle.knowledge.criteria import CEFR_LEVELS, cefr_rank


class Kind(StrEnum):
    mentoring = "mentoring"
    internship = "internship"
    vacancy = "vacancy"


PROGRAMME_BY_KIND: Mapping[Kind, str | None] = {
    Kind.mentoring: "duo-for-a-job-mentoring",
    Kind.internship: "tandem-internship",
    Kind.vacancy: None,
}
"""The programme whose eligibility (rules engine) is a hard constraint for a kind; a vacancy
needs the right to work on the start date instead."""

MAX_LANGUAGE_ALTERNATIVES = 3
"""A slot accepts up to three languages, any one of which suffices ("French B1 or Dutch
B1")."""


@dataclass(frozen=True)
class Person:
    """A candidate: the profile the rules read, and what matching needs besides."""

    id: str
    profile: Profile
    occupation: str | None = None
    """ISCO-08 code (2 to 4 digits) of the person's experience."""
    wish: str | None = None
    """ISCO-08 code (2 to 4 digits) of the occupation or field the person wants."""
    available_from: dt.date | None = None
    waiting_since: dt.date | None = None
    organisation: str | None = None
    """The referring organisation."""
    driving_licence: bool | None = None
    diploma_isced: int | None = None
    diploma_foreign: bool | None = None
    diploma_recognised: bool | None = None
    capacity: int = 1


@dataclass(frozen=True)
class Slot:
    """A mentor, an internship offer or a vacancy, with its capacity."""

    id: str
    start_date: dt.date
    capacity: int = 1
    organisation: str | None = None
    occupation: str | None = None
    """ISCO-08 code (2 to 4 digits): the mentor's former occupation, the internship's field,
    the vacancy's occupation. None: open to every occupation."""
    other_occupations: tuple[str, ...] = ()
    """Further ISCO-08 codes the slot fits as well (a mentor's other former occupations and
    sectors): a pair is scored on the code that fits the person best."""
    municipality: str | None = None
    languages: Mapping[str, str] = field(default_factory=dict)
    """Accepted languages and the minimum CEFR level; any one suffices."""
    driving_licence_required: bool = False
    diploma_isced_required: int | None = None
    recognition_required: bool = False
    """A foreign diploma must be recognised (equivalence)."""
    programme: str | None = None
    """The programme whose eligibility is required (default: by kind)."""


def person_language_codes(persons: pl.DataFrame) -> list[str]:
    return sorted(c.removeprefix("language_") for c in persons.columns if c.startswith("language_"))


PERSON_COLUMNS: dict[str, Any] = {
    "person_id": pl.String,
    **POPULATION_SCHEMA,
    "occupation": pl.String,
    "wish": pl.String,
    "available_from": pl.Date,
    "waiting_since": pl.Date,
    "organisation": pl.String,
    "driving_licence": pl.Boolean,
    "diploma_isced": pl.Int8,
    "diploma_foreign": pl.Boolean,
    "diploma_recognised": pl.Boolean,
    "capacity": pl.Int32,
}
"""A persons frame: these columns plus `language_<code>` (CEFR rank, 0 = not spoken)."""

SLOT_COLUMNS: dict[str, Any] = {
    "slot_id": pl.String,
    "start_date": pl.Date,
    "capacity": pl.Int32,
    "organisation": pl.String,
    "occupation": pl.String,
    "municipality": pl.String,
    **{
        name: dtype
        for i in range(1, MAX_LANGUAGE_ALTERNATIVES + 1)
        for name, dtype in ((f"lang_{i}", pl.String), (f"level_{i}", pl.Int8))
    },
    "driving_licence_required": pl.Boolean,
    "diploma_isced_required": pl.Int8,
    "recognition_required": pl.Boolean,
    "programme": pl.String,
}

OTHER_OCCUPATIONS = "other_occupations"
"""Optional slot column (list of ISCO-08 codes) beside `occupation`: see `Slot`."""


def persons_frame(persons: Iterable[Person], languages: Iterable[str] = ()) -> pl.DataFrame:
    persons = list(persons)
    codes = set(languages)
    for person in persons:
        codes.update(person.profile.languages or {})
    rows: list[dict[str, Any]] = []
    for person in persons:
        profile = person.profile
        row: dict[str, Any] = {
            name: getattr(profile, name) for name in POPULATION_SCHEMA if name != "languages_known"
        }
        row["languages_known"] = profile.languages is not None
        for code in codes:
            row[f"language_{code}"] = cefr_rank((profile.languages or {}).get(code))
        row |= {
            "person_id": person.id,
            "occupation": person.occupation,
            "wish": person.wish,
            "available_from": person.available_from,
            "waiting_since": person.waiting_since,
            "organisation": person.organisation,
            "driving_licence": person.driving_licence,
            "diploma_isced": person.diploma_isced,
            "diploma_foreign": person.diploma_foreign,
            "diploma_recognised": person.diploma_recognised,
            "capacity": person.capacity,
        }
        rows.append(row)
    schema = PERSON_COLUMNS | {f"language_{code}": pl.Int8 for code in sorted(codes)}
    return pl.DataFrame(rows, schema=schema)


def slots_frame(slots: Iterable[Slot]) -> pl.DataFrame:
    rows: list[dict[str, Any]] = []
    for slot in slots:
        if len(slot.languages) > MAX_LANGUAGE_ALTERNATIVES:
            raise ValueError(
                f"slot {slot.id}: at most {MAX_LANGUAGE_ALTERNATIVES} accepted languages"
            )
        row: dict[str, Any] = {
            "slot_id": slot.id,
            "start_date": slot.start_date,
            "capacity": slot.capacity,
            "organisation": slot.organisation,
            "occupation": slot.occupation,
            "municipality": slot.municipality,
            "driving_licence_required": slot.driving_licence_required,
            "diploma_isced_required": slot.diploma_isced_required,
            "recognition_required": slot.recognition_required,
            "programme": slot.programme,
            OTHER_OCCUPATIONS: list(slot.other_occupations),
        }
        alternatives = list(slot.languages.items())
        for i in range(MAX_LANGUAGE_ALTERNATIVES):
            code, level = alternatives[i] if i < len(alternatives) else (None, None)
            row[f"lang_{i + 1}"] = code
            row[f"level_{i + 1}"] = None if level is None else cefr_rank(level)
        rows.append(row)
    return pl.DataFrame(rows, schema=SLOT_COLUMNS | {OTHER_OCCUPATIONS: pl.List(pl.String)})


def slot_occupation_columns(slots: pl.DataFrame) -> list[pl.Series]:
    """The slots' ISCO codes as columns: `occupation`, then the k-th of `other_occupations`
    (null where a slot has fewer)."""
    columns = [slots.get_column("occupation")]
    if OTHER_OCCUPATIONS in slots.columns:
        others = slots.get_column(OTHER_OCCUPATIONS)
        longest = int(others.list.len().fill_null(0).max() or 0)  # type: ignore[arg-type]
        columns += [others.list.get(k, null_on_oob=True) for k in range(longest)]
    return columns


def profile_from_row(row: Mapping[str, Any]) -> Profile:
    """The rules' profile back from a persons-frame row (already validated data)."""
    fields = {name: row.get(name) for name in POPULATION_SCHEMA if name != "languages_known"}
    languages: dict[str, Any] | None = None
    if row.get("languages_known"):
        languages = {
            key.removeprefix("language_"): CEFR_LEVELS[int(value) - 1]
            for key, value in row.items()
            if key.startswith("language_") and value
        }
    return Profile.model_construct(**fields, languages=languages)
