"""Reads of the platform's own records for the analysis side, and who sees which part.

Only columns without a name or a contact are read: a file's id, organisation, birth date
and the profile's status, dates, languages and education; a referral's organisations,
programme, transitions with their dates, rejection reason and outcome; a recorded
follow-up's referral, day and situation (no contract, no hours); a recorded participation's
programme, organisation and days; capacities. The
mapping onto the engine's frames is `core.indicators.platform` (pure). Figures leave this
app only through `data` (small cells withheld, counts perturbed by cell key).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import polars as pl
from django.db import connection
from django.db.models import CharField, Count, Max, QuerySet, TextField
from django.db.models.fields.json import KeyTextTransform, KeyTransform
from django.db.models.functions import Cast, TruncDate
from django.utils import timezone

from passerelle.core.indicators.platform import (
    FILES_SCHEMA,
    FOLLOW_UPS_SCHEMA,
    LINKS_SCHEMA,
    PARTICIPATIONS_SCHEMA,
    TRANSITIONS_SCHEMA,
    capacity_frame,
    linked,
    participation_events_of,
    persons_frame_of,
    referral_frames_of,
    stable_id_expr,
)
from passerelle.web.apps.accounts.decorators import actor_for_request, is_analyst_or_platform_admin
from passerelle.web.apps.accounts.models import Role
from passerelle.web.apps.directory.models import Partnership, Programme
from passerelle.web.apps.followups.models import FollowUp, FollowUpState, Participation
from passerelle.web.apps.people.models import Person
from passerelle.web.apps.referrals.models import ProgrammeCapacity, ReferralEvent

HOLDERS_SCHEMA = {"person_id": pl.Int64, "organisation": pl.String}

ScopeKind = Literal["sector", "partnership", "organisation"]


@dataclass(frozen=True)
class Scope:
    """Whose figures: the whole sector, a partnership's member organisations, or one
    organisation (`organisations`: their slugs; empty for the sector)."""

    kind: ScopeKind
    slug: str = ""
    organisations: frozenset[str] = frozenset()

    @property
    def key(self) -> str:
        return self.kind if self.kind == "sector" else f"{self.kind}:{self.slug}"


SECTOR = Scope("sector")


def scopes_for(request: Any) -> list[Scope]:
    """The scopes a user may see, widest first: analysts and platform administrators the
    sector; a coordinator the partnerships their organisation is a member of, then their
    organisation; an organisation's administrator their organisation."""
    if is_analyst_or_platform_admin(request.user):
        return [SECTOR]
    actor = actor_for_request(request)
    if actor is None or actor.organisation is None:
        return []
    organisation = actor.organisation
    own = Scope("organisation", organisation.slug, frozenset({organisation.slug}))
    if actor.role != Role.COORDINATOR:
        return [own] if actor.allowed("aggregates_view", "organisation") else []
    partnerships = [
        Scope(
            "partnership",
            partnership.slug,
            frozenset(partnership.members.values_list("slug", flat=True)),
        )
        for partnership in Partnership.objects.filter(members=organisation).order_by("slug")
    ]
    return [*partnerships, own]


@dataclass(frozen=True)
class PersonLinks:
    """How the unique-beneficiaries linkage (the beneficiaries app, a layer above this one,
    which registers it in its `ready`) says which person files are one person: `version()`
    changes whenever the answer could (a new finished run, new encodings), None while no run
    has finished; `links(version)` gives (file id, representative file id) pairs
    (`core.indicators.platform.LINKS_SCHEMA`)."""

    version: Callable[[], Any]
    links: Callable[[Any], list[tuple[str, str]]]
    finished_on: Callable[[Any], dt.date | None]


_person_links: list[PersonLinks] = []


def person_links_register(links: PersonLinks) -> None:
    """Set where unique persons come from (one source: a second call replaces the first)."""
    _person_links[:] = [links]


def _links_version() -> Any:
    return _person_links[0].version() if _person_links else None


def data_version() -> tuple[Any, ...]:
    """What changes whenever a figure could: counts and the latest change of person files,
    referral events, follow-ups, recorded participations and capacities (five aggregate
    queries). Cached figures are keyed by it, so a recorded outcome shows in the very next
    view."""
    persons = Person.objects.aggregate(n=Count("pk"), last=Max("updated_at"))
    events = ReferralEvent.objects.aggregate(n=Count("pk"), last=Max("pk"))
    places = ProgrammeCapacity.objects.aggregate(n=Count("pk"), last=Max("updated_at"))
    follow_ups = FollowUp.objects.aggregate(n=Count("pk"), last=Max("updated_at"))
    participations = Participation.objects.aggregate(n=Count("pk"), last=Max("recorded_at"))
    return (
        participations["n"],
        participations["last"],
        follow_ups["n"],
        follow_ups["last"],
        persons["n"],
        persons["last"],
        events["n"],
        events["last"],
        places["n"],
        places["last"],
        _links_version(),
        timezone.localdate(),
    )


@dataclass(frozen=True)
class PlatformRecords:
    persons: pl.DataFrame
    holders: pl.DataFrame
    events: pl.DataFrame
    referrals: pl.DataFrame
    capacity: pl.DataFrame
    as_of: dt.date
    files: int = 0
    """Person files read (persons may be fewer: the linkage joins files of one person)."""
    linked_on: dt.date | None = None
    """The day the linkage run that counted persons finished; None: persons are files."""


def platform_records() -> PlatformRecords:
    return _platform_records(data_version())


@functools.lru_cache(maxsize=2)
def _platform_records(version: tuple[Any, ...]) -> PlatformRecords:
    return records_of(version[-2], version[-1])


def records_of(
    links_version: Any, as_of: dt.date, files: Sequence[Any] | None = None
) -> PlatformRecords:
    """The engine's frames of every person file, or (`files`: person file ids) of those
    files only: what the aggregates' hook reads for the persons a change touched."""
    table = _files_table(files)
    links, linked_on = _links_of(links_version)
    files_read = table.height
    # Unique persons through the linkage: each file of a person known at several
    # organisations carries that person's id (the representative file's) in every frame.
    table = linked(table, links, representative_first=True)
    persons = persons_frame_of(table.drop("organisation"))
    holders = table.select(person_id=stable_id_expr("person"), organisation="organisation")
    follow_ups, participations = _follow_ups_and_participations(links, files)
    events, referrals = referral_frames_of(linked(_transitions_table(files), links), follow_ups)
    events = pl.concat([events, participation_events_of(participations)])
    capacities = ProgrammeCapacity.objects.filter(period_start__lte=as_of)
    if files is not None:  # the aggregates keep no capacity (no figure of theirs uses it)
        capacities = capacities.none()
    capacity = capacity_frame(
        capacities.order_by("programme__slug", "-period_start").values_list(
            "programme__slug", "programme__organisation__slug", "places"
        )
    )
    return PlatformRecords(
        persons, holders, events, referrals, capacity, as_of, files_read, linked_on
    )


def links_of(links_version: Any) -> pl.DataFrame:
    """The linkage's clusters (`LINKS_SCHEMA`) of that version; empty before any run."""
    return _links_of(links_version)[0]


def linked_on() -> dt.date | None:
    """The day the linkage run that counts persons finished; None: persons are files."""
    day: dt.date | None = _links_of(_links_version())[1]
    return day


def links_version() -> Any:
    """The version of the linkage's answer (None before any finished run)."""
    return _links_version()


def frame_of(rows: QuerySet[Any], schema: dict[str, Any]) -> pl.DataFrame:
    """The rows of a `values_list` queryset as a polars frame of `schema` (its columns in
    the queryset's order): the SQL the ORM compiles is run through a cursor and its tuples
    go to polars as they are, with no model instance nor converter per row, so that a
    million rows stay cheap. Read only: the queryset says the query."""
    with connection.cursor() as cursor:
        cursor.execute(*rows.query.sql_with_params())
        return pl.DataFrame(cursor.fetchall(), schema=schema, orient="row")


def _files_table(files: Sequence[Any] | None = None) -> pl.DataFrame:
    """Every person file (or those of `files`) without name or contact (`FILES_SCHEMA` and
    the holder)."""

    # The profile's keys as text and the diplomas as JSON text, extracted by the database:
    # no name or contact is read, and no JSON document is decoded in Python.
    def profile(*path: str) -> KeyTextTransform:
        return KeyTextTransform(
            path[-1], KeyTransform(path[0], "profile") if len(path) > 1 else "profile"
        )

    people = Person.objects.all() if files is None else Person.objects.filter(pk__in=files)
    rows = people.annotate(
        person_text=Cast("pk", CharField()),
        legal_status_text=profile("legal_status"),
        application_text=profile("asylum_application_date"),
        decision_text=profile("asylum_decision_date"),
        arrival_text=profile("arrival_in_belgium"),
        registration_text=profile("first_registration_brussels"),
        fr_text=profile("languages", "fr"),
        nl_text=profile("languages", "nl"),
        en_text=profile("languages", "en"),
        education_text=profile("education_isced"),
        diplomas_text=Cast(KeyTransform("diplomas", "assessment"), TextField()),
    ).values_list(
        "person_text",
        "birth_date",
        "legal_status_text",
        "application_text",
        "decision_text",
        "arrival_text",
        "registration_text",
        "fr_text",
        "nl_text",
        "en_text",
        "education_text",
        "diplomas_text",
        "organisation__slug",
    )
    return frame_of(rows, {**FILES_SCHEMA, "organisation": pl.String})


def _links_of(links_version: Any) -> tuple[pl.DataFrame, Any]:
    """The files the latest finished linkage run joined (`LINKS_SCHEMA`) and that run's
    day; none before any run."""
    if links_version is None:
        return pl.DataFrame(schema=LINKS_SCHEMA), None
    links = pl.DataFrame(_person_links[0].links(links_version), schema=LINKS_SCHEMA, orient="row")
    return links, _person_links[0].finished_on(links_version)


def _transitions_table(files: Sequence[Any] | None = None) -> pl.DataFrame:
    """Every referral transition that is an event (`TRANSITIONS_SCHEMA`).

    Ids as text and dates on the server's day (TruncDate in the current time zone) are
    computed by the database, and the rows fetched by the cursor go to polars as they are:
    no model instance nor converter per event."""
    events = ReferralEvent.objects.filter(to_state__in=_STATES)
    if files is not None:
        events = events.filter(referral__person_id__in=files)
    transitions = events.annotate(
        referral_text=Cast("referral_id", CharField()),
        person_text=Cast("referral__person_id", CharField()),
        on=TruncDate("at"),
    ).values_list(
        "referral_text",
        "person_text",
        "referral__sender__slug",
        "referral__receiver__slug",
        "referral__programme__slug",
        "from_state",
        "to_state",
        "on",
        "referral__rejection_reason",
        "referral__outcome",
    )
    return frame_of(transitions, TRANSITIONS_SCHEMA)


def _follow_ups_and_participations(
    links: pl.DataFrame, files: Sequence[Any] | None = None
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The recorded follow-ups (`FOLLOW_UPS_SCHEMA`) and participations
    (`PARTICIPATIONS_SCHEMA`) of every file (or of `files`), each person by the linkage's
    person id."""
    follow_ups, taken_part = FollowUp.objects.all(), Participation.objects.all()
    if files is not None:
        follow_ups = follow_ups.filter(person_id__in=files)
        taken_part = taken_part.filter(person_id__in=files)
    recorded = follow_ups.filter(state=FollowUpState.RECORDED).values_list(
        Cast("referral_id", CharField()),
        Cast("person_id", CharField()),
        "situation_on",
        "situation",
    )
    participations = taken_part.values_list(
        Cast("person_id", CharField()),
        "programme__slug",
        "organisation__slug",
        "started_on",
        "ended_on",
    )
    return (
        linked(pl.DataFrame(list(recorded), schema=FOLLOW_UPS_SCHEMA, orient="row"), links),
        linked(
            pl.DataFrame(list(participations), schema=PARTICIPATIONS_SCHEMA, orient="row"),
            links,
        ),
    )


_STATES = ("sent", "accepted", "rejected", "in_progress", "completed", "no_show", "withdrawn")


def programmes_in(scope: Scope) -> list[str]:
    """The slugs of the directory's programmes run by the scope's organisations."""
    programmes = Programme.objects.all()
    if scope.kind != "sector":
        programmes = programmes.filter(organisation__slug__in=scope.organisations)
    return sorted(programmes.values_list("slug", flat=True))
