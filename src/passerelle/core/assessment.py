"""A needs assessment, as the BAPA welcome module records it.

Language levels live in the person's `Profile` (the rules read them); the assessment holds
what the rules do not need: literacy, diplomas and their recognition, work experience,
wishes and social needs. Codes follow international classifications so that they can be
counted across organisations: ISCED 2011 levels for education, ISCO-08 for occupations.
"""

from __future__ import annotations

from typing import Annotated, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

from passerelle.core.i18n import gettext_noop
from passerelle.core.validation import PlainText

Literacy = Literal["none", "basic", "functional", "fluent"]
LITERACY_LEVELS: tuple[str, ...] = get_args(Literacy)
LITERACY_LABELS = {
    "none": gettext_noop("cannot read or write yet"),
    "basic": gettext_noop("reads and writes a little"),
    "functional": gettext_noop("reads and writes everyday texts"),
    "fluent": gettext_noop("reads and writes fluently"),
}

Recognition = Literal["not_requested", "pending", "full", "partial", "refused", "not_needed"]
RECOGNITION_STATUSES: tuple[str, ...] = get_args(Recognition)
RECOGNITION_LABELS = {
    "not_requested": gettext_noop("recognition not requested"),
    "pending": gettext_noop("recognition pending"),
    "full": gettext_noop("recognised"),
    "partial": gettext_noop("partly recognised"),
    "refused": gettext_noop("recognition refused"),
    "not_needed": gettext_noop("no recognition needed"),
}

SocialNeed = Literal["housing", "childcare", "health", "transport", "income"]
SOCIAL_NEEDS: tuple[str, ...] = get_args(SocialNeed)
SOCIAL_NEED_LABELS = {
    "housing": gettext_noop("housing"),
    "childcare": gettext_noop("childcare"),
    "health": gettext_noop("health"),
    "transport": gettext_noop("transport"),
    "income": gettext_noop("income"),
}

ISCED_LABELS = {
    0: gettext_noop("early childhood education"),
    1: gettext_noop("primary education"),
    2: gettext_noop("lower secondary education"),
    3: gettext_noop("upper secondary education"),
    4: gettext_noop("post-secondary non-tertiary education"),
    5: gettext_noop("short-cycle tertiary education"),
    6: gettext_noop("bachelor or equivalent"),
    7: gettext_noop("master or equivalent"),
    8: gettext_noop("doctoral or equivalent"),
}
"""ISCED 2011 levels (UNESCO Institute for Statistics)."""

ISCO_MAJOR_GROUPS = {
    "0": gettext_noop("armed forces occupations"),
    "1": gettext_noop("managers"),
    "2": gettext_noop("professionals"),
    "3": gettext_noop("technicians and associate professionals"),
    "4": gettext_noop("clerical support workers"),
    "5": gettext_noop("service and sales workers"),
    "6": gettext_noop("skilled agricultural, forestry and fishery workers"),
    "7": gettext_noop("craft and related trades workers"),
    "8": gettext_noop("plant and machine operators and assemblers"),
    "9": gettext_noop("elementary occupations"),
}
"""ISCO-08 major groups (International Labour Organization); a code's first digit."""

IscoCode = Annotated[str, Field(pattern=r"^[0-9]{1,4}$", description="ISCO-08 code, 1-4 digits")]


class Diploma(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    title: Annotated[PlainText, Field(min_length=1, max_length=200)]
    country: Annotated[str, Field(pattern=r"^[A-Z]{2}$")] | None = None
    isced: Annotated[int, Field(ge=0, le=8)] | None = None
    recognition: Recognition = "not_requested"


class Experience(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    isco: IscoCode
    years: Annotated[float, Field(ge=0, le=60)]
    description: Annotated[PlainText, Field(max_length=200)] = ""


class NeedsAssessment(BaseModel):
    """What a caseworker learns at intake; every field optional, as intake is gradual."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    literacy: Literacy | None = None
    diplomas: Annotated[list[Diploma], Field(max_length=20)] = []
    experience: Annotated[list[Experience], Field(max_length=20)] = []
    wished_occupations: Annotated[list[IscoCode], Field(max_length=10)] = []
    wishes: Annotated[PlainText, Field(max_length=2000)] = ""
    social_needs: Annotated[list[SocialNeed], Field(max_length=len(SOCIAL_NEEDS))] = []
    notes: Annotated[PlainText, Field(max_length=4000)] = ""


def isco_label(code: str) -> str:
    """The untranslated name of a code's ISCO-08 major group (translate with `_`)."""
    return ISCO_MAJOR_GROUPS.get(code[:1], code)
