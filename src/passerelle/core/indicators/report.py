"""A funder report of one programme over a period: aggregates only, small cells suppressed.

Rows: `section`, `indicator`, `count`, `denominator`, `value` (a rate or a number of days),
`unit`. Sections: beneficiaries (unique persons who started, and who were in the programme
during the period), outcomes at 6 and 12 months (of the persons whose 6 or 12 months after
the start fall in the period), waiting times (days from referral to start, for starts in the
period), referrals in (sent to the programme's organisation) and out (sent by it).

Unique beneficiaries are unique `person_id` values of the input; across organisations they
need the unique-beneficiaries engine's linked identifiers as `person_id`.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import polars as pl

from passerelle.core.disclosure import key_sum, perturb_frame, with_record_keys
from passerelle.core.i18n import decimal, gettext_noop
from passerelle.core.indicators.outcomes import (
    employed_on_target,
    job_changes,
    programme_starts,
    with_target,
)
from passerelle.core.indicators.referrals import Period, referral_table
from passerelle.core.indicators.suppression import suppress_small_cells

REPORT_SCHEMA = {
    "section": pl.String,
    "indicator": pl.String,
    "count": pl.Int64,
    "denominator": pl.Int64,
    "value": pl.Float64,
    "unit": pl.String,
}
KEYS_SCHEMA = {"count_key": pl.Int64, "denominator_key": pl.Int64}


BENEFICIARIES = gettext_noop("beneficiaries")
REFERRALS_IN = gettext_noop("referrals in")
OUTCOME_LABELS = {
    6: gettext_noop("employed 6 months after the start"),
    12: gettext_noop("employed 12 months after the start"),
}
COMPLEMENTARY = (gettext_noop("accepted (of decided)"), gettext_noop("rejected (of decided)"))
"""Labels are English message ids, marked for translation; readers translate them with `_`."""


PERIOD_FORMS = "YYYY, YYYY-Q1..YYYY-Q4 or YYYY-MM"


def parse_period(text: str) -> Period:
    """A calendar period: `2025` (a year), `2025-Q2` (a quarter) or `2025-06` (a month).

    Published counts cover calendar periods only: a period one day longer than another
    would differ from it by the people of that one day, and such differences are how small
    cells are recovered (docs/indicators.md, "Differencing"). Arbitrary ranges
    (`2025-01-01:2025-06-30`) are refused."""
    allowed = f"period: {text!r}; allowed values: {PERIOD_FORMS}"
    try:
        if "-Q" in text:
            year, quarter = text.split("-Q")
            q = int(quarter)
            if not 1 <= q <= 4 or len(quarter) != 1:
                raise ValueError(text)
            first = dt.date(int(year), 3 * q - 2, 1)
            following = dt.date(int(year) + (q == 4), 1 if q == 4 else 3 * q + 1, 1)
        elif "-" in text:
            year, month = text.split("-")
            if len(month) != 2:
                raise ValueError(text)
            first = dt.date(int(year), int(month), 1)
            following = dt.date(first.year + (first.month == 12), first.month % 12 + 1, 1)
        else:
            first = dt.date(int(text), 1, 1)
            following = dt.date(int(text) + 1, 1, 1)
    except (ValueError, OverflowError):
        raise ValueError(allowed) from None
    if len(str(first.year)) != 4 or not text[:4].isdigit():
        raise ValueError(allowed)
    return (first, following - dt.timedelta(days=1))


def _share_row(
    section: str, indicator: str, count: int, denominator: int, keys: tuple[int, int | None]
) -> dict[str, object]:
    """A share of the report: count of denominator (no value for an empty denominator)."""
    share = count / denominator if denominator else None
    return _row(section, indicator, count, denominator, share, "share", keys)


def _row(
    section: str,
    indicator: str,
    count: int | None,
    denominator: int | None = None,
    value: float | None = None,
    unit: str = "persons",
    keys: tuple[int, int | None] = (0, None),
) -> dict[str, object]:
    return {
        "section": section,
        "indicator": indicator,
        "count": count,
        "denominator": denominator,
        "value": value,
        "unit": unit,
        "count_key": keys[0],
        "denominator_key": keys[1],
    }


def funder_report(
    events: pl.DataFrame | pl.LazyFrame,
    referrals: pl.DataFrame | pl.LazyFrame,
    programme: str,
    period: Period,
    *,
    threshold: int = 5,
    as_of: dt.date | None = None,
    secret: bytes | None,
) -> pl.DataFrame:
    """The report of `programme` over `period` (inclusive), suppressed below `threshold`.
    Outcomes count only persons whose 6 or 12 months have passed on `as_of` (the day of the
    data; default: the last event date), so a period running past the data reports no one
    rather than false non-employment.

    With a cell-key `secret` every count is perturbed (`core.disclosure`: persons keyed by
    `person_id`, referrals by `referral_id`) and the shares are computed from the perturbed
    counts; `secret=None` gives the exact counts, for a caller that does not publish them.
    Rows as `report_rows` reads them; their labels are message ids."""
    key = secret or b"exact"  # keys computed either way, used only with a secret
    plain_events = events.lazy()
    keyed_events = with_record_keys(plain_events, "person_id", key)
    if as_of is None:
        last = keyed_events.select(pl.col("date").max()).collect().item()
        as_of = last if isinstance(last, dt.date) else period[1]
    table = with_record_keys(referral_table(referrals), "referral_id", key)
    rows = [
        *_beneficiary_rows(keyed_events, programme, period),
        *_outcome_rows(plain_events, programme, period, as_of, key),
        *_waiting_rows(table, programme, period),
        *_referral_rows(table, programme, period),
    ]
    return _publish(rows, threshold, secret)


def _beneficiary_rows(
    events: pl.LazyFrame, programme: str, period: Period
) -> list[dict[str, object]]:
    """Unique persons who started in the period, and who were in the programme during it."""
    start, end = period
    mine = events.filter(pl.col("programme") == programme)
    started = (
        mine.filter((pl.col("kind") == "programme_start") & pl.col("date").is_between(start, end))
        .unique("person_id")
        .select(pl.len(), key_sum())
        .collect()
        .row(0)
    )
    spans = mine.group_by("person_id").agg(
        pl.col("record_key").first(),
        first=pl.col("date").filter(pl.col("kind") == "programme_start").min(),
        last_end=pl.col("date").filter(pl.col("kind") == "programme_end").max(),
    )
    active = (
        spans.filter(
            (pl.col("first") <= end)
            & (pl.col("last_end").is_null() | (pl.col("last_end") >= start))
        )
        .select(pl.len(), key_sum())
        .collect()
        .row(0)
    )
    started_label = gettext_noop("started in the period (unique persons)")
    active_label = gettext_noop("in the programme during the period (unique)")
    return [
        _row(BENEFICIARIES, started_label, started[0], keys=(started[1], None)),
        _row(BENEFICIARIES, active_label, active[0], keys=(active[1], None)),
    ]


def _outcome_rows(
    events: pl.LazyFrame, programme: str, period: Period, as_of: dt.date, key: bytes
) -> list[dict[str, object]]:
    """Employed 6 and 12 months after the start, of the persons whose day falls in the
    period and has passed on `as_of`."""
    start, end = period
    jobs = job_changes(events)
    starts = with_record_keys(
        programme_starts(events).filter(pl.col("programme") == programme), "person_id", key
    )
    rows = []
    for months, label in OUTCOME_LABELS.items():
        due = (
            employed_on_target(
                with_target(starts, months).filter(
                    pl.col("target").is_between(start, min(end, as_of))
                ),
                jobs,
            )
            .select(
                participants=pl.len(),
                employed=pl.col("is_start").fill_null(False).sum(),
                participants_key=key_sum(),
                employed_key=key_sum(pl.col("is_start").fill_null(False)),
            )
            .collect()
        )
        participants = int(due["participants"][0])
        employed = int(due["employed"][0])
        keys = (int(due["employed_key"][0]), int(due["participants_key"][0]))
        rows.append(_share_row(gettext_noop("outcomes"), label, employed, participants, keys))
    return rows


def _waiting_rows(table: pl.LazyFrame, programme: str, period: Period) -> list[dict[str, object]]:
    """Days from referral to start (median, 90th percentile) of the starts in the period."""
    waiting = (
        table.filter((pl.col("programme") == programme) & pl.col("started").is_between(*period))
        .select("record_key", days=(pl.col("started") - pl.col("sent")).dt.total_days())
        .collect()
    )
    waits = waiting["days"]
    n_waits = len(waits)
    waits_key = int(waiting.select(key_sum()).item())
    rows = []
    for label, statistic in (
        (gettext_noop("days from referral to start (median)"), 0.5),
        (gettext_noop("days from referral to start (90th percentile)"), 0.9),
    ):
        value = waits.quantile(statistic, "linear") if n_waits else None
        rows.append(
            _row(
                gettext_noop("waiting times"),
                label,
                n_waits,
                None,
                float(value) if value is not None else None,
                "days",
                (waits_key, None),
            )
        )
    return rows


def _referral_rows(table: pl.LazyFrame, programme: str, period: Period) -> list[dict[str, object]]:
    """Referrals sent in the period to the programme's organisations (received, accepted
    and rejected of those decided) and by them."""
    organisations = (
        table.filter(pl.col("programme") == programme)
        .select(pl.col("to_organisation").unique())
        .collect()["to_organisation"]
        .to_list()
    )
    sent = table.filter(pl.col("sent").is_between(*period))
    incoming = _incoming(sent.filter(pl.col("to_organisation").is_in(organisations)))
    decided = incoming["accepted"] + incoming["rejected"]
    rows = [
        _row(
            REFERRALS_IN,
            gettext_noop("received"),
            incoming["received"],
            None,
            None,
            "referrals",
            (incoming["received_key"], None),
        )
    ]
    for label, part in zip(COMPLEMENTARY, ("accepted", "rejected"), strict=True):
        keys = (incoming[f"{part}_key"], incoming["decided_key"])
        rows.append(_share_row(REFERRALS_IN, label, incoming[part], decided, keys))
    outgoing = (
        sent.filter(pl.col("from_organisation").is_in(organisations))
        .select(pl.len(), key_sum())
        .collect()
        .row(0)
    )
    rows.append(
        _row(
            gettext_noop("referrals out"),
            gettext_noop("sent to other organisations"),
            outgoing[0],
            None,
            None,
            "referrals",
            (outgoing[1], None),
        )
    )
    return rows


def _incoming(received: pl.LazyFrame) -> dict[str, int]:
    """Referrals received, accepted and rejected, with their key sums (and the decided's)."""
    accepted, rejected = pl.col("accepted").is_not_null(), pl.col("rejected").is_not_null()
    counts: dict[str, int] = (
        received.select(
            received=pl.len(),
            accepted=accepted.sum(),
            rejected=rejected.sum(),
            received_key=key_sum(),
            accepted_key=key_sum(accepted),
            rejected_key=key_sum(rejected),
            decided_key=key_sum(accepted | rejected),
        )
        .collect()
        .row(0, named=True)
    )
    return counts


def _publish(rows: list[dict[str, object]], threshold: int, secret: bytes | None) -> pl.DataFrame:
    """Small cells withheld on the true counts, then (with a secret) every count perturbed,
    then the complementary shares withheld together."""
    report = suppress_small_cells(
        pl.DataFrame(rows, schema={**REPORT_SCHEMA, **KEYS_SCHEMA}),
        threshold,
        counts=["count", "denominator"],
    )
    if secret is None:
        report = report.drop(list(KEYS_SCHEMA))
    else:  # after the suppression of small true counts, which the audit of totals needs
        report = perturb_frame(
            report,
            {"count": "count_key", "denominator": "denominator_key"},
            threshold=threshold,
            rates=[("value", "count", "denominator")],
        )
    # Complementary suppression: accepted + rejected = decided, so one withheld share would be
    # recovered from the other; both go when either goes.
    decisions = pl.col("indicator").is_in(list(COMPLEMENTARY))
    withheld = (decisions & pl.col("suppressed")).any()
    figures = ["count", "denominator", "value"]
    return report.with_columns(
        suppressed=pl.col("suppressed") | (decisions & withheld),
    ).with_columns(
        [pl.when(pl.col("suppressed")).then(None).otherwise(pl.col(c)).alias(c) for c in figures]
    )


# --- the rows as every reader shows them ------------------------------------------------

CSV_COLUMNS = (
    "section",
    "indicator",
    "count",
    "denominator",
    "value",
    "unit",
    "decimals",
    "suppressed",
)
CSV_DECIMALS = {"share": 4, "days": 1, "persons": 0}
"""How many decimals the CSV keeps of a value, per unit; the `decimals` column says it on each
row. A share (0 to 1) to 4 decimals is a percentage to 2: 0.1368, not 0.13675213675213677."""
HEADINGS = (
    gettext_noop("section"),
    gettext_noop("indicator"),
    gettext_noop("count"),
    gettext_noop("of"),
    gettext_noop("value"),
)
"""The columns of `ReportRow.cells`, as message ids."""


def format_value(value: float | None, unit: str) -> str:
    """A report's value as text with the decimal mark of the engines' current language: a
    share in percent with one decimal ("12,3 %" in French), else the number ("17,5")."""
    if value is None:
        return ""
    if unit == "share":
        return f"{decimal(value * 100, 1)} %"
    return str(int(value)) if float(value).is_integer() else decimal(value, 1)


@dataclass(frozen=True)
class ReportRow:
    """One row of a funder report, language-neutral: `section` and `indicator` are message
    ids; `count`, `denominator` and `value` are None where withheld."""

    section: str
    indicator: str
    count: int | None
    denominator: int | None
    value: float | None
    unit: str
    suppressed: bool

    def cells(self, translate: Callable[[str], str], withheld: str) -> list[str]:
        """section, indicator, count, of, value as text in the reader's language
        (`translate`: the caller's gettext); a withheld value reads `withheld` (not "< 5":
        perturbation withholds some larger counts too)."""
        return [
            translate(self.section),
            translate(self.indicator),
            "" if self.count is None else str(self.count),
            "" if self.denominator is None else str(self.denominator),
            withheld if self.suppressed else format_value(self.value, self.unit),
        ]


def report_rows(report: pl.DataFrame) -> list[ReportRow]:
    """The rows of a `funder_report` frame, for the page, the CLI's table and the PDF."""
    return [
        ReportRow(
            row["section"],
            row["indicator"],
            row["count"],
            row["denominator"],
            row["value"],
            row["unit"],
            bool(row["suppressed"]),
        )
        for row in report.iter_rows(named=True)
    ]


def translated_report(report: pl.DataFrame, translate: Callable[[str], str]) -> pl.DataFrame:
    """The frame with `section` and `indicator` in the reader's language (CSV, XLSX, PDF)."""
    return report.with_columns(
        pl.col("section").map_elements(translate, return_dtype=pl.String),
        pl.col("indicator").map_elements(translate, return_dtype=pl.String),
    )


def _csv_value(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"  # as polars writes them
    return value


SYNTHETIC_SOURCE = "synthetic"
"""The `data_source` of every row of an export made from the synthetic cohort: whoever
opens the file alone reads that no real person is counted in it."""


def _csv_row(row: dict[str, Any]) -> list[object]:
    decimals = CSV_DECIMALS.get(row["unit"], 4)
    value = row["value"]
    return [
        *(_csv_value(row[name]) for name in CSV_COLUMNS[:4]),
        "" if value is None else f"{value:.{decimals}f}",
        row["unit"],
        decimals,
        _csv_value(row["suppressed"]),
    ]


def report_csv(report: pl.DataFrame, *, synthetic: bool = False) -> str:
    """The report as CSV text, machine-readable (dot decimals, column ids as headings):
    values rounded per unit (`CSV_DECIMALS`, stated in the `decimals` column), withheld
    figures empty; from the synthetic cohort, a last column `data_source` saying so on every
    row."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([*CSV_COLUMNS, "data_source"] if synthetic else CSV_COLUMNS)
    tail = [SYNTHETIC_SOURCE] if synthetic else []
    for row in report.iter_rows(named=True):
        writer.writerow([*_csv_row(row), *tail])
    return buffer.getvalue()
