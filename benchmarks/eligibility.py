"""Eligibility at population scale: a synthetic population of 1 000 000 profiles against
every programme and both derived facts on one date.

Prints person-programme evaluations per second for the vectorised path (polars) and the
scalar explainer, their ratio (both measured in this process, so the ratio holds on a busy
machine), and the latency of one in-process `options` call. Goals (issue 2): at least 25
million evaluations per second vectorised, and one `options` call under 2 ms at p95.

    .venv/bin/python benchmarks/eligibility.py [--people 1000000] [--on 2019-06-01]

All profiles are synthetic (random draws), never real people.
"""

from __future__ import annotations

import datetime as dt
import functools
import statistics

import numpy as np
import polars as pl

from harness import arguments, print_table, timed, timings
from passerelle.core.profile import Profile, profile_from_data
from passerelle.core.rules.options import options
from passerelle.core.rules.vectorised import (
    POPULATION_SCHEMA,
    evaluate_population,
    with_population_columns,
)
from passerelle.knowledge.criteria import LEGAL_STATUSES
from passerelle.knowledge.loader import load_knowledge

NATIONALITIES = ["SY", "AF", "IQ", "ER", "SO", "GN", "CD", "MA", "TR", "PS", "FR", "RO", "GB"]
LANGUAGES = ("fr", "nl", "en", "ar")


def synthetic_population(people: int, seed: int = 2026) -> pl.DataFrame:
    """A population frame built column-wise, with some fields missing as in real intake."""
    rng = np.random.default_rng(seed)
    knowledge = load_knowledge()
    municipalities = [*knowledge.municipalities, "1930", "1700", "2000", "4000"]
    epoch = np.datetime64("2000-01-01")

    def dates(low: str, high: str, missing: float) -> pl.Series:
        start = (np.datetime64(low) - epoch).astype(int)
        end = (np.datetime64(high) - epoch).astype(int)
        days = epoch + rng.integers(start, end, people).astype("timedelta64[D]")
        series = pl.Series(days.astype("datetime64[D]"))
        return series.set(pl.Series(rng.random(people) < missing), None)  # type: ignore[arg-type]

    arrival = dates("2008-01-01", "2022-12-31", 0.1)

    def days_after(start: pl.Series, low: int, high: int) -> pl.Series:
        offsets = pl.Series(rng.integers(low, high, people))
        return pl.select(pl.lit(start) + pl.duration(days=pl.lit(offsets))).to_series()

    application = days_after(arrival, 0, 60)
    decision = days_after(application, 60, 900)
    registration = days_after(arrival, 0, 400)
    status = pl.Series(
        rng.choice(LEGAL_STATUSES, people, p=[0.3, 0.3, 0.1, 0.05, 0.05, 0.1, 0.05, 0.05])
    )
    has_decision = status.is_in(["refugee", "subsidiary_protection"]) & pl.Series(
        rng.random(people) < 0.9
    )
    # A protected person's first entry in the foreigners' register follows the decision that
    # granted the permit (the profile refuses an earlier one).
    registration = pl.select(
        pl.when(pl.lit(has_decision))
        .then(pl.lit(days_after(decision, 0, 120)))
        .otherwise(pl.lit(registration))
    ).to_series()
    columns: dict[str, pl.Series] = {
        "birth_date": dates("1955-01-01", "2004-12-31", 0.05),
        "nationality": pl.Series(rng.choice(NATIONALITIES, people)),
        "legal_status": status,
        "asylum_application_date": application.set(
            ~status.is_in(["asylum_seeker", "refugee", "subsidiary_protection"]), None
        ),
        "asylum_decision_date": decision.set(~has_decision, None),
        "residence_permit_months": pl.Series(rng.choice([3, 12, 60, 0], people)).set(
            pl.Series(rng.random(people) < 0.5), None
        ),
        "labour_market_access": pl.Series(rng.choice(["unlimited", "limited", "none"], people)),
        "arrival_in_belgium": arrival,
        "first_registration_brussels": registration.set(
            pl.Series(rng.random(people) < 0.3),
            None,  # type: ignore[arg-type]
        ),
        "municipality": pl.Series(rng.choice(municipalities, people)),
        "languages_known": pl.Series(rng.random(people) < 0.9),
        "education_isced": pl.Series(rng.integers(0, 9, people)),
        "migration_background": pl.Series(rng.random(people) < 0.9),
    }
    for code in LANGUAGES:
        columns[f"language_{code}"] = pl.Series(rng.integers(0, 7, people))
    frame = with_population_columns(pl.DataFrame(columns))
    return frame.cast(dict(POPULATION_SCHEMA.items())).cast(
        {f"language_{code}": pl.Int8 for code in LANGUAGES}
    )


def _profile(row: dict[str, object]) -> Profile:
    data = {name: row[name] for name in POPULATION_SCHEMA if name != "languages_known"}
    data["languages"] = (
        {
            code: ["A1", "A2", "B1", "B2", "C1", "C2"][int(row[f"language_{code}"]) - 1]  # type: ignore[call-overload]
            for code in LANGUAGES
            if int(row[f"language_{code}"]) > 0
        }  # type: ignore[call-overload]
        if row["languages_known"]
        else None
    )
    return profile_from_data(
        {k: v.isoformat() if isinstance(v, dt.date) else v for k, v in data.items()}
    )


def main() -> None:
    parser = arguments(__doc__)
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--scalar-people", type=int, default=2_000)
    parser.add_argument("--on", type=dt.date.fromisoformat, default=dt.date(2019, 6, 1))
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    knowledge = load_knowledge()
    per_person = len(knowledge.programmes) + 2  # every programme and both derived facts
    population = synthetic_population(args.people)

    evaluate_population(population.head(1000), args.on, knowledge)  # warm up

    def evaluate() -> pl.DataFrame:
        return evaluate_population(population, args.on, knowledge)

    result, first = timed(evaluate)
    vector_times = [first, *timings(evaluate, args.repeat - 1)]
    vector_rate = args.people * per_person / min(vector_times)

    profiles = [_profile(row) for row in population.head(args.scalar_people).iter_rows(named=True)]
    latencies = [
        timed(functools.partial(options, profile, args.on, knowledge))[1] for profile in profiles
    ]
    scalar_rate = len(profiles) * per_person / sum(latencies)
    latencies.sort()
    median = statistics.median(latencies) * 1000
    p95 = latencies[int(0.95 * (len(latencies) - 1))] * 1000

    eligible = sum(
        (result[column] == "eligible").sum()
        for column in result.columns
        if column in knowledge.programmes
    )
    rows = [
        ("people (vectorised)", f"{args.people:,}", ""),
        ("programmes + derived facts per person", f"{per_person}", ""),
        (f"vectorised: best of {args.repeat} runs", f"{min(vector_times):.3f} s", ""),
        ("vectorised evaluations / s", f"{vector_rate / 1e6:,.1f} M", "goal >= 25 M"),
        (
            "scalar evaluations / s (explained)",
            f"{scalar_rate / 1e6:,.3f} M",
            f"on {len(profiles):,} people",
        ),
        ("vectorised / scalar", f"{vector_rate / scalar_rate:,.0f} x", "same process"),
        ("options call, median", f"{median:.3f} ms", ""),
        ("options call, p95", f"{p95:.3f} ms", "goal < 2 ms"),
        ("eligible person-programme pairs", f"{eligible:,}", "sanity check"),
    ]
    print_table(("measure", "value", "note"), rows)


if __name__ == "__main__":
    main()
