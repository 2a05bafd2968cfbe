"""The figures' aggregates: counts that add up over persons, kept so that a change
recomputes one person's part instead of every record (issue 17, item 7).

`cells_of(persons, events, referrals, as_of, secret)` gives, for any set of persons (the
engine's frames of one scope, restricted to those persons), the counts and cell-key sums
behind the dashboard's tables and the funder report, as long rows `CELLS_SCHEMA` (`family`,
`cell`: the cell's dimensions joined by "|", `measure`, `value`). Every figure published
from them is a sum over persons (or over referrals, each of one person): the counts of
two disjoint sets of persons add, and so do their cell keys (sums of record keys modulo
`MODULUS`). The web side keeps, per scope, the sum over all persons, and on a change
subtracts the person's old part and adds the new one; `dashboard_from_cells` and
`funder_report_from_cells` then build the very tables that the full computation gives
(the test in tests/web/monitoring/test_aggregates.py compares them on random histories).

What depends on the day of the data (`as_of`: outcomes whose 6 or 12 months have passed,
persons still without a job censored on that day, the years of the cohorts) is either kept
with the day it falls on (a target day, a right-to-work day) or computed for `as_of`: the
aggregates of one day are rebuilt the next (web: a scheduled rebuild; until it runs, the
figures are computed in full, never from yesterday's aggregates).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import polars as pl

from passerelle.core.disclosure import MODULUS, key_sum, with_record_keys
from passerelle.core.i18n import gettext_noop
from passerelle.core.indicators.employment import RATE_COLUMNS, RATE_KEYS, employment_on, pool
from passerelle.core.indicators.outcomes import (
    OUTCOME_COLUMNS,
    OUTCOME_KEYS,
    employed_on_target,
    job_changes,
    programme_outcomes,
    programme_starts,
    with_target,
)
from passerelle.core.indicators.platform import PROTECTED_STATUSES
from passerelle.core.indicators.referrals import (
    Period,
    flow_shares,
    referral_flows,
    referral_table,
)
from passerelle.core.indicators.report import (
    BENEFICIARIES,
    COMPLEMENTARY,
    OUTCOME_LABELS,
    REFERRALS_IN,
    _publish,
    _row,
    _share_row,
    parse_period,
)
from passerelle.core.indicators.survival import (
    first_job_durations,
    kaplan_meier_counts,
    kaplan_meier_curve,
)

PROTECTED = sorted(PROTECTED_STATUSES)
CELLS_SCHEMA: dict[str, Any] = {
    "family": pl.String,
    "cell": pl.String,
    "measure": pl.String,
    "value": pl.Int64,
}
COHORTS = (2010, 2012, 2015, 2016, 2018)
"""Registration cohorts of the dashboard (2010: the Socio-economic Monitoring's)."""
FAMILIES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # family: (dimensions of a cell, measures)
    "persons": ((), ("count",)),
    "cohorts": (("cohort", "on"), ("count", "denominator", "count_key", "denominator_key")),
    "actiris": (("cohort",), ("count", "denominator", "count_key", "denominator_key")),
    "km": (("legal_status", "time"), ("events", "censored", "events_key", "removed_key")),
    "outcomes": (
        ("programme", "horizon_months"),
        (
            "participants",
            "employed",
            "found_job",
            "follow_up_incomplete",
            "participants_key",
            "employed_key",
            "found_job_key",
        ),
    ),
    "flows": (
        ("from_organisation", "to_organisation"),
        ("count", "accepted", "count_key", "accepted_key"),
    ),
    "starts": (("programme",), ("count",)),
    "last_day": (("day",), ("count",)),
    "report_started": (("programme", "period"), ("count", "key")),
    "report_active": (("programme", "first", "last_end"), ("count", "key")),
    "report_outcomes": (("programme", "months", "target", "employed"), ("count", "key")),
    "report_waiting": (("programme", "started", "days"), ("count", "key")),
    "report_referrals": (
        ("from_organisation", "to_organisation", "programme", "sent", "accepted", "rejected"),
        ("count", "key"),
    ),
}
"""Each family's cell dimensions and measures (`*_key`, `key`: sums of record keys)."""


def _text(expr: pl.Expr) -> pl.Expr:
    return expr.cast(pl.String).fill_null("")


def _long(frame: pl.DataFrame, family: str) -> pl.DataFrame:
    """A wide frame (the family's dimensions and measures) as long cells, zeros left out."""
    dimensions, measures = FAMILIES[family]
    if frame.is_empty():
        return pl.DataFrame(schema=CELLS_SCHEMA)
    cell = (
        pl.concat_str([_text(pl.col(name)) for name in dimensions], separator="|")
        if dimensions
        else pl.lit("")
    )
    return (
        frame.select(cell.alias("cell"), *[pl.col(m).cast(pl.Int64) for m in measures])
        .unpivot(index="cell", variable_name="measure", value_name="value")
        .filter(pl.col("value") != 0)
        .select(pl.lit(family).alias("family"), "cell", "measure", "value")
        .cast(CELLS_SCHEMA)  # type: ignore[arg-type]
    )


def _month(expr: pl.Expr) -> pl.Expr:
    return expr.dt.strftime("%Y-%m")


def cells_of(
    persons: pl.DataFrame,
    events: pl.DataFrame,
    referrals: pl.DataFrame,
    as_of: dt.date,
    secret: bytes,
    actiris_day: dt.date,
) -> pl.DataFrame:
    """The aggregates of these persons' frames (`CELLS_SCHEMA`), summed per cell;
    `actiris_day`: the day of the Actiris reference figure (the dashboard's)."""
    keyed_persons = with_record_keys(persons.lazy(), "person_id", secret).collect()
    keyed_events = with_record_keys(events.lazy(), "person_id", secret).collect()
    keyed_referrals = with_record_keys(referrals.lazy(), "referral_id", secret).collect()
    parts = [
        _long(pl.DataFrame({"count": [persons.height]}), "persons"),
        *_dashboard_cells(
            keyed_persons, keyed_events, keyed_referrals, events, (as_of, actiris_day)
        ),
        *_report_cells(keyed_events, events, keyed_referrals),
    ]
    return sum_cells(pl.concat(parts))


def sum_cells(cells: pl.DataFrame) -> pl.DataFrame:
    """Cells with the same family, cell and measure added (zeros left out)."""
    return (
        cells.group_by("family", "cell", "measure")
        .agg(pl.col("value").sum())
        .filter(pl.col("value") != 0)
        .sort("family", "cell", "measure")
    )


def cells_difference(new: pl.DataFrame, old: pl.DataFrame) -> pl.DataFrame:
    """`new - old`, cell by cell: what a change adds to the totals."""
    return sum_cells(pl.concat([new, old.with_columns(-pl.col("value"))]))


def _dashboard_cells(
    keyed_persons: pl.DataFrame,
    keyed_events: pl.DataFrame,
    keyed_referrals: pl.DataFrame,
    events: pl.DataFrame,
    days: tuple[dt.date, dt.date],
) -> list[pl.DataFrame]:
    as_of, actiris_day = days
    # Only the persons a table can count are handed to it (the same rows, far less work
    # for the one person a change touches): protected persons of the dashboard's cohorts,
    # of the Actiris cohorts, and persons with a right-to-work day.
    protected = pl.col("legal_status").is_in(PROTECTED)
    in_cohorts = keyed_persons.filter(
        protected & pl.col("registration_date").dt.year().is_in(list(COHORTS))
    )
    cohorts = _cohort_cells(in_cohorts, events, as_of) if in_cohorts.height else pl.DataFrame()
    in_actiris = keyed_persons.filter(
        protected & pl.col("actiris_registration_date").dt.year().is_in([2015, 2016])
    )
    actiris = (
        employment_on(
            in_actiris,
            events,
            actiris_day,
            cohort="actiris_registration",
            statuses=PROTECTED,
        )
        if in_actiris.height
        else pl.DataFrame()
    )
    with_origin = keyed_persons.filter(pl.col("right_to_work_date").is_not_null())
    km = (
        kaplan_meier_counts(
            first_job_durations(with_origin, events, as_of, by=["legal_status"]),
            by=["legal_status"],
        ).collect()
        if with_origin.height
        else pl.DataFrame()
    )
    outcomes = programme_outcomes(keyed_events, as_of, by_year=False)
    flows = referral_flows(keyed_referrals, parse_period(str(as_of.year)))
    starts = events.filter(pl.col("kind") == "programme_start").group_by("programme").len("count")
    # Per person, so that the counts add up: the latest day is the latest with a person.
    last = (
        events.group_by("person_id")
        .agg(day=pl.col("date").max())
        .drop_nulls()
        .group_by("day")
        .len("count")
    )
    return [
        _long(cohorts, "cohorts"),
        _long(actiris, "actiris"),
        _long(km, "km"),
        _long(outcomes, "outcomes"),
        _long(flows, "flows"),
        _long(starts, "starts"),
        _long(last, "last_day"),
    ]


def _cohort_cells(persons: pl.DataFrame, events: pl.DataFrame, as_of: dt.date) -> pl.DataFrame:
    """`employment_rate`'s counts by registration cohort on each 31 December from 2011 to
    `as_of`'s year, for persons already of a dashboard cohort and protected, every year in
    one pass: aged 18-64 that day (`employment._age_on`: on 31 December, the year minus the
    birth year), employed when their last job event by then (by day, then kind, an end
    after a start) is a start (`employment.employed_on`)."""
    years = pl.LazyFrame(
        {"on": [dt.date(year, 12, 31) for year in range(COHORTS[0] + 1, as_of.year + 1)]}
    )
    population = (
        persons.lazy()
        .join(years, how="cross")
        .filter(pl.col("registration_date") <= pl.col("on"))
        .with_columns(age=(pl.col("on").dt.year() - pl.col("birth_date").dt.year()))
        .filter(pl.col("age").is_between(18, 64))
    )
    jobs = events.lazy().filter(pl.col("kind").is_in(["job_start", "job_end"]))
    employed = (
        population.select("person_id", "on")
        .join(jobs, on="person_id")
        .filter(pl.col("date") <= pl.col("on"))
        .group_by("person_id", "on")
        .agg(pl.col("kind").sort_by("date", "kind").last())
        .filter(pl.col("kind") == "job_start")
        .select("person_id", "on", employed=pl.lit(True))
    )
    at_work = pl.col("employed").fill_null(False)
    return (
        population.join(employed, on=["person_id", "on"], how="left")
        .group_by(cohort=pl.col("registration_date").dt.year().cast(pl.Int32), on="on")
        .agg(
            count=at_work.sum().cast(pl.Int64),
            denominator=pl.len().cast(pl.Int64),
            count_key=key_sum(at_work),
            denominator_key=key_sum(),
        )
        .collect()
    )


def _report_cells(
    keyed_events: pl.DataFrame, events: pl.DataFrame, keyed_referrals: pl.DataFrame
) -> list[pl.DataFrame]:
    """The funder report's counts for every calendar period at once: the periods a person
    started in (months, quarters, years), their first start and last end by month, the
    day each outcome falls due, and the referrals by month sent and started."""
    starts = keyed_events.filter(pl.col("kind") == "programme_start")
    periods = pl.concat_list(
        _month(pl.col("date")),
        pl.format("{}-Q{}", pl.col("date").dt.year(), pl.col("date").dt.quarter()),
        pl.col("date").dt.year().cast(pl.String),
    )
    started = (
        starts.select("person_id", "programme", "record_key", period=periods)
        .explode("period")
        .unique(["person_id", "programme", "period"])
        .group_by("programme", "period")
        .agg(count=pl.len(), key=key_sum())
    )
    spans = (
        keyed_events.filter(pl.col("programme").is_not_null())
        .group_by("person_id", "programme")
        .agg(
            pl.col("record_key").first(),
            first=pl.col("date").filter(pl.col("kind") == "programme_start").min(),
            last_end=pl.col("date").filter(pl.col("kind") == "programme_end").max(),
        )
        .group_by("programme", first=_month(pl.col("first")), last_end=_month(pl.col("last_end")))
        .agg(count=pl.len(), key=key_sum())
    )
    return [
        _long(started, "report_started"),
        _long(spans, "report_active"),
        _long(_due_outcomes(events, keyed_events), "report_outcomes"),
        *_report_referral_cells(keyed_referrals),
    ]


def _due_outcomes(events: pl.DataFrame, keyed_events: pl.DataFrame) -> pl.DataFrame:
    """Each first start's 6- and 12-month day and whether the person was employed then
    (`report._outcome_rows`, for every day at once)."""
    jobs = job_changes(events)
    keys = keyed_events.lazy().select("person_id", "record_key").unique("person_id")
    starts = programme_starts(events).join(keys, on="person_id", how="left")
    frames = []
    for months in OUTCOME_LABELS:
        frames.append(
            employed_on_target(with_target(starts, months), jobs)
            .group_by(
                "programme", "target", employed=pl.col("is_start").fill_null(False).cast(pl.Int8)
            )
            .agg(count=pl.len(), key=key_sum())
            .with_columns(months=pl.lit(months))
        )
    return pl.concat(frames).collect()


def _report_referral_cells(keyed_referrals: pl.DataFrame) -> list[pl.DataFrame]:
    table = referral_table(keyed_referrals)
    waiting = (
        table.filter(pl.col("started").is_not_null())
        .group_by(
            "programme",
            started=_month(pl.col("started")),
            days=(pl.col("started") - pl.col("sent")).dt.total_days(),
        )
        .agg(count=pl.len(), key=key_sum())
        .collect()
    )
    sent = (
        table.group_by(
            "from_organisation",
            "to_organisation",
            "programme",
            sent=_month(pl.col("sent")),
            accepted=pl.col("accepted").is_not_null().cast(pl.Int8),
            rejected=pl.col("rejected").is_not_null().cast(pl.Int8),
        )
        .agg(count=pl.len(), key=key_sum())
        .collect()
    )
    return [_long(waiting, "report_waiting"), _long(sent, "report_referrals")]


# --- from the totals back to the tables --------------------------------------------------


def family(cells: pl.DataFrame, name: str) -> pl.DataFrame:
    """One family's totals as a wide frame: its dimensions (text; "" for none) and measures
    (0 where a cell has none); key measures modulo `MODULUS`."""
    dimensions, measures = FAMILIES[name]
    part = cells.filter(pl.col("family") == name)
    if part.is_empty():
        return pl.DataFrame(
            schema={**dict.fromkeys(dimensions, pl.String), **dict.fromkeys(measures, pl.Int64)}
        )
    wide = part.filter(pl.col("value") != 0).pivot(
        on="measure", index="cell", values="value", aggregate_function="sum"
    )
    columns = [
        (pl.col(m).fill_null(0) if m in wide.columns else pl.lit(0, pl.Int64)).alias(m)
        for m in measures
    ]
    # A cell whose counts all went back to zero is no cell (its key sums may not be zero:
    # the rebuild's sums are kept modulo MODULUS, a person's part is subtracted in full).
    counts = [m for m in measures if not m.endswith("key")]
    wide = (
        wide.select("cell", *columns)
        .filter(pl.any_horizontal([pl.col(m) != 0 for m in counts]))
        .with_columns([pl.col(m) % MODULUS for m in measures if m.endswith("key")])
    )
    if dimensions:
        split = pl.col("cell").str.split_exact("|", len(dimensions) - 1)
        wide = wide.with_columns(split.struct.rename_fields(list(dimensions))).unnest("cell")
    else:
        wide = wide.drop("cell")
    return wide.select(*dimensions, *measures)


def dashboard_from_cells(cells: pl.DataFrame) -> dict[str, pl.DataFrame]:
    """The dashboard's raw tables (before publication) from the totals: `cohorts`, `km`
    (the curve by status, `kaplan_meier`'s columns), `outcomes`, `flows`, `actiris` (the
    2015-2016 Actiris cohorts pooled)."""
    cohorts = (
        family(cells, "cohorts")
        .with_columns(pl.col("cohort").cast(pl.Int32), pl.col("on").str.to_date())
        .with_columns(years_since=(pl.col("on").dt.year() - pl.col("cohort")).cast(pl.Int32))
        .with_columns(rate=pl.col("count") / pl.col("denominator"))
        .sort("on", "cohort")
        .select("cohort", "on", "years_since", *RATE_COLUMNS, *RATE_KEYS)
    )
    actiris = pool(
        family(cells, "actiris").filter(pl.col("cohort").is_in(["2015", "2016"])).drop("cohort"),
        [],
    )
    return {
        "cohorts": cohorts,
        "km": kaplan_meier_curve(
            family(cells, "km").with_columns(pl.col("time").cast(pl.Int64)), by=["legal_status"]
        ),
        "outcomes": _outcomes_of(cells),
        "flows": _flows_of(cells),
        "actiris": actiris,
    }


def _outcomes_of(cells: pl.DataFrame) -> pl.DataFrame:
    """`programme_outcomes(by_year=False)`'s table from the totals."""
    return (
        family(cells, "outcomes")
        .with_columns(pl.col("horizon_months").cast(pl.Int32))
        .with_columns(
            employed_rate=pl.col("employed") / pl.col("participants"),
            found_job_rate=pl.col("found_job") / pl.col("participants"),
        )
        .select("programme", "horizon_months", *OUTCOME_COLUMNS, *OUTCOME_KEYS)
        .sort("programme", "horizon_months")
    )


def _flows_of(cells: pl.DataFrame) -> pl.DataFrame:
    """`referral_flows`' table (keyed) from the totals."""
    return flow_shares(family(cells, "flows").lazy(), keyed=True).collect()


def persons_of(cells: pl.DataFrame) -> int:
    """Persons counted in the scope (the dashboard's "persons")."""
    frame = family(cells, "persons")
    return int(frame["count"].sum()) if frame.height else 0


def last_day(cells: pl.DataFrame) -> dt.date | None:
    """The latest day of an event of the scope (the report's default day of the data)."""
    days = family(cells, "last_day").filter(pl.col("count") > 0)["day"]
    return dt.date.fromisoformat(str(days.max())) if days.len() else None


def start_events(cells: pl.DataFrame) -> dict[str, int]:
    """Programme starts recorded per programme (every start, not persons)."""
    frame = family(cells, "starts").filter(pl.col("count") > 0)
    return dict(zip(frame["programme"].to_list(), frame["count"].to_list(), strict=True))


def _months_between(period: Period) -> tuple[str, str]:
    return period[0].strftime("%Y-%m"), period[1].strftime("%Y-%m")


def funder_report_from_cells(
    cells: pl.DataFrame,
    programme: str,
    period_text: str,
    *,
    threshold: int,
    secret: bytes | None,
) -> pl.DataFrame:
    """`report.funder_report` of `programme` over the calendar period `period_text`, from
    the totals (the same rows, suppressed and perturbed alike)."""
    period = parse_period(period_text)
    first, last = _months_between(period)
    as_of = last_day(cells) or period[1]
    started = family(cells, "report_started").filter(
        (pl.col("programme") == programme) & (pl.col("period") == period_text)
    )
    active = family(cells, "report_active").filter(
        (pl.col("programme") == programme)
        & (pl.col("first") != "")
        & (pl.col("first") <= last)
        & ((pl.col("last_end") == "") | (pl.col("last_end") >= first))
    )
    started_label = gettext_noop("started in the period (unique persons)")
    active_label = gettext_noop("in the programme during the period (unique)")
    rows = [
        _row(BENEFICIARIES, started_label, *_count_and_key(started)),
        _row(BENEFICIARIES, active_label, *_count_and_key(active)),
        *_outcome_rows_of(cells, programme, period, as_of),
        *_waiting_rows_of(cells, programme, first, last),
        *_referral_rows_of(cells, programme, first, last),
    ]
    return _publish(rows, threshold, secret)


def _count_and_key(frame: pl.DataFrame) -> tuple[int, None, None, str, tuple[int, None]]:
    count = int(frame["count"].sum())
    return count, None, None, "persons", (int(frame["key"].sum()) % MODULUS, None)


def _outcome_rows_of(
    cells: pl.DataFrame, programme: str, period: Period, as_of: dt.date
) -> list[dict[str, object]]:
    due = family(cells, "report_outcomes").with_columns(pl.col("target").str.to_date())
    rows = []
    for months, label in OUTCOME_LABELS.items():
        part = due.filter(
            (pl.col("programme") == programme)
            & (pl.col("months") == str(months))
            & pl.col("target").is_between(period[0], min(period[1], as_of))
        )
        employed_part = part.filter(pl.col("employed") == "1")
        participants = int(part["count"].sum())
        employed = int(employed_part["count"].sum())
        keys = (int(employed_part["key"].sum()) % MODULUS, int(part["key"].sum()) % MODULUS)
        rows.append(_share_row(gettext_noop("outcomes"), label, employed, participants, keys))
    return rows


def _waiting_rows_of(
    cells: pl.DataFrame, programme: str, first: str, last: str
) -> list[dict[str, object]]:
    part = family(cells, "report_waiting").filter(
        (pl.col("programme") == programme)
        & pl.col("started").is_between(pl.lit(first), pl.lit(last))
    )
    days = pl.Series(
        "days",
        [
            None if value == "" else int(value)
            for value, count in zip(part["days"], part["count"], strict=True)
            for _ in range(count)
        ],
        dtype=pl.Int64,
    )
    waits_key = int(part["key"].sum()) % MODULUS
    rows = []
    for label, statistic in (
        (gettext_noop("days from referral to start (median)"), 0.5),
        (gettext_noop("days from referral to start (90th percentile)"), 0.9),
    ):
        value = days.quantile(statistic, "linear") if days.len() else None
        rows.append(
            _row(
                gettext_noop("waiting times"),
                label,
                days.len(),
                None,
                float(value) if value is not None else None,
                "days",
                (waits_key, None),
            )
        )
    return rows


def _referral_rows_of(
    cells: pl.DataFrame, programme: str, first: str, last: str
) -> list[dict[str, object]]:
    table = family(cells, "report_referrals")
    organisations = (
        table.filter(pl.col("programme") == programme)["to_organisation"].unique().to_list()
    )
    sent = table.filter(
        (pl.col("sent") != "") & pl.col("sent").is_between(pl.lit(first), pl.lit(last))
    )
    incoming = sent.filter(pl.col("to_organisation").is_in(organisations))
    accepted, rejected = pl.col("accepted") == "1", pl.col("rejected") == "1"

    def total(where: pl.Expr | None, measure: str) -> int:
        frame = incoming if where is None else incoming.filter(where)
        value = int(frame[measure].sum())
        return value % MODULUS if measure == "key" else value

    received = total(None, "count")
    counts = {"accepted": total(accepted, "count"), "rejected": total(rejected, "count")}
    keys = {"accepted": total(accepted, "key"), "rejected": total(rejected, "key")}
    decided = counts["accepted"] + counts["rejected"]
    decided_key = total(accepted | rejected, "key")
    rows = [
        _row(
            REFERRALS_IN,
            gettext_noop("received"),
            received,
            None,
            None,
            "referrals",
            (total(None, "key"), None),
        )
    ]
    for label, part in zip(COMPLEMENTARY, ("accepted", "rejected"), strict=True):
        rows.append(
            _share_row(REFERRALS_IN, label, counts[part], decided, (keys[part], decided_key))
        )
    outgoing = sent.filter(pl.col("from_organisation").is_in(organisations))
    rows.append(
        _row(
            gettext_noop("referrals out"),
            gettext_noop("sent to other organisations"),
            int(outgoing["count"].sum()),
            None,
            None,
            "referrals",
            (int(outgoing["key"].sum()) % MODULUS, None),
        )
    )
    return rows


def scopes_of(organisations: Sequence[str], partnerships: dict[str, frozenset[str]]) -> list[str]:
    """The scope keys a person counts in, given the organisations their frames touch: the
    sector, each of those organisations, and each partnership with one of them as member."""
    touched = set(organisations)
    return [
        "sector",
        *(f"organisation:{slug}" for slug in sorted(touched)),
        *(
            f"partnership:{slug}"
            for slug, members in sorted(partnerships.items())
            if members & touched
        ),
    ]
