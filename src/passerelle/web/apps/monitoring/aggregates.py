"""The figures' aggregates in the database, kept in step with every recorded change.

Per scope (the sector, each organisation, each partnership) the table `AggregateCell` holds
the sums over persons of `core.indicators.aggregates.cells_of` (counts and cell-key sums per
cell), and `AggregatePerson` each person's rows as those sums hold them. One hook,
`aggregates_record(files)`, runs in the transaction of every change of a person file, a
referral transition, a follow-up or a participation (the signal receivers of `signals.py`,
the one place that calls it): it reads the persons those files belong to (through the
linkage), subtracts their old part and adds the new one. A view then reads its scope's
cells (a few thousand rows) instead of every record.

`aggregates_rebuild()` (the command `passerelle aggregates-rebuild`, the task
`tasks.aggregates_rebuild_task`) computes everything from scratch: after a migration, an
import written in bulk, a new linkage run, a new day (outcomes falling due, censoring),
a change of the partnerships or of the cell-key secret. Until it has run for the current
state (`usable()`), the views compute their figures in full, as before: never from
aggregates built for another day or another linkage.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import hmac
import json
import time
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

import polars as pl
from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from passerelle.core.disclosure import SECRET_PURPOSE
from passerelle.core.evaluation.synthetic import ACTIRIS_REFERENCE_DATE
from passerelle.core.indicators.aggregates import (
    CELLS_SCHEMA,
    cells_difference,
    cells_of,
    scopes_of,
    sum_cells,
)
from passerelle.core.indicators.platform import restrict, stable_id
from passerelle.core.indicators.schema import (
    CAPACITY_SCHEMA,
    EVENTS_SCHEMA,
    PERSONS_SCHEMA,
    REFERRALS_SCHEMA,
)
from passerelle.web.apps.directory.models import Partnership
from passerelle.web.apps.monitoring import selectors
from passerelle.web.apps.monitoring.models import AggregateCell, AggregatePerson, AggregateState

SCHEMAS: dict[str, dict[str, Any]] = {
    "persons": PERSONS_SCHEMA,
    "holders": selectors.HOLDERS_SCHEMA,
    "events": EVENTS_SCHEMA,
    "referrals": REFERRALS_SCHEMA,
}
DASHBOARD_FAMILIES = ("persons", "cohorts", "actiris", "km", "outcomes", "flows", "starts")
REPORT_FAMILIES = ("report_started", "report_active", "report_outcomes", "report_waiting")
"""The funder report's families kept by programme (`AggregateCell.part`)."""
STATE_ID = 1


def cell_key_secret() -> bytes:
    """The secret behind the record keys of published counts (`core.disclosure`): the
    setting MONITORING_CELL_KEY_SECRET, else one derived from SECRET_KEY. It must stay the
    same over time: a new secret gives every cell new noise, and an attacker who saw the
    figures under both could average the two."""
    base = str(settings.MONITORING_CELL_KEY_SECRET or settings.SECRET_KEY)
    return hmac.new(base.encode(), SECRET_PURPOSE, hashlib.sha256).digest()


def partnerships() -> dict[str, frozenset[str]]:
    """Each partnership's member organisations (slugs)."""
    members: dict[str, set[str]] = defaultdict(set)
    for slug, member in Partnership.objects.values_list("slug", "members__slug"):
        if member is not None:
            members[slug].add(member)
    return {slug: frozenset(organisations) for slug, organisations in members.items()}


def _expected() -> dict[str, Any]:
    """What the aggregates must have been built for to be used today."""
    shape = json.dumps(sorted((slug, sorted(m)) for slug, m in partnerships().items()))
    return {
        "as_of": timezone.localdate(),
        "secret": hashlib.sha256(cell_key_secret()).hexdigest(),
        "links": repr(selectors.links_version())[:200],
        "partnerships": hashlib.sha256(shape.encode()).hexdigest(),
    }


def state_digest() -> str:
    """A digest of `_expected()`: what a rebuild for the current state is keyed by."""
    return hashlib.sha256(repr(sorted(_expected().items())).encode()).hexdigest()[:40]


def _matches(state: AggregateState, expected: dict[str, Any]) -> bool:
    return all(getattr(state, name) == value for name, value in expected.items())


def usable() -> AggregateState | None:
    """The aggregates' state when they hold today's figures (built for this day, secret,
    linkage run and partnerships, and kept by the hook since); None otherwise."""
    state = AggregateState.objects.filter(pk=STATE_ID).first()
    if state is None or state.built_at is None or not _matches(state, _expected()):
        return None
    return state


def totals(scope: str, families: Iterable[str], part: str | None = None) -> pl.DataFrame:
    """The scope's cells of these families (`CELLS_SCHEMA`); `part`: only that programme's
    rows of the funder report's families."""
    rows = AggregateCell.objects.filter(scope=scope, family__in=list(families))
    if part is not None:
        rows = rows.filter(part=part)
    with connection.cursor() as cursor:
        query = rows.values_list("family", "cell", "measure", "value").query
        cursor.execute(*query.sql_with_params())
        return pl.DataFrame(cursor.fetchall(), schema=CELLS_SCHEMA, orient="row")


# --- the persons' rows ----------------------------------------------------------------


def _text_schema(schema: dict[str, Any]) -> dict[str, Any]:
    return {
        name: pl.String if dtype == pl.Date or isinstance(dtype, pl.Enum) else dtype
        for name, dtype in schema.items()
    }


def _frames_from_json(text: str) -> dict[str, pl.DataFrame]:
    rows = json.loads(text) if text else {}
    frames = {}
    for name, schema in SCHEMAS.items():
        frame = pl.DataFrame(rows.get(name, []), schema=_text_schema(schema), orient="row")
        frames[name] = frame.with_columns(
            [
                pl.col(column).str.to_date("%Y-%m-%d")
                for column, dtype in schema.items()
                if dtype == pl.Date
            ]
        ).cast(schema)  # type: ignore[arg-type]
    return frames


def _rows_by_person(frames: dict[str, pl.DataFrame]) -> dict[int, str]:
    """Each person's rows of every frame, as JSON (dates as ISO text)."""
    buckets: dict[int, dict[str, list[list[Any]]]] = defaultdict(
        lambda: {name: [] for name in SCHEMAS}
    )
    for name in SCHEMAS:
        frame = frames[name].select(list(SCHEMAS[name]))
        position = frame.columns.index("person_id")
        for row in frame.iter_rows():
            buckets[row[position]][name].append(list(row))
    return {person: json.dumps(rows, default=str) for person, rows in buckets.items()}


def _organisations(frames: dict[str, pl.DataFrame]) -> list[str]:
    """The organisations a person's frames touch (holder, referrals, participations)."""
    touched = {
        *frames["holders"]["organisation"].to_list(),
        *frames["referrals"]["from_organisation"].to_list(),
        *frames["referrals"]["to_organisation"].to_list(),
        *frames["events"]["organisation"].to_list(),
    }
    return sorted(slug for slug in touched if slug)


def _restricted(
    frames: dict[str, pl.DataFrame], scope: str, members: dict[str, frozenset[str]]
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """The persons, events and referrals frames restricted to the scope (`restrict`)."""
    persons, events, referrals = frames["persons"], frames["events"], frames["referrals"]
    if scope == "sector":
        return persons, events, referrals
    kind, slug = scope.split(":", 1)
    organisations = members.get(slug, frozenset()) if kind == "partnership" else {slug}
    part = restrict(
        persons,
        frames["holders"],
        events,
        referrals,
        pl.DataFrame(schema=CAPACITY_SCHEMA),
        organisations,
    )
    return part.persons, part.events, part.referrals


def _write(scope: str, cells: pl.DataFrame, *, add: bool) -> None:
    """Cells added to the scope's totals (`add`), or inserted as they are (a rebuild)."""
    if cells.is_empty():
        return
    report = pl.col("family").is_in(list(REPORT_FAMILIES))
    rows = cells.select(
        pl.lit(scope).alias("scope"),
        "family",
        pl.when(report)
        .then(pl.col("cell").str.split("|").list.first())
        .otherwise(pl.lit(""))
        .alias("part"),
        "cell",
        "measure",
        "value",
    ).rows()
    table = AggregateCell._meta.db_table
    sql = (
        f"INSERT INTO {table} (scope, family, part, cell, measure, value) "  # noqa: S608 (the model's table)
        "VALUES (%s, %s, %s, %s, %s, %s)"
    )
    if add:
        sql += (
            " ON CONFLICT (scope, family, cell, measure)"
            f" DO UPDATE SET value = {table}.value + excluded.value"
        )
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


# --- the hook ----------------------------------------------------------------------------


@functools.lru_cache(maxsize=2)
def _clusters(links_version: Any) -> tuple[dict[str, str], dict[str, list[str]]]:
    """The linkage's clusters: each linked file's representative, each representative's
    files."""
    links = selectors.links_of(links_version) if links_version is not None else None
    if links is None or links.is_empty():
        return {}, {}
    representative = dict(links.select("file", "representative").iter_rows())
    files: dict[str, list[str]] = defaultdict(list)
    for file, person in representative.items():
        files[person].append(file)
    return representative, dict(files)


def aggregates_record(files: Iterable[Any]) -> None:
    """Bring the aggregates up to date for the persons these person files belong to, in
    the caller's transaction. Does nothing while the aggregates are not usable (a rebuild
    is due: the views compute in full until it has run)."""
    wanted = {str(file) for file in files if file is not None}
    if not wanted:
        return
    with transaction.atomic():
        state = AggregateState.objects.select_for_update().filter(pk=STATE_ID).first()
        if state is None or state.built_at is None:
            return
        expected = _expected()
        if not _matches(state, expected):
            return
        links_version = selectors.links_version()
        representative, cluster = _clusters(links_version)
        persons = {representative.get(file, file) for file in wanted}
        read = sorted({file for person in persons for file in cluster.get(person, [person])})
        records = selectors.records_of(links_version, expected["as_of"], files=read)
        now = {
            "persons": records.persons,
            "holders": records.holders,
            "events": records.events,
            "referrals": records.referrals,
        }
        members = partnerships()
        ids = [stable_id(person) for person in persons]
        stored = {
            row.person_id: row
            for row in AggregatePerson.objects.select_for_update().filter(pk__in=ids)
        }
        deltas: dict[str, list[pl.DataFrame]] = defaultdict(list)
        for person_id in ids:
            new = {
                name: frame.filter(pl.col("person_id") == person_id) for name, frame in now.items()
            }
            delta = _person_update(
                person_id, new, stored.get(person_id), members, expected["as_of"]
            )
            for scope, change in delta.items():
                deltas[scope].append(change)
        for scope, changes in deltas.items():
            _write(scope, sum_cells(pl.concat(changes)), add=True)
        AggregateState.objects.filter(pk=STATE_ID).update(version=F("version") + 1)


Parts = dict[str, pl.DataFrame]
"""A person's part of the totals, per scope."""


def _parts(
    frames: dict[str, pl.DataFrame], members: dict[str, frozenset[str]], as_of: dt.date
) -> Parts:
    """The person's part of each scope they count in; computed once per distinct set of
    rows (a person known at one organisation has the same part in it as in the sector)."""
    computed: dict[str, pl.DataFrame] = {}
    parts = {}
    for scope in scopes_of(_organisations(frames), members):
        rows = _restricted(frames, scope, members)
        digest = repr([frame.rows() for frame in rows])
        if digest not in computed:
            computed[digest] = cells_of(*rows, as_of, cell_key_secret(), ACTIRIS_REFERENCE_DATE)
        parts[scope] = computed[digest]
    return parts


def _parts_json(parts: Parts) -> str:
    return json.dumps({scope: cells.rows() for scope, cells in parts.items()})


def _parts_from_json(text: str) -> Parts:
    return {
        scope: pl.DataFrame(rows, schema=CELLS_SCHEMA, orient="row")
        for scope, rows in json.loads(text).items()
    }


def _person_delta(
    new: dict[str, pl.DataFrame],
    stored: AggregatePerson | None,
    members: dict[str, frozenset[str]],
    as_of: dt.date,
) -> tuple[Parts, Parts]:
    """The person's new part of the totals, and what it changes in each scope (the new
    part minus the old one: stored, or computed from the rows the rebuild stored)."""
    old: Parts = {}
    if stored is not None:
        old = (
            _parts_from_json(stored.cells)
            if stored.cells
            else _parts(_frames_from_json(stored.frames), members, as_of)
        )
    parts = _parts(new, members, as_of)
    empty = pl.DataFrame(schema=CELLS_SCHEMA)
    deltas = {
        scope: cells_difference(parts.get(scope, empty), old.get(scope, empty))
        for scope in sorted(parts.keys() | old.keys())
    }
    return parts, deltas


def _person_update(
    person_id: int,
    new: dict[str, pl.DataFrame],
    known: AggregatePerson | None,
    members: dict[str, frozenset[str]],
    as_of: dt.date,
) -> Parts:
    """Store the person's new rows and part; return what they change in each scope."""
    text = _rows_by_person(new).get(person_id)
    if known is not None and known.cells and known.frames == text:
        return {}  # nothing the figures read has changed (a file's other fields, say)
    parts, delta = _person_delta(new, known, members, as_of)
    if text is None:
        AggregatePerson.objects.filter(pk=person_id).delete()
    else:
        AggregatePerson.objects.update_or_create(
            pk=person_id, defaults={"frames": text, "cells": _parts_json(parts)}
        )
    return delta


# --- the rebuild -------------------------------------------------------------------------


def aggregates_rebuild() -> AggregateState:
    """Every scope's aggregates and every person's rows computed from the records, in one
    transaction that holds the state's row (changes recorded meanwhile wait for it)."""
    started = time.perf_counter()
    with transaction.atomic():
        state, _created = AggregateState.objects.select_for_update().get_or_create(pk=STATE_ID)
        expected = _expected()
        links_version = selectors.links_version()
        records = selectors.records_of(links_version, expected["as_of"])
        frames = {
            "persons": records.persons,
            "holders": records.holders,
            "events": records.events,
            "referrals": records.referrals,
        }
        members = partnerships()
        AggregateCell.objects.all().delete()
        AggregatePerson.objects.all().delete()
        organisations = sorted(
            {*_organisations(frames), *(slug for m in members.values() for slug in m)}
        )
        for scope in scopes_of(organisations, members):
            rows = _restricted(frames, scope, members)
            _write(
                scope,
                cells_of(*rows, expected["as_of"], cell_key_secret(), ACTIRIS_REFERENCE_DATE),
                add=False,
            )
        AggregatePerson.objects.bulk_create(
            [
                AggregatePerson(person_id=person, frames=text)
                for person, text in _rows_by_person(frames).items()
            ],
            batch_size=2000,
        )
        for name, value in expected.items():
            setattr(state, name, value)
        state.version += 1
        state.built_at = timezone.now()
        state.build_seconds = time.perf_counter() - started
        state.save()
    return state
