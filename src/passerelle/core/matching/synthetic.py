"""Synthetic matching populations for benchmarks and tests: random draws, never real people.

Sizes follow the issue: about `candidates` candidate slots per person. Occupation codes are
synthetic four-digit codes in ISCO form (more of them than ISCO has unit groups, so that
blocking on four digits yields the requested number of candidates at every size).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import numpy.typing as npt
import polars as pl

from passerelle.core.matching.geography import MUNICIPALITIES
from passerelle.core.matching.model import (
    MAX_LANGUAGE_ALTERNATIVES,
    PERSON_COLUMNS,
    SLOT_COLUMNS,
    Kind,
)
from passerelle.core.rules.vectorised import with_population_columns

LANGUAGES = ("fr", "nl", "en", "ar")
STATUSES = (
    "refugee",
    "asylum_seeker",
    "subsidiary_protection",
    "family_reunification",
    "no_permit",
)
STATUS_SHARES = (0.45, 0.3, 0.1, 0.1, 0.05)
KEYS_PER_PERSON = 1.5
"""Distinct blocking keys per person: the occupation, and half the time a different wish."""


def _dates(rng: np.random.Generator, base: dt.date, low: int, high: int, n: int) -> pl.Series:
    offsets = rng.integers(low, high, n)
    return pl.Series(np.datetime64(base) + offsets.astype("timedelta64[D]")).cast(pl.Date)


def synthetic_round(
    people: int,
    kind: Kind = Kind.vacancy,
    on: dt.date = dt.date(2019, 6, 1),
    candidates: int = 50,
    slots_per_person: float = 0.05,
    seed: int = 7,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(persons, slots) frames with the engine's columns, for a round held on `on`."""
    rng = np.random.default_rng(seed)
    n = people
    m = max(1, round(n * slots_per_person))
    codes = np.arange(1000, 1000 + max(1, round(m * KEYS_PER_PERSON / candidates)) * 7, 7)
    codes = codes[codes < 10000]
    # One generator for both frames, persons first: the same seed gives the same round.
    return _persons(rng, n, on, codes), _slots(rng, m, on, kind, codes)


def _persons(
    rng: np.random.Generator, n: int, on: dt.date, codes: npt.NDArray[np.int64]
) -> pl.DataFrame:
    occupation = rng.choice(codes, n)
    other = rng.choice(codes, n)
    wish = np.where(rng.random(n) < 0.5, occupation, other)
    status = rng.choice(np.array(STATUSES), n, p=STATUS_SHARES)
    arrival = _dates(rng, on, -6 * 365, -30, n)
    application = pl.select(
        arrival + pl.duration(days=pl.lit(pl.Series(rng.integers(0, 20, n))))
    ).to_series()
    asylum = pl.Series(np.isin(status, ["refugee", "asylum_seeker", "subsidiary_protection"]))
    decided = pl.Series(np.isin(status, ["refugee", "subsidiary_protection"]))
    decision = pl.select(
        application + pl.duration(days=pl.lit(pl.Series(rng.integers(90, 700, n))))
    ).to_series()
    decision = pl.select(
        pl.when(decision < pl.lit(on)).then(decision).otherwise(pl.lit(on))
    ).to_series()
    ranks = {
        code: np.where(rng.random(n) < share, rng.integers(1, 7, n), 0).astype(np.int8)
        for code, share in zip(LANGUAGES, (0.75, 0.3, 0.5, 0.6), strict=True)
    }
    persons = pl.DataFrame(
        {
            "person_id": [f"P{i:07d}" for i in range(n)],
            "birth_date": _dates(rng, on, -50 * 365, -18 * 365, n),
            "nationality": rng.choice(np.array(["SY", "AF", "ER", "IQ", "GN", "SO", "MA"]), n),
            "legal_status": status,
            "asylum_application_date": application.set(~asylum, None),
            "asylum_decision_date": decision.set(~decided, None),
            "residence_permit_months": np.where(status == "asylum_seeker", 3, 60),
            "labour_market_access": pl.Series(
                np.where(status == "family_reunification", "unlimited", "")
            ).replace("", None),
            "arrival_in_belgium": arrival,
            # The first entry in the foreigners' register with a permit of more than three
            # months: the decision for protected people, none during the asylum procedure.
            "first_registration_brussels": decision.zip_with(decided, arrival).set(
                pl.Series(status == "asylum_seeker"), None
            ),
            "municipality": rng.choice(np.array(MUNICIPALITIES), n),
            "languages_known": np.ones(n, dtype=bool),
            "education_isced": rng.integers(0, 9, n),
            "migration_background": np.ones(n, dtype=bool),
            "occupation": occupation.astype(str),
            "wish": wish.astype(str),
            "available_from": _dates(rng, on, -90, 75, n),
            "waiting_since": _dates(rng, on, -3 * 365, 0, n),
            "organisation": rng.choice(np.array([f"org-{i:02d}" for i in range(20)]), n),
            "driving_licence": rng.random(n) < 0.4,
            "diploma_isced": rng.integers(0, 9, n),
            "diploma_foreign": rng.random(n) < 0.7,
            "diploma_recognised": rng.random(n) < 0.2,
            "capacity": np.ones(n, dtype=np.int32),
            **{f"language_{code}": rank for code, rank in ranks.items()},
        }
    )
    return with_population_columns(persons).cast(pl.Schema(PERSON_COLUMNS))


def _slots(
    rng: np.random.Generator, m: int, on: dt.date, kind: Kind, codes: npt.NDArray[np.int64]
) -> pl.DataFrame:
    starts = [on + dt.timedelta(days=d) for d in (0, 30, 61)]
    level = rng.integers(2, 5, m)
    first = rng.choice(np.array(["fr", "nl", "en"]), m, p=[0.6, 0.2, 0.2])
    if kind is Kind.internship:
        first = np.full(m, "en")
    has_second = (first != "en") & (rng.random(m) < 0.5)
    second = pl.Series(np.where(has_second, np.where(first == "fr", "nl", "fr"), "")).replace(
        "", None
    )
    capacity = {Kind.vacancy: (1, 6), Kind.mentoring: (1, 4), Kind.internship: (1, 3)}[kind]
    return pl.DataFrame(
        {
            "slot_id": [f"S{i:07d}" for i in range(m)],
            "start_date": pl.Series(rng.choice(np.array(starts, dtype="datetime64[D]"), m)),
            "capacity": rng.integers(*capacity, m).astype(np.int32),
            "organisation": [f"employer-{i % 500:03d}" for i in range(m)],
            "occupation": rng.choice(codes, m).astype(str),
            "municipality": rng.choice(np.array(MUNICIPALITIES), m),
            "lang_1": first,
            "level_1": level,
            "lang_2": second,
            "level_2": pl.Series(level).set(pl.Series(~has_second), None),
            **{
                name: pl.Series([None] * m, dtype=SLOT_COLUMNS[name])
                for i in range(3, MAX_LANGUAGE_ALTERNATIVES + 1)
                for name in (f"lang_{i}", f"level_{i}")
            },
            "driving_licence_required": (rng.random(m) < 0.15) & (kind is Kind.vacancy),
            "diploma_isced_required": pl.Series(rng.integers(3, 7, m)).set(
                pl.Series((rng.random(m) >= 0.3) | (kind is not Kind.vacancy)),
                None,
            ),
            "recognition_required": (rng.random(m) < 0.25) & (kind is Kind.vacancy),
            "programme": pl.Series([None] * m, dtype=pl.String),
        }
    ).cast(pl.Schema(SLOT_COLUMNS))
