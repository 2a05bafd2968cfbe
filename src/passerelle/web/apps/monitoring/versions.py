"""Person files as they were on a day, read from their versions (`people.PersonVersion`),
for the evaluation's covariates: what a file said when its person started a programme (or,
for a comparison person, was first referred), not what it says today. A language learnt or
a status granted after the programme started is an effect of the time, maybe of the
programme; adjusting on it would hide part of the effect (Rosenbaum 1984, "The consequences
of adjustment for a concomitant variable that has been affected by the treatment").

Only the versioned birth date, profile and needs-assessment diplomas are read
(`core.indicators.platform.VERSIONED_FIELDS`), never a name or a contact. The mapping onto
the persons frame is pure (`core.indicators.platform.files_on`).
"""

from __future__ import annotations

import datetime as dt
import functools

import polars as pl
from django.db.models import CharField
from django.db.models.fields.json import KeyTransform
from django.db.models.functions import Cast, TruncDate

from passerelle.core.indicators.platform import (
    VERSIONED_FIELDS,
    VersionRow,
    evaluation_sample,
    files_on,
    persons_frame_of,
    stable_id_expr,
)
from passerelle.web.apps.people.models import Person, PersonVersion


def files_of(person_ids: pl.Series) -> pl.DataFrame:
    """The file (text UUID) of each person id (`stable_id` of a file: with the linkage, the
    representative file's, whose data the persons frame carries)."""
    files = pl.DataFrame(
        {"file": list(Person.objects.values_list(Cast("pk", CharField()), flat=True))},
        schema={"file": pl.String},
    )
    return files.with_columns(person_id=stable_id_expr("file")).filter(
        pl.col("person_id").is_in(person_ids.implode())
    )


def versions_of(files: list[str]) -> list[VersionRow]:
    """The versions of these files: id, number, day of the change (the server's day) and
    the changes of the versioned fields only."""
    rows = (
        PersonVersion.objects.filter(person_id__in=files)
        .annotate(
            file=Cast("person_id", CharField()),
            on=TruncDate("changed_at"),
            **{f"changed_{name}": KeyTransform(name, "changes") for name in VERSIONED_FIELDS},
        )
        .values_list("file", "number", "on", *(f"changed_{name}" for name in VERSIONED_FIELDS))
    )
    return [
        (
            file,
            number,
            on,
            {
                name: change
                for name, change in zip(VERSIONED_FIELDS, changes, strict=True)
                if change is not None
            },
        )
        for file, number, on, *changes in rows.iterator(chunk_size=2000)
    ]


def persons_on_index(index: pl.DataFrame) -> pl.DataFrame:
    """The persons frame of the persons of `index` (`person_id`, `index`), each file as it
    was at the end of its person's index date; files created later are left out."""
    files = files_of(index["person_id"]).join(
        index.select("person_id", "index"), on="person_id", how="inner"
    )
    days: dict[str, dt.date] = dict(files.select("file", "index").iter_rows())
    table = files_on(versions_of(list(days)), days)
    return persons_frame_of(table)


evaluation_sample_on_index = functools.partial(evaluation_sample, persons_on=persons_on_index)
"""`core.indicators.platform.evaluation_sample` on the platform's records, with the
covariates as the files were on each person's index date. `persons` (the scope's persons
frame) says who may be counted; their covariates come from the versions."""
