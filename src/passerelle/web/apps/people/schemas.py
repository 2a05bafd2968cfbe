"""The shape of a person file as pages and the API write it, validated in one place."""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from passerelle.core.assessment import NeedsAssessment
from passerelle.core.profile import Profile, ProfileError, profile_from_data
from passerelle.core.validation import (
    BirthDate,
    InvalidFieldsError,
    PersonName,
    PlainText,
    field_errors,
)

PersonLanguage = Literal["fr", "nl", "en", "ar"]


class PersonDataError(InvalidFieldsError):
    """Bad person data; `errors` maps each field (dotted path) to what is wrong."""


class Identity(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    given_names: Annotated[PersonName, Field(min_length=1, max_length=200)]
    family_name: Annotated[PersonName, Field(max_length=200)] = ""
    given_names_latin: Annotated[PersonName, Field(min_length=1, max_length=200)]
    family_name_latin: Annotated[PersonName, Field(max_length=200)] = ""
    birth_date: BirthDate | None = None
    phone: Annotated[str, Field(max_length=40, pattern=r"^[0-9 +().-]*$")] = ""
    email: Annotated[PlainText, Field(max_length=254, pattern=r"^$|^[^@\s]+@[^@\s]+\.[^@\s]+$")] = (
        ""
    )
    language: PersonLanguage = "fr"


IDENTITY_FIELDS = tuple(Identity.model_fields)


def person_data_from(data: dict[str, Any]) -> tuple[Identity, Profile, NeedsAssessment]:
    """Validate a whole file: identity fields at the top level, `profile` and `assessment`
    as objects. Raise PersonDataError naming every bad field."""
    errors: dict[str, str] = {}
    unknown = set(data) - set(IDENTITY_FIELDS) - {"profile", "assessment"}
    for name in sorted(unknown):
        errors[name] = f"unknown field; allowed: {', '.join(IDENTITY_FIELDS)}, profile, assessment"
    identity = profile = assessment = None
    try:
        identity = Identity.model_validate({k: v for k, v in data.items() if k in IDENTITY_FIELDS})
    except ValidationError as error:
        errors.update(field_errors(error, Identity))
    try:
        profile = profile_from_data(data.get("profile") or {})
    except ProfileError as error:
        errors.update({f"profile.{name}": message for name, message in error.errors.items()})
    try:
        assessment = NeedsAssessment.model_validate_json(
            json.dumps(data.get("assessment") or {}, default=str)
        )
    except ValidationError as error:
        errors.update(
            {
                f"assessment.{name}": message
                for name, message in field_errors(error, NeedsAssessment).items()
            }
        )
    if errors or identity is None or profile is None or assessment is None:
        raise PersonDataError(errors)
    if profile.birth_date is not None:
        raise PersonDataError(
            {"profile.birth_date": "give the birth date once, as birth_date at the top level"}
        )
    return identity, profile, assessment


def rules_profile(birth_date: dt.date | None, profile_data: dict[str, Any]) -> Profile:
    """The profile the rules read: the stored profile with the file's birth date."""
    return profile_from_data({**profile_data, "birth_date": birth_date})
