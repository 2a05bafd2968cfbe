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

import datetime as dt

import polars as pl

from passerelle.core.i18n import gettext_noop
from passerelle.core.indicators.outcomes import programme_starts
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


BENEFICIARIES = gettext_noop("beneficiaries")
REFERRALS_IN = gettext_noop("referrals in")
OUTCOME_LABELS = {
    6: gettext_noop("employed 6 months after the start"),
    12: gettext_noop("employed 12 months after the start"),
}
COMPLEMENTARY = (gettext_noop("accepted (of decided)"), gettext_noop("rejected (of decided)"))
"""Labels are English message ids, marked for translation; readers translate them with `_`."""


def parse_period(text: str) -> Period:
    """`2025` (a calendar year), `2025-Q2` (a quarter) or `2025-01-01:2025-06-30`."""
    try:
        if ":" in text:
            start, end = text.split(":", 1)
            period = (dt.date.fromisoformat(start), dt.date.fromisoformat(end))
        elif "-Q" in text:
            year, quarter = text.split("-Q")
            q = int(quarter)
            if not 1 <= q <= 4:
                raise ValueError(text)
            first = dt.date(int(year), 3 * q - 2, 1)
            following = dt.date(int(year) + (q == 4), 1 if q == 4 else 3 * q + 1, 1)
            period = (first, following - dt.timedelta(days=1))
        else:
            period = (dt.date(int(text), 1, 1), dt.date(int(text), 12, 31))
    except ValueError:
        raise ValueError(
            f"period: {text!r}; allowed values: YYYY, YYYY-Q1..YYYY-Q4 or YYYY-MM-DD:YYYY-MM-DD"
        ) from None
    if period[0] > period[1]:
        raise ValueError(f"period: {text!r} ends before it starts")
    return period


def _row(
    section: str,
    indicator: str,
    count: int | None,
    denominator: int | None = None,
    value: float | None = None,
    unit: str = "persons",
) -> dict[str, object]:
    return {
        "section": section,
        "indicator": indicator,
        "count": count,
        "denominator": denominator,
        "value": value,
        "unit": unit,
    }


def funder_report(
    events: pl.DataFrame | pl.LazyFrame,
    referrals: pl.DataFrame | pl.LazyFrame,
    programme: str,
    period: Period,
    *,
    threshold: int = 5,
    as_of: dt.date | None = None,
) -> pl.DataFrame:
    """The report of `programme` over `period` (inclusive), suppressed below `threshold`.
    Outcomes count only persons whose 6 or 12 months have passed on `as_of` (the day of the
    data; default: the last event date), so a period running past the data reports no one
    rather than false non-employment."""
    start, end = period
    lazy_events = events.lazy()
    if as_of is None:
        last = lazy_events.select(pl.col("date").max()).collect().item()
        as_of = last if isinstance(last, dt.date) else end
    rows: list[dict[str, object]] = []

    mine = lazy_events.filter(pl.col("programme") == programme)
    started = (
        mine.filter((pl.col("kind") == "programme_start") & pl.col("date").is_between(start, end))
        .select(pl.col("person_id").n_unique())
        .collect()
        .item()
    )
    spans = mine.group_by("person_id").agg(
        first=pl.col("date").filter(pl.col("kind") == "programme_start").min(),
        last_end=pl.col("date").filter(pl.col("kind") == "programme_end").max(),
    )
    active = (
        spans.filter(
            (pl.col("first") <= end)
            & (pl.col("last_end").is_null() | (pl.col("last_end") >= start))
        )
        .select(pl.len())
        .collect()
        .item()
    )
    started_label = gettext_noop("started in the period (unique persons)")
    active_label = gettext_noop("in the programme during the period (unique)")
    rows.append(_row(BENEFICIARIES, started_label, started))
    rows.append(_row(BENEFICIARIES, active_label, active))

    jobs = (
        lazy_events.filter(pl.col("kind").is_in(["job_start", "job_end"]))
        .select("person_id", job_event=pl.col("date"), is_start=pl.col("kind") == "job_start")
        .sort("job_event")
    )
    starts = programme_starts(lazy_events).filter(pl.col("programme") == programme)
    for months in OUTCOME_LABELS:
        due = (
            starts.with_columns(target=pl.col("start").dt.offset_by(f"{months}mo"))
            .filter(pl.col("target").is_between(start, min(end, as_of)))
            .sort("target")
            .join_asof(
                jobs,
                left_on="target",
                right_on="job_event",
                by="person_id",
                strategy="backward",
                check_sortedness=False,  # sorted on the date, hence within each person
            )
            .select(
                participants=pl.len(),
                employed=pl.col("is_start").fill_null(False).sum(),
            )
            .collect()
        )
        participants = int(due["participants"][0])
        employed = int(due["employed"][0])
        rows.append(
            _row(
                gettext_noop("outcomes"),
                OUTCOME_LABELS[months],
                employed,
                participants,
                employed / participants if participants else None,
                "share",
            )
        )

    table = referral_table(referrals)
    waits = (
        table.filter((pl.col("programme") == programme) & pl.col("started").is_between(start, end))
        .select(days=(pl.col("started") - pl.col("sent")).dt.total_days())
        .collect()["days"]
    )
    n_waits = len(waits)
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
            )
        )

    organisations = (
        table.filter(pl.col("programme") == programme)
        .select(pl.col("to_organisation").unique())
        .collect()["to_organisation"]
        .to_list()
    )
    sent = table.filter(pl.col("sent").is_between(start, end))
    incoming = (
        sent.filter(pl.col("to_organisation").is_in(organisations))
        .select(
            received=pl.len(),
            accepted=pl.col("accepted").is_not_null().sum(),
            rejected=pl.col("rejected").is_not_null().sum(),
        )
        .collect()
    )
    received = int(incoming["received"][0])
    accepted = int(incoming["accepted"][0])
    rejected = int(incoming["rejected"][0])
    decided = accepted + rejected
    rows.append(_row(REFERRALS_IN, gettext_noop("received"), received, None, None, "referrals"))
    rows.append(
        _row(
            REFERRALS_IN,
            COMPLEMENTARY[0],
            accepted,
            decided,
            accepted / decided if decided else None,
            "share",
        )
    )
    rows.append(
        _row(
            REFERRALS_IN,
            COMPLEMENTARY[1],
            rejected,
            decided,
            rejected / decided if decided else None,
            "share",
        )
    )
    outgoing = (
        sent.filter(pl.col("from_organisation").is_in(organisations))
        .select(pl.len())
        .collect()
        .item()
    )
    rows.append(
        _row(
            gettext_noop("referrals out"),
            gettext_noop("sent to other organisations"),
            outgoing,
            None,
            None,
            "referrals",
        )
    )
    report = suppress_small_cells(
        pl.DataFrame(rows, schema=REPORT_SCHEMA), threshold, counts=["count", "denominator"]
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
