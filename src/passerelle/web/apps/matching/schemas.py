"""The data of mentors, internship offers and vacancies as pages and the API write them,
validated in one place; errors name each field (`MatchingDataError.errors`)."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Annotated, Any

from django.utils.translation import gettext as _
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from passerelle.core.matching.model import MAX_LANGUAGE_ALTERNATIVES
from passerelle.core.profile import ProfileError, profile_from_data
from passerelle.core.validation import InvalidFieldsError, PersonName, PlainText, field_errors
from passerelle.knowledge.criteria import CEFR_LEVELS

IscoCode = Annotated[str, Field(pattern=r"^[0-9]{2,4}$")]
LanguageCode = Annotated[str, Field(pattern=r"^[a-z]{2}$")]
INTERNSHIP_DAYS = 14
"""Tandem's internships last two weeks; an offer may last from 5 days to 31."""


class MatchingDataError(InvalidFieldsError):
    """Bad mentor, offer, vacancy or round data; `errors` maps each field to what is wrong."""


def _invalid(field: str, message: str) -> ValueError:
    """An error of a check across fields, naming its field (`core.validation`)."""
    return ValueError(json.dumps({field: message}))


def _cefr_level(value: str) -> str:
    if value.upper() not in CEFR_LEVELS:
        raise ValueError(
            _("got {value}; allowed: {allowed}").format(
                value=repr(value), allowed=", ".join(CEFR_LEVELS)
            )
        )
    return value.upper()


CefrLevel = Annotated[str, AfterValidator(_cefr_level)]
"""A CEFR level (A1 to C2), in capitals whatever the case given."""


def _languages(value: Any) -> dict[str, str]:
    """`{"fr": "B1"}` or the text `fr:B1 nl:B1`."""
    if isinstance(value, str):
        pairs: dict[str, str] = {}
        for part in value.replace(",", " ").replace("|", " ").split():
            code, _sep, level = part.partition(":")
            pairs[code.strip().lower()] = level.strip().upper()
        value = pairs
    if not isinstance(value, dict):
        raise ValueError(_("give languages as fr:B1 nl:A2 (ISO 639-1 code and CEFR level)"))
    out: dict[str, str] = {}
    for code, level in value.items():
        code, level = str(code).lower(), str(level).upper()
        if len(code) != 2 or not code.isalpha():
            raise ValueError(
                _("{code} is not a two-letter language code (fr, nl, en...)").format(
                    code=repr(code)
                )
            )
        if level not in CEFR_LEVELS:
            raise ValueError(
                _("{code}: got {level}; allowed levels: {allowed}").format(
                    code=code, level=repr(level), allowed=", ".join(CEFR_LEVELS)
                )
            )
        out[code] = level
    return out


def _municipality(value: str) -> str:
    if not value.strip():
        return ""
    try:
        profile = profile_from_data({"municipality": value.strip()})
    except ProfileError as error:
        raise ValueError(error.errors.get("municipality", str(error))) from None
    return profile.municipality or ""


class _Base(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    active: bool = True
    municipality: Annotated[PlainText, Field(max_length=80)] = ""

    @field_validator("municipality")
    @classmethod
    def _known_municipality(cls, value: str) -> str:
        return _municipality(value)


class MentorData(_Base):
    label: Annotated[PersonName, Field(min_length=1, max_length=80)]
    age: Annotated[int, Field(ge=18, le=99)]
    retired: bool = True
    occupations: Annotated[list[IscoCode], Field(max_length=5)] = []
    sectors: Annotated[
        list[Annotated[str, Field(pattern=r"^[0-9]{1,2}$")]], Field(max_length=5)
    ] = []
    languages: dict[str, str] = {}
    mentee_level: CefrLevel = "A2"
    available_from: dt.date | None = None
    available_to: dt.date | None = None
    max_mentees: Annotated[int, Field(ge=1, le=10)] = 1

    @field_validator("languages", mode="before")
    @classmethod
    def _check_languages(cls, value: Any) -> dict[str, str]:
        return _languages(value)

    @field_validator("occupations", "sectors", mode="before")
    @classmethod
    def _codes(cls, value: Any) -> Any:
        return value.replace(",", " ").split() if isinstance(value, str) else value

    @model_validator(mode="after")
    def _dates(self) -> MentorData:
        if self.available_from and self.available_to and self.available_to < self.available_from:
            raise _invalid("available_to", _("before the first day of availability"))
        if not self.languages:
            raise _invalid("languages", _("give at least one language the mentor speaks"))
        return self


class OfferData(_Base):
    title: Annotated[PlainText, Field(min_length=1, max_length=120)]
    occupation: Annotated[str, Field(pattern=r"^([0-9]{2,4})?$")] = ""
    working_language: LanguageCode = "en"
    language_level: CefrLevel = "B1"
    start_date: dt.date
    end_date: dt.date | None = None
    allowance: Annotated[Decimal, Field(ge=0, le=1000, decimal_places=2)] | None = None
    places: Annotated[int, Field(ge=1, le=50)] = 1

    @model_validator(mode="after")
    def _two_weeks(self) -> OfferData:
        if self.end_date is None:
            self.end_date = self.start_date + dt.timedelta(days=INTERNSHIP_DAYS - 1)
        length = (self.end_date - self.start_date).days + 1
        if not 5 <= length <= 31:
            raise _invalid(
                "end_date",
                _(
                    "the internship lasts {length} days; allowed: 5 to 31 (Tandem's last {days})"
                ).format(length=length, days=INTERNSHIP_DAYS),
            )
        return self


class VacancyData(_Base):
    title: Annotated[PlainText, Field(min_length=1, max_length=120)]
    occupation: IscoCode
    languages: dict[str, str] = {}
    diploma_isced_required: Annotated[int, Field(ge=0, le=8)] | None = None
    recognition_required: bool = False
    driving_licence_required: bool = False
    start_date: dt.date
    posts: Annotated[int, Field(ge=1, le=100)] = 1

    @field_validator("languages", mode="before")
    @classmethod
    def _check_languages(cls, value: Any) -> dict[str, str]:
        return _languages(value)

    @model_validator(mode="after")
    def _few_languages(self) -> VacancyData:
        if len(self.languages) > MAX_LANGUAGE_ALTERNATIVES:
            raise _invalid(
                "languages",
                _("at most {count} accepted languages (any one suffices)").format(
                    count=MAX_LANGUAGE_ALTERNATIVES
                ),
            )
        return self


def validated(model: type[BaseModel], data: dict[str, Any]) -> dict[str, Any]:
    """`data` checked by `model`, as model field values; MatchingDataError names each bad
    field."""
    try:
        return model.model_validate(data).model_dump()
    except ValidationError as error:
        raise MatchingDataError(field_errors(error, model)) from None
