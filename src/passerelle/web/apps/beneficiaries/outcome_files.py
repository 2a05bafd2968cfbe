"""Reading a file of administrative outcomes (docs/outcomes.md): the encoded identity columns
of `passerelle encode` and, per row, a person's situation on a date from an outside source.

Every problem is reported as (field, message), all at once up to `MAX_ERRORS`, naming the
column, the row and the allowed values; an encoded value is never repeated (it may be
personal data in clear put there by mistake). Nothing is stored unless the whole file is
valid.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

import polars as pl
from django.utils.translation import gettext as _

from passerelle.core.linkage import LinkageInputError
from passerelle.core.linkage.bloom import ENCODED_COLUMNS, encoded_features, malformed_encodings
from passerelle.web.apps.beneficiaries.models import ContractType, Situation
from passerelle.web.apps.beneficiaries.uploads import (
    CLEAR_COLUMNS,
    MAX_ERRORS,
    UploadError,
    _malformed,
    _read,
)
from passerelle.web.common.outcomes import MAX_HOURS_PER_WEEK

FIELD = "file"
IDENTITY_COLUMNS = tuple(column for column in ENCODED_COLUMNS if column != "record_id")
OUTCOME_COLUMNS = ("outcome_date", "situation", "contract_type", "hours", "source")
OPTIONAL_COLUMNS = ("record_id",)
"""`record_id`: the source's own row reference, as `passerelle encode` needs one; read to
join the encodings to the outcomes, never stored."""
SOURCE_FORM = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
EARLIEST = dt.date(2000, 1, 1)
PROGRESS_ROWS = 5000


@dataclass(frozen=True)
class OutcomeRow:
    row: int  # in the file, from 1 (the header is row 0)
    outcome_date: dt.date
    situation: str
    contract_type: str
    hours: Decimal | None
    source: str


@dataclass(frozen=True)
class ParsedOutcomes:
    encodings: pl.DataFrame  # ENCODED_COLUMNS; record_id is the row number
    rows: list[OutcomeRow]


def _allowed(choices: type[Situation] | type[ContractType]) -> str:
    return ", ".join(choices.values)


def _row(item: dict[str, str | None], row: int, today: dt.date) -> OutcomeRow | list[str]:
    """One row's outcome, or what is wrong with it."""
    problems: list[str] = []
    text = {column: (item.get(column) or "").strip() for column in OUTCOME_COLUMNS}
    outcome_date = _outcome_date(text["outcome_date"], row, today, problems)
    situation = text["situation"]
    if situation not in Situation.values:
        problems.append(
            _(
                "column situation, row {row}: {value!r} is not a situation; allowed: {allowed}"
            ).format(row=row, value=situation[:40], allowed=_allowed(Situation))
        )
    contract, hours_text = text["contract_type"], text["hours"]
    hours: Decimal | None = None
    if situation == Situation.EMPLOYED:
        hours = _employment(contract, hours_text, row, problems)
    elif situation in Situation.values and (contract or hours_text):
        problems.append(
            _(
                "columns contract_type and hours, row {row}: empty unless the situation is employed"
            ).format(row=row)
        )
    source = text["source"]
    if not SOURCE_FORM.match(source):
        problems.append(
            _(
                "column source, row {row}: a short code is needed (1 to 64 lower-case letters, "
                "digits, dots, hyphens or underscores, for example actiris-2026q3)"
            ).format(row=row)
        )
    if problems or outcome_date is None:
        return problems
    return OutcomeRow(row, outcome_date, situation, contract, hours, source)


def _outcome_date(text: str, row: int, today: dt.date, problems: list[str]) -> dt.date | None:
    """The row's date, from EARLIEST to today; what is wrong is added to `problems`."""
    try:
        outcome_date = dt.date.fromisoformat(text)
    except ValueError:
        problems.append(
            _("column outcome_date, row {row}: not a date; expected YYYY-MM-DD").format(row=row)
        )
        return None
    if not EARLIEST <= outcome_date <= today:
        problems.append(
            _(
                "column outcome_date, row {row}: {value} is outside the dates allowed, "
                "{earliest} to today ({today})"
            ).format(row=row, value=outcome_date, earliest=EARLIEST, today=today)
        )
    return outcome_date


def _employment(contract: str, hours_text: str, row: int, problems: list[str]) -> Decimal | None:
    """An employed row's weekly hours (to a tenth; None when unknown or wrong), its contract
    type checked; what is wrong is added to `problems`."""
    if contract not in ContractType.values:
        problems.append(
            _(
                "column contract_type, row {row}: {value!r} is not a contract type; "
                "allowed for situation employed: {allowed}"
            ).format(row=row, value=contract[:40], allowed=_allowed(ContractType))
        )
    if not hours_text:
        return None
    try:
        # a decimal comma too: Belgian extracts write 37,5
        hours = Decimal(hours_text.replace(",", "."))
    except InvalidOperation:
        hours = None
    if hours is None or not hours.is_finite() or not 0 < hours <= MAX_HOURS_PER_WEEK:
        problems.append(
            _(
                "column hours, row {row}: weekly hours are a number above 0 and at "
                "most {most}, or empty when unknown"
            ).format(row=row, most=MAX_HOURS_PER_WEEK)
        )
        return None
    return hours.quantize(Decimal("0.1"))


def _columns(frame: pl.DataFrame) -> None:
    clear = sorted(set(frame.columns) & (CLEAR_COLUMNS - set(ENCODED_COLUMNS)))
    if clear:
        raise UploadError(
            [
                (
                    FIELD,
                    _(
                        "column {column} would hold personal data in clear; the identity "
                        "columns must be the output of `passerelle encode`"
                    ).format(column=clear[0]),
                )
            ]
        )
    expected = (*IDENTITY_COLUMNS, *OUTCOME_COLUMNS)
    missing = [column for column in expected if column not in frame.columns]
    if missing:
        raise UploadError(
            [
                (
                    FIELD,
                    _(
                        "missing column {column}; a file of outcomes has the columns of "
                        "`passerelle encode` and {outcomes}"
                    ).format(column=missing[0], outcomes=", ".join(OUTCOME_COLUMNS)),
                )
            ]
        )
    unknown = sorted(set(frame.columns) - set(expected) - set(OPTIONAL_COLUMNS))
    if unknown:
        raise UploadError(
            [
                (
                    FIELD,
                    _(
                        "column {column} is not one of the file's columns; allowed: {allowed}"
                    ).format(
                        column=unknown[0],
                        allowed=", ".join((*OPTIONAL_COLUMNS, *IDENTITY_COLUMNS, *OUTCOME_COLUMNS)),
                    ),
                )
            ]
        )


def parse_outcomes(
    content: bytes,
    *,
    today: dt.date,
    progress: Callable[[int, int], None] | None = None,
) -> ParsedOutcomes:
    """Validate a file of outcomes (UploadError lists the problems). `progress(done, total)`
    follows the rows read."""
    frame = _read(content, FIELD)
    _columns(frame)
    problems: list[tuple[str, str]] = []
    rows: list[OutcomeRow] = []
    total = frame.height
    for index, item in enumerate(frame.select(OUTCOME_COLUMNS).iter_rows(named=True), start=1):
        found = _row(item, index, today)
        if isinstance(found, OutcomeRow):
            rows.append(found)
        else:
            problems.extend((FIELD, message) for message in found)
            if len(problems) >= MAX_ERRORS:
                break
        if progress is not None and (index % PROGRESS_ROWS == 0 or index == total):
            progress(index, total)
    encodings = frame.select(
        pl.int_range(1, total + 1).cast(pl.String).alias("record_id"),
        *[pl.col(column).cast(pl.String) for column in IDENTITY_COLUMNS],
    )
    malformed = malformed_encodings(encodings)
    problems.extend((FIELD, _malformed(problem)) for problem in malformed)
    if not malformed and total:
        try:
            encoded_features(encodings)
        except LinkageInputError as error:
            problems.append((FIELD, str(error)))
    if not total:
        problems.append((FIELD, _("the file has a header but no rows")))
    if problems:
        raise UploadError(problems[:MAX_ERRORS])
    return ParsedOutcomes(encodings=encodings, rows=rows)
