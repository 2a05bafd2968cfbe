"""The figures' aggregates in the database, kept in step with every recorded change.

Per scope (the sector, each organisation, each partnership) the table `AggregateCell` holds
the sums over persons of `core.indicators.aggregates.cells_of` (counts and cell-key sums per
cell), and `AggregatePerson` each person's rows as those sums hold them. Every change of a
person file, a referral transition, a follow-up or a participation (the signal receivers of
`signals.py`, the one place that calls it) calls `aggregates_record(files)`, which only
marks the persons pending (`AggregatePending`, one insert, no lock). The applier,
`aggregates_apply`, takes the marks in: it reads the persons they belong to (through the
linkage), subtracts their old part and adds the new one, under a lock only appliers and
the rebuild take. It runs on the queue (`aggregates_apply_task`) and before every view that
reads the aggregates (`current()`), so the next view shows every committed change. A view
then reads its scope's cells (a few thousand rows) instead of every record.

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
from passerelle.web.apps.monitoring.models import (
    AggregateCell,
    AggregatePending,
    AggregatePerson,
    AggregateState,
)
from passerelle.web.apps.ops.queue import background_task, enqueue

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
APPLIER_LOCK = 0x70617373_61676731
"""The PostgreSQL advisory lock of the applier and the rebuild (an arbitrary constant)."""
APPLY_EVERY = 16
"""A write queues the applier when its mark's id is a multiple of this: one task per so
many changes, not one per change."""
APPLY_BATCH = 50
"""Marks taken in by one transaction of the queue's applier (short, as a view that comes
meanwhile waits for it)."""
VIEW_APPLY_LIMIT = 200
"""Marks a view takes in itself before it reads; with more pending, it computes in full."""


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
    return selectors.frame_of(rows.values_list("family", "cell", "measure", "value"), CELLS_SCHEMA)


# --- the persons' rows ----------------------------------------------------------------


def _text_schema(schema: dict[str, Any]) -> dict[str, Any]:
    return {
        name: pl.String if dtype == pl.Date or isinstance(dtype, pl.Enum) else dtype
        for name, dtype in schema.items()
    }


def _frames_from_json_rows(texts: list[str]) -> dict[str, pl.DataFrame]:
    """Persons' rows as `_rows_by_person` stored them, in one frame of each kind."""
    rows: dict[str, list[Any]] = defaultdict(list)
    for text in texts:
        for name, person_rows in json.loads(text).items():
            rows[name].extend(person_rows)
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
    """Mark the persons of these person files pending, in the caller's transaction: one
    plain insert per file, no lock, no computation (the change and its mark commit or roll
    back together). Nothing is marked while the aggregates were never built. Every
    `APPLY_EVERY`-th mark queues the applier; the views take in the rest themselves."""
    wanted = sorted({str(file) for file in files if file is not None})
    if not wanted:
        return
    pending, state = AggregatePending._meta.db_table, AggregateState._meta.db_table
    # One statement for the check and the insert; a plain read of the state's row, which
    # the rebuild's lock does not block.
    sql = (
        f"INSERT INTO {pending} (file) SELECT %s WHERE EXISTS "  # noqa: S608 (the models' tables)
        f"(SELECT 1 FROM {state} WHERE id = %s AND built_at IS NOT NULL) RETURNING id"
    )
    marks = []
    with connection.cursor() as cursor:
        for file in wanted:
            cursor.execute(sql, [file, STATE_ID])
            row = cursor.fetchone()
            if row is not None:
                marks.append(int(row[0]))
    if any(mark % APPLY_EVERY == 0 for mark in marks):
        aggregates_apply_soon()


def aggregates_apply_soon() -> None:
    """Queue the applier (`aggregates_apply_task`)."""
    enqueue(aggregates_apply_task)


def _applier_lock() -> None:
    """The applier's lock, to the end of the transaction: one applier (or rebuild) at a
    time; writers never take it. SQLite (the demo) serialises write transactions anyway."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [APPLIER_LOCK])


def aggregates_apply(limit: int = APPLY_BATCH, *, all_or_none: bool = False) -> int | None:
    """Take in the pending changes, the oldest `limit` marks (see `AggregatePending`): the
    persons they belong to (through the linkage), their old part subtracted and their new
    one added, then the marks deleted, in one transaction under the applier's lock. Returns
    the marks taken in (0: none pending, or aggregates not usable: the rebuild clears them);
    with `all_or_none`, None when more than `limit` are pending (nothing is done then)."""
    if not AggregatePending.objects.exists():
        return 0  # the views' usual case: no lock taken, so they never wait on one another
    with transaction.atomic():
        _applier_lock()
        state = AggregateState.objects.filter(pk=STATE_ID).first()
        if state is None or state.built_at is None:
            return 0
        expected = _expected()
        if not _matches(state, expected):
            return 0
        # Only the marks read here are deleted: a mark committed later (even with a smaller
        # id) stays for the next applier, which reads the records after it.
        marks = list(AggregatePending.objects.order_by("id").values_list("id", "file")[: limit + 1])
        if len(marks) > limit:
            if all_or_none:
                return None
            marks = marks[:limit]
        if not marks:
            return 0
        _take_in({file for _id, file in marks}, expected["as_of"])
        AggregatePending.objects.filter(id__in=[mark for mark, _file in marks]).delete()
        AggregateState.objects.filter(pk=STATE_ID).update(version=F("version") + 1)
        return len(marks)


@background_task(retries=2)
def aggregates_apply_task() -> int:
    """The queue's applier (here, not in `tasks.py`, as the write hook queues it): every
    pending change taken in, batch by batch (safe to run twice: a second run finds none)."""
    return aggregates_apply_all()


def aggregates_apply_all() -> int:
    """Apply the pending changes in batches until none is left."""
    applied = 0
    while True:
        done = aggregates_apply(APPLY_BATCH)
        if not done:
            return applied
        applied += done


def current() -> AggregateState | None:
    """The aggregates' state once every change committed so far is taken in, for a view
    to read; None when they are not usable, or when too many changes are pending
    (`VIEW_APPLY_LIMIT`: the applier is behind; it is queued, and the view computes in full
    meanwhile)."""
    if aggregates_apply(VIEW_APPLY_LIMIT, all_or_none=True) is None:
        aggregates_apply_soon()
        return None
    return usable()


def _take_in(wanted: set[str], as_of: dt.date) -> None:
    """The persons these files belong to taken in together: their new rows stored, and the
    cells of all their new rows minus those of all their old rows added to every scope's
    totals. The cells add up over persons, so one computation per scope serves the whole
    batch (a person at a time cost the polars queries' overhead for each)."""
    links_version = selectors.links_version()
    representative, cluster = _clusters(links_version)
    persons = {representative.get(file, file) for file in wanted}
    read = sorted({file for person in persons for file in cluster.get(person, [person])})
    records = selectors.records_of(links_version, as_of, files=read)
    now = {
        "persons": records.persons,
        "holders": records.holders,
        "events": records.events,
        "referrals": records.referrals,
    }
    texts = _rows_by_person(now)
    ids = sorted({stable_id(person) for person in persons})
    stored = {
        row.person_id: row.frames
        for row in AggregatePerson.objects.select_for_update().filter(pk__in=ids)
    }
    # Only the persons whose rows changed (not a file's other fields, say).
    changed = [person for person in ids if stored.get(person) != texts.get(person)]
    if not changed:
        return
    new = {name: frame.filter(pl.col("person_id").is_in(changed)) for name, frame in now.items()}
    old = _frames_from_json_rows([stored[person] for person in changed if person in stored])
    members = partnerships()
    parts, before = _parts(new, members, as_of), _parts(old, members, as_of)
    empty = pl.DataFrame(schema=CELLS_SCHEMA)
    for scope in sorted(parts.keys() | before.keys()):
        _write(scope, cells_difference(parts.get(scope, empty), before.get(scope, empty)), add=True)
    AggregatePerson.objects.filter(pk__in=[p for p in changed if p not in texts]).delete()
    for person in changed:
        if person in texts:
            AggregatePerson.objects.update_or_create(pk=person, defaults={"frames": texts[person]})


Parts = dict[str, pl.DataFrame]
"""Persons' part of the totals, per scope."""


def _parts(
    frames: dict[str, pl.DataFrame], members: dict[str, frozenset[str]], as_of: dt.date
) -> Parts:
    """The persons' part of each scope they count in; computed once per distinct set of
    rows (persons known at one organisation have the same part in it as in the sector)."""
    computed: dict[str, pl.DataFrame] = {}
    parts = {}
    for scope in scopes_of(_organisations(frames), members):
        rows = _restricted(frames, scope, members)
        digest = repr([frame.rows() for frame in rows])
        if digest not in computed:
            computed[digest] = cells_of(*rows, as_of, cell_key_secret(), ACTIRIS_REFERENCE_DATE)
        parts[scope] = computed[digest]
    return parts


# --- the rebuild -------------------------------------------------------------------------


def aggregates_rebuild() -> AggregateState:
    """Every scope's aggregates and every person's rows computed from the records, in one
    transaction that holds the state's row (changes recorded meanwhile wait for it)."""
    started = time.perf_counter()
    with transaction.atomic():
        _applier_lock()
        state, _created = AggregateState.objects.select_for_update().get_or_create(pk=STATE_ID)
        # The marks seen before the records are read are in them; later ones stay pending.
        seen = list(AggregatePending.objects.values_list("id", flat=True))
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
        AggregatePending.objects.filter(id__in=seen).delete()
        for name, value in expected.items():
            setattr(state, name, value)
        state.version += 1
        state.built_at = timezone.now()
        state.build_seconds = time.perf_counter() - started
        state.save()
    return state
