"""Reading an organisation's upload: the encodings (`passerelle encode`'s ENCODED.csv) and
the participations (record_id, programme, measure_type, start_date, end_date).

Every problem is reported as (field, message), all at once, naming the column, the row and
the allowed values; nothing is stored unless the whole upload is valid.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from typing import Any

import polars as pl
from django.utils.translation import gettext as _

from passerelle.core.linkage import REQUIRED_COLUMNS, LinkageInputError
from passerelle.core.linkage.bloom import (
    ENCODED_COLUMNS,
    FILTER_BITS,
    MAX_TOKENS,
    TOKEN_DIGITS,
    Malformed,
    encoded_features,
    malformed_encodings,
)

PARTICIPATION_COLUMNS = ("record_id", "programme", "start_date", "end_date")
OPTIONAL_PARTICIPATION_COLUMNS = ("measure_type",)
CLEAR_COLUMNS = frozenset(REQUIRED_COLUMNS[1:]) | {
    "given_names",
    "family_name",
    "name",
    "first_name",
    "last_name",
    "email",
}
"""Columns that would hold personal data in clear: an upload holding one is refused."""
MAX_BYTES = 50 * 1024 * 1024
MAX_ERRORS = 20
MAX_RECORD_ID = 64


class UploadError(ValueError):
    def __init__(self, problems: list[tuple[str, str]]) -> None:
        super().__init__("; ".join(f"{name}: {message}" for name, message in problems))
        self.problems = problems


@dataclass(frozen=True)
class ParsedUpload:
    encodings: pl.DataFrame  # ENCODED_COLUMNS, one row per record
    participations: list[dict[str, Any]]  # record_id, programme (slug), measure_type, dates


def _read(content: bytes, field: str) -> pl.DataFrame:
    if len(content) > MAX_BYTES:
        raise UploadError([(field, _("the file is larger than 50 MB"))])
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UploadError([(field, _("not a UTF-8 text file; expected a CSV file"))]) from None
    if not text.strip():
        raise UploadError([(field, _("the file is empty"))])
    try:
        return pl.read_csv(io.StringIO(text), infer_schema=False)
    except (pl.exceptions.ComputeError, pl.exceptions.NoDataError) as error:
        message = _("not a readable CSV file ({error})").format(error=error)
        raise UploadError([(field, message)]) from None


def _no_clear_columns(frame: pl.DataFrame, field: str) -> None:
    # the encodings' `postcode` and `phone` columns hold keyed tokens, not the values
    allowed = set(ENCODED_COLUMNS) if field == "encodings" else set()
    clear = sorted(set(frame.columns) & (CLEAR_COLUMNS - allowed))
    if clear:
        raise UploadError(
            [
                (
                    field,
                    _(
                        "column {column} would hold personal data in clear; upload only the "
                        "output of `passerelle encode` and the participations"
                    ).format(column=clear[0]),
                )
            ]
        )


def _malformed(problem: Malformed) -> str:
    # the value is not repeated: it may be personal data in clear uploaded by mistake
    what = {
        "filter": _("is not a {bits}-bit filter ({digits} hex digits)").format(
            bits=FILTER_BITS, digits=FILTER_BITS // 4
        ),
        "token": _("is not a keyed token ({digits} lower-case hex digits)").format(
            digits=TOKEN_DIGITS
        ),
        "tokens": _(
            "is not a list of keyed tokens (1 to {most} tokens of {digits} lower-case hex "
            "digits, separated by single spaces)"
        ).format(most=MAX_TOKENS, digits=TOKEN_DIGITS),
    }[problem.form]
    where = (
        _("column {column}, row {row} (and {others} other rows)").format(
            column=problem.column, row=problem.row, others=problem.rows - 1
        )
        if problem.rows > 1
        else _("column {column}, row {row}").format(column=problem.column, row=problem.row)
    )
    return _("{where} {what}; was the file made by `passerelle encode`?").format(
        where=where, what=what
    )


def _record_id_problem(record_id: str | None, row: int) -> str | None:
    if record_id is None or not record_id.strip():
        return _("record_id is empty on row {row}").format(row=row)
    if len(record_id) > MAX_RECORD_ID:
        return _("record_id on row {row} is longer than 64 characters").format(row=row)
    if not record_id.isprintable():
        # NUL, line breaks, bidirectional and zero-width marks: they corrupt logs and CSV
        # files downstream and can make two ids look alike
        return _(
            "record_id on row {row} holds a control or invisible character; allowed: "
            "letters, digits, punctuation and spaces"
        ).format(row=row)
    return None


def _date(value: str | None) -> dt.date | None:
    if value is None or not value.strip():
        return None
    return dt.date.fromisoformat(value.strip())


def _encodings(encodings: bytes) -> tuple[pl.DataFrame, list[tuple[str, str]]]:
    """The encodings file's columns of `passerelle encode`, and its problems: ids empty, too
    long, with invisible characters or twice; encodings malformed or unusable."""
    frame = _read(encodings, "encodings")
    _no_clear_columns(frame, "encodings")
    missing = [column for column in ENCODED_COLUMNS if column not in frame.columns]
    if missing:
        raise UploadError(
            [
                (
                    "encodings",
                    _(
                        "missing column {column}; the file of `passerelle encode` has {columns}"
                    ).format(column=missing[0], columns=", ".join(ENCODED_COLUMNS)),
                )
            ]
        )
    frame = frame.select(ENCODED_COLUMNS)
    problems: list[tuple[str, str]] = []
    for row, record_id in enumerate(frame["record_id"].to_list(), start=1):
        problem = _record_id_problem(record_id, row)
        if problem is not None and len(problems) < MAX_ERRORS:
            problems.append(("encodings", problem))
    duplicated = frame.filter(pl.col("record_id").is_duplicated())["record_id"].unique().sort()
    if duplicated.len():
        problems.append(
            (
                "encodings",
                _("record_id {value} appears more than once").format(value=duplicated[0]),
            )
        )
    malformed = malformed_encodings(frame)
    problems.extend(("encodings", _malformed(problem)) for problem in malformed)
    if not malformed:
        try:
            encoded_features(frame)
        except LinkageInputError as error:
            problems.append(("encodings", str(error)))
    return frame, problems


def _participation(
    item: dict[str, Any], row: int, known: set[str], programmes: dict[str, list[str]]
) -> dict[str, Any] | str:
    """One row of the participations file as stored, or what is wrong with it."""
    record_id = (item.get("record_id") or "").strip()
    if record_id not in known:
        return _("record_id {value!r} on row {row} is not in the encodings").format(
            value=record_id, row=row
        )
    programme = (item.get("programme") or "").strip()
    if programme not in programmes:
        return _(
            "programme {value!r} on row {row} is not one of your organisation's "
            "programmes; allowed: {allowed}"
        ).format(value=programme, row=row, allowed=", ".join(sorted(programmes)) or "—")
    measure = (item.get("measure_type") or "").strip() or programmes[programme][0]
    if measure not in programmes[programme]:
        return _(
            "measure_type {value!r} on row {row} is not a measure of {programme}; "
            "allowed: {allowed}"
        ).format(
            value=measure, row=row, programme=programme, allowed=", ".join(programmes[programme])
        )
    try:
        start = _date(item.get("start_date"))
        end = _date(item.get("end_date"))
    except ValueError:
        return _("a date on row {row} is not a date; expected YYYY-MM-DD").format(row=row)
    if start is None:
        return _("start_date is empty on row {row}").format(row=row)
    if end is not None and end < start:
        return _("end_date on row {row} is before start_date").format(row=row)
    return {
        "record_id": record_id,
        "programme": programme,
        "measure_type": measure,
        "start_date": start,
        "end_date": end,
    }


def _participations(
    participations: bytes,
    known: set[str],
    programmes: dict[str, list[str]],
    problems: list[tuple[str, str]],
) -> list[dict[str, Any]]:
    """The participations' rows; their problems are added to `problems` (the encodings'
    first), up to MAX_ERRORS."""
    table = _read(participations, "participations")
    _no_clear_columns(table, "participations")
    missing = [column for column in PARTICIPATION_COLUMNS if column not in table.columns]
    if missing:
        raise UploadError(
            [
                *problems,
                (
                    "participations",
                    _("missing column {column}; expected {columns}").format(
                        column=missing[0],
                        columns=", ".join(PARTICIPATION_COLUMNS + OPTIONAL_PARTICIPATION_COLUMNS),
                    ),
                ),
            ]
        )
    rows: list[dict[str, Any]] = []
    for row, item in enumerate(table.iter_rows(named=True), start=1):
        if len(problems) >= MAX_ERRORS:
            break
        found = _participation(item, row, known, programmes)
        if isinstance(found, str):
            problems.append(("participations", found))
        else:
            rows.append(found)
    return rows


def parse_upload(
    encodings: bytes, participations: bytes, programmes: dict[str, list[str]]
) -> ParsedUpload:
    """Validate both files. `programmes`: the uploading organisation's programmes (slug →
    its measure types, the knowledge base's categories)."""
    frame, problems = _encodings(encodings)
    known = set(frame["record_id"].to_list())
    rows = _participations(participations, known, programmes, problems)
    if not problems:
        without = sorted(known - {row["record_id"] for row in rows})
        if without:
            problems.append(
                (
                    "participations",
                    _(
                        "record_id {value!r} has no participation; share only the records of "
                        "people who took part in a programme"
                    ).format(value=without[0]),
                )
            )
    if problems:
        raise UploadError(problems)
    return ParsedUpload(encodings=frame, participations=rows)
