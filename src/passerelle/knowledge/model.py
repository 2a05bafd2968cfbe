"""The shape of the knowledge base: organisations, programmes, partnerships, municipalities,
sources and dated legal parameters. Every record is validated on load (see `loader`)."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    field_validator,
    model_validator,
)

from passerelle.knowledge.criteria import (
    AllOf,
    AnyOf,
    Compare,
    Criterion,
    Not,
    criterion_to_data,
    parse_criterion,
)
from passerelle.knowledge.dates import PartialDate

LANGUAGES_OF_THE_PLATFORM = ("fr", "nl", "en", "ar")

Id = Annotated[str, Field(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$", max_length=80)]
LanguageCode = Annotated[str, Field(pattern=r"^[a-z]{2}$")]
PartialDateField = Annotated[
    PartialDate,
    BeforeValidator(PartialDate.parse),
    PlainSerializer(str, return_type=str),
]


def _http_url(value: str | None) -> str | None:
    """Links shown on the site are web addresses, never `javascript:` or `data:`."""
    if value is not None and not value.startswith(("https://", "http://")):
        raise ValueError("must start with https:// or http://")
    return value


class Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Localised(Record):
    """Text in several languages, read with a fallback to English."""

    en: str
    ar: str | None = None

    def get(self, language: str) -> str:
        value = getattr(self, language, None)
        return value if isinstance(value, str) and value else self.en


class Text(Localised):
    """A text in the platform's languages; English is required, the others are optional
    until a translator fills them in."""

    fr: str | None = None
    nl: str | None = None


class Names(Localised):
    """Official names. The three Belgian working languages are required; where an
    organisation uses one name everywhere, it is repeated."""

    fr: str
    nl: str
    short: str | None = None


class SourceDocument(Record):
    """An entry of the bibliography (sources.yaml)."""

    id: Id
    title: str
    publisher: str | None = None
    date: PartialDateField | None = None
    url: str | None = None
    language: LanguageCode | None = None
    note: str | None = None

    @field_validator("url")
    @classmethod
    def _url_is_http(cls, value: str | None) -> str | None:
        return _http_url(value)


class Citation(Record):
    """Where a fact comes from: a bibliography entry and, for the seed article, the paragraph
    or footnote; for a law, the article."""

    source: Id
    paragraph: int | None = Field(default=None, ge=1)
    footnote: int | None = Field(default=None, ge=1)
    article: str | None = None
    accessed: PartialDateField | None = None
    quote: str | None = None


Sources = Annotated[list[Citation], Field(min_length=1)]

OrganisationKind = Literal[
    "public_employment_service",
    "public_social_welfare_centre",
    "municipal_employment_network",
    "reception_office",
    "regional_agency",
    "non_profit",
    "de_facto_association",
    "employers_federation_initiative",
    "community_commission",
    "municipality",
    "international_network",
]

TargetGroup = Literal[
    "asylum_seekers",
    "refugees",
    "subsidiary_protection",
    "newcomers",
    "non_eu_newcomers",
    "young_people_with_migration_background",
    "job_seekers",
    "people_receiving_social_assistance",
    "adults_with_low_literacy",
    "employers",
    "organisations",
    "retired_volunteers",
]

OrganisationStatus = Literal["active", "dormant", "part_of", "closed"]


def _check_validity(valid_from: PartialDate | None, valid_to: PartialDate | None) -> None:
    """A record's validity ends after it starts (either end may be open)."""
    if (
        valid_from is not None
        and valid_to is not None
        and valid_to.first_day <= valid_from.first_day
    ):
        raise ValueError("valid_to: must be after valid_from")


class StatusPeriod(Record):
    """One period of an organisation's life. Periods must not overlap; before the first
    period the organisation is `not_yet_founded`."""

    status: OrganisationStatus
    valid_from: PartialDateField
    valid_to: PartialDateField | None = None
    parent: Id | None = None
    relation: Literal["project_of", "merged_into", "founded_by"] | None = None
    from_earliest_evidence: bool = False
    """True when `valid_from` is only the earliest date a source shows this status (the
    organisation may be older): before it the status is `unknown`, not `not_yet_founded`."""
    note: str | None = None
    sources: Sources

    @model_validator(mode="after")
    def _parent_for_part_of(self) -> StatusPeriod:
        if self.status == "part_of" and self.parent is None:
            raise ValueError("parent: required when status is 'part_of'")
        if self.status != "part_of" and self.parent is not None:
            raise ValueError("parent: only allowed when status is 'part_of'")
        _check_validity(self.valid_from, self.valid_to)
        return self


class Organisation(Record):
    id: Id
    names: Names
    kind: OrganisationKind
    languages: list[LanguageCode] = []
    funders: list[Id] = []
    founders: list[Id] = []
    mandate: Text | None = None
    target_groups: list[TargetGroup] = []
    municipality: Id | None = None
    website: str | None = None
    status_history: list[StatusPeriod] = []
    sources: Sources

    @field_validator("website")
    @classmethod
    def _website_is_http(cls, value: str | None) -> str | None:
        return _http_url(value)


ProgrammeCategory = Literal[
    "language_course",
    "integration_pathway",
    "mentoring",
    "internship",
    "job_search_support",
    "diploma_recognition",
    "literacy",
    "employer_support",
    "recruitment_event",
    "social_guidance",
    "training",
]


class Quantity(Record):
    value: float = Field(gt=0)
    unit: Literal["hours", "days", "weeks", "months", "years", "people", "dossiers"]
    per: Literal["day", "week", "month", "year", "session"] | None = None
    approximate: bool = False
    note: str | None = None
    sources: Sources


class Money(Record):
    kind: Literal["free", "allowance", "fee", "unpaid"]
    amount_eur: float | None = Field(default=None, ge=0)
    per: Literal["day", "week", "month", "year", "session"] | None = None
    note: str | None = None
    sources: Sources


class Module(Record):
    id: Id
    names: Text
    description: Text | None = None


class Programme(Record):
    """A service of an organisation (HSDS `service`). A programme may have several versions
    under one id with disjoint validity periods, when its rules changed."""

    id: Id
    organisation: Id
    names: Names
    categories: Annotated[list[ProgrammeCategory], Field(min_length=1)]
    description: Text
    target_groups: list[TargetGroup] = []
    languages: list[LanguageCode] = []
    modules: list[Module] = []
    capacity: Quantity | None = None
    duration: Quantity | None = None
    cost: Money | None = None
    how_to_apply: Text | None = None
    valid_from: PartialDateField | None = None
    valid_to: PartialDateField | None = None
    offered_while_dormant: bool = False
    """A published resource (a guide) that stays available while its organisation is
    dormant; a programme run by people is not offered then."""
    eligibility: Annotated[
        Criterion | None,
        BeforeValidator(lambda raw: _criterion_or_none(raw)),
        PlainSerializer(lambda c: None if c is None else criterion_to_data(c)),
    ] = None
    eligibility_note: Text | None = None
    sources: Sources

    @model_validator(mode="after")
    def _dates_in_order(self) -> Programme:
        _check_validity(self.valid_from, self.valid_to)
        return self


def _criterion_or_none(raw: Any) -> Criterion | None:
    if raw is None or isinstance(raw, Compare | AllOf | AnyOf | Not):
        return raw
    return parse_criterion(raw)


Weekday = Literal["MO", "TU", "WE", "TH", "FR", "SA", "SU"]
WEEKDAYS: tuple[str, ...] = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


class EventSchedule(Record):
    """The days an event is held: every week on a weekday, or every month on its n-th
    weekday (an iCalendar rule, RFC 5545), from `starts`. `assumption` is true when no
    source gives the day: every page and the feed then label the dates as assumed and ask
    the reader to confirm with the organiser; `note` says what the sources do give."""

    frequency: Literal["weekly", "monthly"]
    weekday: Weekday
    week_of_month: Annotated[int, Field(ge=1, le=4)] | None = None
    starts: dt.date
    assumption: bool
    note: Text | None = None

    @model_validator(mode="after")
    def _week_only_for_months(self) -> EventSchedule:
        if (self.frequency == "monthly") != (self.week_of_month is not None):
            raise ValueError(
                "week_of_month: required (1-4) for a monthly schedule, absent for a weekly one"
            )
        if self.assumption and self.note is None:
            raise ValueError("note: required for an assumed schedule (say what the sources give)")
        return self


class Event(Record):
    """A recurring meeting of the sector, such as a monthly recruitment seminar."""

    id: Id
    names: Text
    organiser: Id
    venue: Id | None = None
    recurrence: Literal["weekly", "monthly", "regularly", "once"]
    schedule: EventSchedule | None = None
    sources: Sources

    @model_validator(mode="after")
    def _schedule_follows_the_recurrence(self) -> Event:
        if (
            self.schedule is not None
            and self.recurrence in ("weekly", "monthly")
            and self.schedule.frequency != self.recurrence
        ):
            raise ValueError(
                f"schedule.frequency: {self.schedule.frequency!r} contradicts "
                f"recurrence {self.recurrence!r}"
            )
        return self


class Partnership(Record):
    id: Id
    names: Text
    formal: bool
    members: Annotated[list[Id], Field(min_length=2)]
    purpose: Text
    programmes: list[Id] = []
    routing_basis: list[str] = []
    """Characteristics by which beneficiaries are routed between members, as the source
    names them (such as age); criteria are only given where a source states them."""
    events: list[Event] = []
    valid_from: PartialDateField | None = None
    valid_to: PartialDateField | None = None
    sources: Sources


class Municipality(Record):
    id: Id
    names: Names
    postcodes: Annotated[list[Annotated[str, Field(pattern=r"^\d{4}$")]], Field(min_length=1)]
    region: Literal["brussels-capital", "flanders", "wallonia"]
    sources: Sources


class ParameterValue(Record):
    valid_from: dt.date
    value: bool | int | float | str | list[str] | dict[str, int] | None
    sources: Sources
    note: str | None = None


class Parameter(Record):
    """A dated legal parameter in the style of OpenFisca: values in force from a date until
    the next value; `None` means the provision does not exist (yet, or any more)."""

    id: Annotated[str, Field(pattern=r"^[a-z0-9_.]+$")]
    description: Text
    unit: str | None = None
    values: Annotated[list[ParameterValue], Field(min_length=1)]

    @field_validator("values")
    @classmethod
    def _strictly_increasing(cls, values: list[ParameterValue]) -> list[ParameterValue]:
        for earlier, later in itertools.pairwise(values):
            if later.valid_from <= earlier.valid_from:
                raise ValueError(
                    f"valid_from {later.valid_from} must come after {earlier.valid_from}: "
                    "values are listed oldest first and do not overlap"
                )
        return values

    def value_on(self, on: dt.date) -> ParameterValue | None:
        current: ParameterValue | None = None
        for value in self.values:
            if value.valid_from > on:
                break
            current = value
        return current

    def change_dates(self) -> tuple[dt.date, ...]:
        return tuple(value.valid_from for value in self.values)


class EuMembership(Record):
    """A state's membership of the European Union (joined and, where it left, left)."""

    country: Annotated[str, Field(pattern=r"^[A-Z]{2}$")]
    joined: dt.date
    left: dt.date | None = None
    sources: Sources


# --- What a reader reads: plain summaries in the public languages ----------------------------

READER_LANGUAGES = ("fr", "nl", "en", "ar", "uk", "ti", "fa-af", "ps")
"""The languages of the public side (Django's codes: Dari is `fa-af`, see docs/i18n.md)."""
ReaderLanguage = Literal["fr", "nl", "en", "ar", "uk", "ti", "fa-af", "ps"]


class ReaderText(Record):
    """What a newcomer reads about one organisation or programme, in one language: its name
    where it has one in that language (a proper name such as "Duo for a Job" is left out and
    shown as it is), a plain summary (2-3 sentences, facts only from the record and its
    sources), who it is for, and how to apply or make contact (the website when that is all
    the sources give, never an invented address or telephone number)."""

    name: Annotated[str, Field(min_length=1, max_length=160)] | None = None
    summary: Annotated[str, Field(min_length=1, max_length=700)]
    for_whom: Annotated[str, Field(min_length=1, max_length=400)]
    how_to_apply: Annotated[str, Field(min_length=1, max_length=400)]
    reviewed: bool | None = None
    """Overrides the file's `reviewed` for this record (a fluent reader checked it)."""


class ReaderCatalogue(Record):
    """One file of `knowledge/reader/`: the plain texts in one language. The original
    (`translated_from` absent) is written from the records and their sources; every other
    file is a translation and says from which language, how it was made and whether a fluent
    reader has reviewed it."""

    language: ReaderLanguage
    translated_from: ReaderLanguage | None = None
    method: Literal["written", "human", "machine"]
    reviewed: bool
    organisations: dict[Id, ReaderText] = {}
    programmes: dict[Id, ReaderText] = {}

    @model_validator(mode="after")
    def _translation_of_another_language(self) -> ReaderCatalogue:
        if self.translated_from == self.language:
            raise ValueError("translated_from: must differ from language")
        if (self.translated_from is None) != (self.method == "written"):
            raise ValueError(
                "method: 'written' for the original (no translated_from), "
                "'human' or 'machine' for a translation"
            )
        return self

    def entry(
        self, kind: Literal["organisations", "programmes"], record_id: str
    ) -> ReaderText | None:
        return (self.organisations if kind == "organisations" else self.programmes).get(record_id)
