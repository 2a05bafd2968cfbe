"""Referrals between organisations: flows, decisions, rejection reasons, waiting times and
capacity used, from the referral events frame (schema in `schema.py`).

A referral is counted in a period by the day it was sent; its later events (accepted,
rejected, started, closed) follow it. Every row carries its count and denominator.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import polars as pl

from passerelle.core.disclosure import MODULUS, key_sum

Period = tuple[dt.date, dt.date]


def referral_table(
    referrals: pl.DataFrame | pl.LazyFrame, period: Period | None = None
) -> pl.LazyFrame:
    """One row per referral sent in the period (inclusive): its parties and the dates of its
    events (`sent`, `accepted`, `rejected`, `started`, `closed`) and the rejection `reason`."""
    lazy = referrals.lazy()
    keyed = "record_key" in lazy.collect_schema().names()
    wide = lazy.group_by("referral_id").agg(
        *([pl.col("record_key").first()] if keyed else []),
        pl.col("person_id").first(),
        pl.col("from_organisation").first(),
        pl.col("to_organisation").first(),
        pl.col("programme").first(),
        *[
            pl.col("date").filter(pl.col("event") == name).min().alias(name)
            for name in ("sent", "accepted", "rejected", "started", "closed")
        ],
        reason=pl.col("reason").drop_nulls().first(),
    )
    if period is not None:
        wide = wide.filter(pl.col("sent").is_between(*period))
    return wide


def referral_flows(
    referrals: pl.DataFrame | pl.LazyFrame, period: Period | None = None
) -> pl.DataFrame:
    """Referrals sent from one organisation to another (the edges of a flow chart): `count`,
    `denominator` (all referrals sent by `from_organisation`), `share`, and `accepted`. When
    `referrals` has a `record_key` column (`core.disclosure`), also their cell keys
    (`count_key`, `denominator_key`, `accepted_key`)."""
    table = referral_table(referrals, period)
    keyed = "record_key" in table.collect_schema().names()
    flows = table.group_by("from_organisation", "to_organisation").agg(
        count=pl.len().cast(pl.Int64),
        accepted=pl.col("accepted").is_not_null().sum().cast(pl.Int64),
        **(
            {"count_key": key_sum(), "accepted_key": key_sum(pl.col("accepted").is_not_null())}
            if keyed
            else {}
        ),
    )
    return flow_shares(flows, keyed=keyed).collect()


def flow_shares(flows: pl.LazyFrame, *, keyed: bool) -> pl.LazyFrame:
    """`referral_flows`' table from its counts by pair of organisations (`count`,
    `accepted`, and when `keyed` their cell keys): each pair's share of what its sender sent."""
    if keyed:
        flows = flows.with_columns(
            denominator_key=pl.col("count_key").sum().over("from_organisation") % MODULUS
        )
    return (
        flows.with_columns(denominator=pl.col("count").sum().over("from_organisation"))
        .with_columns(share=pl.col("count") / pl.col("denominator"))
        .select(
            "from_organisation",
            "to_organisation",
            "count",
            "denominator",
            "share",
            "accepted",
            *(["count_key", "denominator_key", "accepted_key"] if keyed else []),
        )
        .sort("from_organisation", "to_organisation")
    )


def referral_decisions(
    referrals: pl.DataFrame | pl.LazyFrame,
    period: Period | None = None,
    by: Sequence[str] = ("to_organisation",),
) -> pl.DataFrame:
    """Per receiving organisation: `sent`, `accepted`, `rejected`, `pending`, and the
    acceptance rate among decided referrals (`count` accepted over `denominator` decided)."""
    table = referral_table(referrals, period)
    return (
        table.group_by(list(by))
        .agg(
            sent=pl.len().cast(pl.Int64),
            accepted=pl.col("accepted").is_not_null().sum().cast(pl.Int64),
            rejected=pl.col("rejected").is_not_null().sum().cast(pl.Int64),
        )
        .with_columns(
            pending=pl.col("sent") - pl.col("accepted") - pl.col("rejected"),
            count=pl.col("accepted"),
            denominator=pl.col("accepted") + pl.col("rejected"),
        )
        .with_columns(acceptance_rate=pl.col("count") / pl.col("denominator"))
        .sort(list(by))
        .collect()
    )


def rejection_reasons(
    referrals: pl.DataFrame | pl.LazyFrame, period: Period | None = None
) -> pl.DataFrame:
    """Rejected referrals by receiving organisation and reason: `count`, `denominator` (all
    rejections by that organisation), `share`."""
    table = referral_table(referrals, period).filter(pl.col("rejected").is_not_null())
    return (
        table.with_columns(pl.col("reason").fill_null("unknown"))
        .group_by("to_organisation", "reason")
        .agg(count=pl.len().cast(pl.Int64))
        .with_columns(denominator=pl.col("count").sum().over("to_organisation"))
        .with_columns(share=pl.col("count") / pl.col("denominator"))
        .sort("to_organisation", "reason")
        .collect()
    )


def waiting_times(
    referrals: pl.DataFrame | pl.LazyFrame,
    period: Period | None = None,
    by: Sequence[str] = ("to_organisation", "programme"),
) -> pl.DataFrame:
    """Days from sending to the decision and from sending to the start, per group: `stage`,
    `n` (referrals with that stage reached), `mean_days`, `p25_days`, `median_days`,
    `p75_days`, `p90_days`; `denominator`: referrals sent."""
    table = referral_table(referrals, period).with_columns(
        decision=(pl.coalesce("accepted", "rejected") - pl.col("sent")).dt.total_days(),
        start=(pl.col("started") - pl.col("sent")).dt.total_days(),
    )
    frames = []
    for stage in ("decision", "start"):
        days = pl.col(stage).drop_nulls()
        frames.append(
            table.group_by(list(by))
            .agg(
                n=days.len().cast(pl.Int64),
                denominator=pl.len().cast(pl.Int64),
                mean_days=days.mean(),
                p25_days=days.quantile(0.25, "linear"),
                median_days=days.median(),
                p75_days=days.quantile(0.75, "linear"),
                p90_days=days.quantile(0.9, "linear"),
            )
            .with_columns(stage=pl.lit(stage))
        )
    return (
        pl.concat(frames)
        .select(
            *by,
            "stage",
            "n",
            "denominator",
            "mean_days",
            "p25_days",
            "median_days",
            "p75_days",
            "p90_days",
        )
        .sort([*by, "stage"])
        .collect()
    )


def participants_on(table: pl.LazyFrame, days: pl.LazyFrame) -> pl.LazyFrame:
    """Participants started through a referral and not closed by each day of `days` (a
    `day` column), by programme: `programme`, `day`, `count` (from `referral_table`)."""
    return (
        table.filter(pl.col("started").is_not_null())
        .select("programme", "started", "closed")
        .join(days, how="cross")
        .filter(
            (pl.col("started") <= pl.col("day"))
            & (pl.col("closed").is_null() | (pl.col("closed") > pl.col("day")))
        )
        .group_by("programme", "day")
        .agg(count=pl.len().cast(pl.Int64))
    )


def capacity_used(
    referrals: pl.DataFrame | pl.LazyFrame,
    capacity: pl.DataFrame | pl.LazyFrame,
    days: Sequence[dt.date],
) -> pl.DataFrame:
    """Places taken on each day: participants started through a referral and not closed by
    that day (`count`) over the programme's places (`denominator`), `rate`; `free` places."""
    day_frame = pl.LazyFrame({"day": list(days)}, schema={"day": pl.Date})
    places = capacity.lazy().select("programme", pl.col("places").cast(pl.Int64))
    active = participants_on(referral_table(referrals), day_frame)
    grid = places.join(day_frame, how="cross")
    return (
        grid.join(active, on=["programme", "day"], how="left")
        .with_columns(pl.col("count").fill_null(0), denominator=pl.col("places"))
        .with_columns(
            rate=pl.col("count") / pl.col("denominator"),
            free=(pl.col("denominator") - pl.col("count")).clip(0),
        )
        .select("programme", "day", "count", "denominator", "rate", "free")
        .sort("programme", "day")
        .collect()
    )
