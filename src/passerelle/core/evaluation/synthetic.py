"""A synthetic cohort of newcomers with known truth: SYNTHETIC DATA ONLY, never real people.

The generator draws persons (status, dates, sex, age, languages as CEFR ranks, education as
ISCED level), an UNOBSERVED motivation that raises programme take-up, registration with
Actiris and the chance of finding a job, and a true programme effect. Every person's time to
a first job follows a Weibull proportional-hazards model counted from the day the person may
work; the mentoring programme multiplies the hazard after its start by `mentoring_hazard_ratio`.
Both potential outcomes (with and without mentoring) come from the same random draw, so the
true effect on "a job within 12 months" is known person by person.

Calibration (tests/core/evaluation/test_synthetic.py proves it within 2 points on the default
parameters): the employment rate of refugees and protected persons aged 18-64 registered in the
national register in 2010 is 11 % on 2011-12-31 and 33 % on 2014-12-31 (Socio-economic
Monitoring 2017); the refugees and protected persons registered with Actiris in 2015-2016 are
31 % employed on `ACTIRIS_REFERENCE_DATE` (Actiris figures quoted in May 2017).

Frames produced (schemas in `passerelle.core.indicators.schema`): persons, events (jobs and
programmes), referral events and programme capacity; plus `truth` (motivation and potential
outcomes) that indicators never read, and `evaluation_sample()` for the effect estimators.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import numpy.typing as npt
import polars as pl

from passerelle.core.indicators.referrals import participants_on, referral_table
from passerelle.core.indicators.schema import (
    CAPACITY_SCHEMA,
    EVENTS_SCHEMA,
    PERSONS_SCHEMA,
    REFERRALS_SCHEMA,
)
from passerelle.knowledge.loader import load_knowledge

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

YEAR = 365.25
EPOCH = dt.date(1970, 1, 1)
ACTIRIS_REFERENCE_DATE = dt.date(2017, 3, 31)
"""The day the Actiris figure describes (assumption: the end of the quarter before the figures
were quoted in May 2017; the source gives no date)."""

MENTORING = "duo-for-a-job-mentoring"
INTEGRATION = "bapa-bxl-integration-pathway"
JOB_SUPPORT = "actiris-job-support"
INTERNSHIP = "tandem-internship"
RECOGNITION = "cire-diploma-recognition"
PROGRAMME_ORGANISATION: dict[str, str] = {
    MENTORING: "duo-for-a-job",
    INTEGRATION: "bapa-bxl",
    JOB_SUPPORT: "actiris",
    INTERNSHIP: "tandem",
    RECOGNITION: "cire",
}
"""Programme ids and organisations from the knowledge base (a test checks they exist)."""
PLACES_MARGIN = 1.15
"""Places per programme: the referred participants active one year before `as_of`, plus 15 %."""
REFERRERS = ("cpas-bruxelles", "bapa-bxl", "actiris", "convivial", "caritas", "sampa")
REJECTION_REASONS = ("no_place", "not_eligible", "language_level", "no_show")

STATUSES = ("refugee", "subsidiary_protection", "asylum_seeker", "family_reunification")
STATUS_SHARES = (0.55, 0.15, 0.18, 0.12)
PROTECTED = ("refugee", "subsidiary_protection")

WAITING_PARAMETER = "right_to_work.asylum_seeker.waiting_months"

Motivation = Literal["observed", "proxy", "unobserved"]


@dataclass(frozen=True)
class CohortParameters:
    """Every knob of the generator; the defaults are the calibrated demo values."""

    persons: int = 100_000
    seed: int = 2026
    first_arrival: int = 2008
    last_arrival: int = 2024
    as_of: dt.date = dt.date(2025, 12, 31)
    weibull_scale: float = 12.0
    """Years; with the shape, the baseline time to a first job from the right to work."""
    weibull_shape: float = 1.29
    actiris_hazard_ratio: float = 4.35
    """Job search with Actiris (registered job seekers find jobs faster)."""
    actiris_delay_years: float = 2.0
    """Mean time from the right to work to the registration with Actiris."""
    motivation_log_hazard: float = 0.6
    motivation_take_up: float = 1.2
    mentoring_hazard_ratio: float = 1.6
    """The true effect of mentoring on the hazard of a first job after it starts."""
    mentoring_base_take_up: float = -1.9
    motivation: Motivation = "unobserved"
    """Whether the evaluation sample carries motivation: exactly ("observed": selection on
    observables), a noisy proxy ("proxy"), or not at all ("unobserved")."""
    proxy_noise: float = 1.0
    job_spell_years: float = 6.0
    """Mean length of a first job; a second job follows after a gap for most."""


@dataclass(frozen=True)
class SyntheticCohort:
    """Synthetic frames with known truth (see the module docstring)."""

    persons: pl.DataFrame
    events: pl.DataFrame
    referrals: pl.DataFrame
    capacity: pl.DataFrame
    truth: pl.DataFrame
    parameters: CohortParameters = field(repr=False)

    def evaluation_sample(self, programme: str = MENTORING) -> pl.DataFrame:
        """One row per person eligible for mentoring and not employed on their index date,
        followed for 12 months before `as_of`: `treated`, `outcome` (a first job within 12
        months of the index date), observed covariates, and the truth columns `y0`, `y1`."""
        if programme != MENTORING:
            raise ValueError(
                f"programme: {programme!r} has no known effect; allowed values: {MENTORING}"
            )
        covariates = self.truth.select(
            "person_id",
            "followed",
            "treated",
            "outcome",
            "y0",
            "y1",
            "motivation_covariate",
            "age_at_index",
            "index_date",
        )
        frame = (
            self.persons.join(covariates, on="person_id")
            .filter(pl.col("followed"))
            .with_columns(
                female=(pl.col("sex") == "F").cast(pl.Float64),
                age=pl.col("age_at_index").cast(pl.Float64),
                french_or_dutch=pl.max_horizontal("language_fr", "language_nl").cast(pl.Float64),
                english=pl.col("language_en").cast(pl.Float64),
                education=pl.col("education_isced").cast(pl.Float64),
                protected=pl.col("legal_status").is_in(PROTECTED).cast(pl.Float64),
                # Covariates are measured before the index date (never after the programme).
                actiris=(pl.col("actiris_registration_date") <= pl.col("index_date"))
                .fill_null(False)
                .cast(pl.Float64),
                treated=pl.col("treated").cast(pl.Int8),
                outcome=pl.col("outcome").cast(pl.Int8),
                y0=pl.col("y0").cast(pl.Int8),
                y1=pl.col("y1").cast(pl.Int8),
            )
        )
        columns = [
            "person_id",
            "treated",
            "outcome",
            "female",
            "age",
            "french_or_dutch",
            "english",
            "education",
            "protected",
            "actiris",
        ]
        if self.parameters.motivation != "unobserved":
            frame = frame.with_columns(motivation_score=pl.col("motivation_covariate"))
            columns.append("motivation_score")
        return frame.select(*columns, "y0", "y1")


def _days(values: FloatArray | IntArray) -> pl.Series:
    return pl.Series(np.asarray(values, dtype=np.int64)).cast(pl.Int32).cast(pl.Date)


def _day(day: dt.date) -> int:
    return (day - EPOCH).days


def _logistic(x: FloatArray) -> FloatArray:
    return np.asarray(1.0 / (1.0 + np.exp(-x)), dtype=np.float64)


def _asylum_waiting_days(application: IntArray) -> IntArray:
    """Days of the asylum seekers' waiting period in force on each application day."""
    parameter = load_knowledge().parameters[WAITING_PARAMETER]
    starts = np.array([_day(value.valid_from) for value in parameter.values])
    months = np.array(
        [value.value if isinstance(value.value, int | float) else 0 for value in parameter.values],
        dtype=np.float64,
    )
    index = np.clip(np.searchsorted(starts, application, side="right") - 1, 0, len(starts) - 1)
    return np.asarray(np.round(months[index] * YEAR / 12), dtype=np.int64)


def _weibull_time(cumulative: FloatArray, rate: FloatArray, p: CohortParameters) -> FloatArray:
    """The time (years) at which the cumulative hazard `rate * (t / scale) ** shape` reaches
    `cumulative`."""
    return np.asarray(
        p.weibull_scale * (cumulative / rate) ** (1.0 / p.weibull_shape), dtype=np.float64
    )


@dataclass(frozen=True)
class _People:
    """Who arrives: dates in days since the epoch, covariates by person."""

    arrival: IntArray
    status: npt.NDArray[np.str_]
    protected: BoolArray
    asylum_seeker: BoolArray
    birth: IntArray
    female: BoolArray
    motivation: FloatArray
    education: IntArray
    french: IntArray
    dutch: IntArray
    english: IntArray


def _people(rng: np.random.Generator, p: CohortParameters) -> _People:
    """Arrivals every year, with the 2015-2016 peak of asylum applications; status, age,
    sex, motivation, education and languages."""
    n = p.persons
    years = np.arange(p.first_arrival, p.last_arrival + 1)
    weights = np.where((years == 2015) | (years == 2016), 3.0, 1.0)
    weights = weights / weights.sum()
    arrival_year = rng.choice(years, n, p=weights)
    year_start = np.array([_day(dt.date(int(y), 1, 1)) for y in years])
    arrival = year_start[arrival_year - p.first_arrival] + rng.integers(0, 365, n)
    status = rng.choice(np.array(STATUSES), n, p=STATUS_SHARES)
    age_at_arrival = np.clip(18 + rng.gamma(2.2, 6.0, n), 18, 62).astype(np.int64)
    birth = arrival - (age_at_arrival * YEAR).astype(np.int64) - rng.integers(0, 365, n)
    female = rng.random(n) < 0.38
    motivation = rng.standard_normal(n)
    education = np.clip(np.round(rng.normal(3.2, 2.0, n) + 0.3 * motivation), 0, 8).astype(np.int64)
    french = np.clip(np.round(rng.normal(0.8, 1.2, n) + 0.3 * motivation), 0, 6).astype(np.int64)
    dutch = np.where(rng.random(n) < 0.15, np.clip(french - 1, 0, 6), 0)
    english = np.clip(np.round(rng.normal(1.2, 1.6, n) + 0.25 * education), 0, 6).astype(np.int64)
    return _People(
        arrival=arrival,
        status=status,
        protected=np.isin(status, PROTECTED),
        asylum_seeker=status == "asylum_seeker",
        birth=birth,
        female=female,
        motivation=motivation,
        education=education,
        french=french,
        dutch=dutch,
        english=english,
    )


@dataclass(frozen=True)
class _Rights:
    """Recognition, national register, the right to work and Actiris (days; -1: never)."""

    decision: IntArray
    status_date: IntArray
    registration: IntArray
    right_to_work: IntArray
    actiris_registered: BoolArray
    actiris: IntArray


def _rights(rng: np.random.Generator, p: CohortParameters, people: _People) -> _Rights:
    n = p.persons
    arrival, protected, asylum_seeker = people.arrival, people.protected, people.asylum_seeker
    decision = arrival + rng.integers(90, 540, n)
    registration = np.where(
        protected,
        decision + rng.integers(0, 60, n),
        np.where(asylum_seeker, -1, arrival + rng.integers(0, 60, n)),
    )
    # Asylum seekers may work after the waiting period in force on their application (taken
    # as the arrival): the dated parameter of the knowledge base (6 months, 4 from 2015-11-09).
    waiting = _asylum_waiting_days(arrival)
    right_to_work = np.where(
        protected, decision, np.where(asylum_seeker, arrival + waiting, arrival + 30)
    )
    actiris_registered = rng.random(n) < _logistic(-0.2 + 0.8 * people.motivation)
    actiris = np.where(
        actiris_registered,
        right_to_work + rng.exponential(p.actiris_delay_years * YEAR, n).astype(np.int64),
        -1,
    )
    return _Rights(
        decision=decision,
        status_date=np.where(protected, decision, -1),
        registration=registration,
        right_to_work=right_to_work,
        actiris_registered=actiris_registered,
        actiris=actiris,
    )


@dataclass(frozen=True)
class _FirstJobs:
    """Mentoring and the first job, with both potential outcomes (y0 without mentoring, y1
    with it: a first job within a year of the index date)."""

    index: IntArray
    age_at_index: IntArray
    eligible: BoolArray
    followed: BoolArray
    treated: BoolArray
    y0: BoolArray
    y1: BoolArray
    first_job: IntArray


def _job_rate(p: CohortParameters, people: _People, rights: _Rights) -> FloatArray:
    """Each person's relative hazard of finding a job (mean 1 over the cohort): motivation,
    education, languages, sex, age at the right to work and the asylum procedure."""
    age_at_work = (rights.right_to_work - people.birth) / YEAR
    linear = (
        p.motivation_log_hazard * people.motivation
        + 0.18 * people.education
        + 0.25 * np.maximum(people.french, people.dutch)
        + 0.08 * people.english
        - 0.5 * people.female
        - 0.025 * np.maximum(age_at_work - 30.0, 0.0)
        - 0.4 * people.asylum_seeker
    )
    linear = linear - np.log(np.mean(np.exp(linear)))
    return np.asarray(np.exp(linear), dtype=np.float64)


def _time_with_change(
    change_at: FloatArray,
    h_change: FloatArray,
    ratio: FloatArray | float,
    e: FloatArray,
    rate: FloatArray,
    p: CohortParameters,
) -> FloatArray:
    """The Weibull time at which the cumulative hazard reaches exposure `e`, when the
    hazard is multiplied by `ratio` from `change_at` on (where it stood at `h_change`)."""
    before = _weibull_time(e, rate, p)
    after = _weibull_time(h_change + (e - h_change) / ratio, rate, p)
    return np.where(e <= h_change, before, np.maximum(after, change_at))


def _first_jobs(
    rng: np.random.Generator, p: CohortParameters, people: _People, rights: _Rights, as_of: int
) -> _FirstJobs:
    """Time to a first job (years from the right to work), proportional hazards; Actiris
    multiplies the hazard from the registration on, mentoring from its index date on."""
    n = p.persons
    right_to_work, birth = rights.right_to_work, people.birth
    rate = _job_rate(p, people, rights)
    exposure = rng.exponential(1.0, n)
    actiris_at = np.where(
        rights.actiris_registered, (rights.actiris - right_to_work) / YEAR, np.inf
    )
    h_actiris = rate * (np.minimum(actiris_at, 1e6) / p.weibull_scale) ** p.weibull_shape

    t_base = _time_with_change(actiris_at, h_actiris, p.actiris_hazard_ratio, exposure, rate, p)

    # Mentoring: index date between 3 and 18 months after the right to work; eligible when
    # aged 18-33 then, not yet employed, and followed 12 months before `as_of`.
    index_after = rng.uniform(0.25, 1.5, n)
    index = right_to_work + (index_after * YEAR).astype(np.int64)
    age_at_index = ((index - birth) / YEAR).astype(np.int64)
    eligible = (age_at_index <= 33) & (t_base > index_after) & (index <= as_of)
    take_up_linear = (
        p.mentoring_base_take_up
        + p.motivation_take_up * people.motivation
        + 0.15 * (people.education - 3)
        + 0.2 * people.english
        - 0.3 * people.female
    )
    treated = eligible & (rng.random(n) < _logistic(take_up_linear))
    # Both potential outcomes from the same draw: mentoring multiplies the hazard from the
    # index date on, so the treated cumulative hazard is H(u) + HR * (H(t) - H(u)) and the time
    # is the untreated inverse at a smaller exposure (never later than without mentoring).
    h_plain = rate * (index_after / p.weibull_scale) ** p.weibull_shape
    h_index = np.where(
        actiris_at <= index_after,
        h_actiris + p.actiris_hazard_ratio * (h_plain - h_actiris),
        h_plain,
    )
    shrunk = h_index + (exposure - h_index) / p.mentoring_hazard_ratio
    t_mentored = np.where(
        exposure <= h_index,
        t_base,
        _time_with_change(actiris_at, h_actiris, p.actiris_hazard_ratio, shrunk, rate, p),
    )
    t_mentored = np.where(eligible, t_mentored, t_base)
    first_job_years = np.where(treated, t_mentored, t_base)
    return _FirstJobs(
        index=index,
        age_at_index=age_at_index,
        eligible=eligible,
        followed=eligible & (index + 365 <= as_of),
        treated=treated,
        y0=t_base <= index_after + 1.0,
        y1=t_mentored <= index_after + 1.0,
        first_job=right_to_work + (first_job_years * YEAR).astype(np.int64),
    )


def _persons_frame(ids: IntArray, people: _People, rights: _Rights) -> pl.DataFrame:
    persons = pl.DataFrame(
        {
            "person_id": ids,
            "sex": np.where(people.female, "F", "M"),
            "birth_date": _days(people.birth),
            "legal_status": people.status,
            "arrival_date": _days(people.arrival),
            "status_date": _days(rights.status_date),
            "registration_date": _days(rights.registration),
            "actiris_registration_date": _days(rights.actiris),
            "right_to_work_date": _days(rights.right_to_work),
            "language_fr": people.french.astype(np.int8),
            "language_nl": people.dutch.astype(np.int8),
            "language_en": people.english.astype(np.int8),
            "education_isced": people.education.astype(np.int8),
        }
    ).with_columns(
        pl.when(pl.col(c).dt.year() < 1971).then(None).otherwise(pl.col(c)).alias(c)
        for c in ("status_date", "registration_date", "actiris_registration_date")
    )
    return persons.cast(PERSONS_SCHEMA)  # type: ignore[arg-type]


def _truth_frame(
    ids: IntArray, motivation: FloatArray, motivation_covariate: FloatArray, jobs: _FirstJobs
) -> pl.DataFrame:
    """What the analyst does not see: motivation, mentoring's eligibility and take-up, and
    both potential outcomes."""
    return pl.DataFrame(
        {
            "person_id": ids,
            "motivation": motivation,
            "motivation_covariate": motivation_covariate,
            "eligible": jobs.eligible,
            "followed": jobs.followed,
            "treated": jobs.treated,
            "index_date": _days(jobs.index),
            "age_at_index": jobs.age_at_index,
            "y0": jobs.y0,
            "y1": jobs.y1,
            "outcome": np.where(jobs.treated, jobs.y1, jobs.y0),
        }
    )


def generate_cohort(parameters: CohortParameters | None = None) -> SyntheticCohort:
    """Draw a synthetic cohort (deterministic for a given seed)."""
    p = parameters or CohortParameters()
    rng = np.random.default_rng(p.seed)
    n = p.persons
    as_of = _day(p.as_of)
    people = _people(rng, p)
    rights = _rights(rng, p, people)
    jobs = _first_jobs(rng, p, people, rights, as_of)
    spells = _spells(rng, p, jobs)
    motivation = people.motivation
    motivation_covariate = (
        motivation
        if p.motivation == "observed"
        else motivation + p.proxy_noise * rng.standard_normal(n)
    )
    ids = np.arange(1, n + 1, dtype=np.int64)
    truth = _truth_frame(ids, motivation, motivation_covariate, jobs)
    events, programme_starts = _events(rng, ids, people, rights, jobs, spells, as_of)
    referrals = _referrals(rng, programme_starts, as_of)
    return SyntheticCohort(
        persons=_persons_frame(ids, people, rights),
        events=events,
        referrals=referrals,
        capacity=_capacity(referrals, as_of - 365),
        truth=truth,
        parameters=p,
    )


@dataclass(frozen=True)
class _Spells:
    """After the first job (days): its end, and for most a second job after a gap."""

    first_end: IntArray
    second_start: IntArray
    second_gets: BoolArray


def _spells(rng: np.random.Generator, p: CohortParameters, jobs: _FirstJobs) -> _Spells:
    n = p.persons
    spell = rng.exponential(p.job_spell_years * YEAR, n).astype(np.int64)
    first_end = jobs.first_job + spell
    second_start = first_end + rng.exponential(0.8 * YEAR, n).astype(np.int64)
    return _Spells(first_end, second_start, second_gets=rng.random(n) < 0.8)


def _events(
    rng: np.random.Generator,
    ids: IntArray,
    people: _People,
    rights: _Rights,
    jobs: _FirstJobs,
    spells: _Spells,
    as_of: int,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The events of the job spells and of the five programmes (`as_of` and before), and
    the programmes' starts (with their ends) for the referrals."""
    n = len(ids)
    parts: list[tuple[IntArray, IntArray, str, str | None]] = []

    def add(mask: BoolArray, dates: IntArray, kind: str, programme: str | None) -> None:
        keep = mask & (dates <= as_of) & (dates >= 0)
        parts.append((ids[keep], dates[keep], kind, programme))

    everyone = np.ones(n, dtype=np.bool_)
    add(everyone, jobs.first_job, "job_start", None)
    add(everyone, spells.first_end, "job_end", None)
    add(spells.second_gets, spells.second_start, "job_start", None)

    starts: list[pl.DataFrame] = []

    def programme(mask: BoolArray, start: IntArray, months: float, name: str) -> None:
        add(mask, start, "programme_start", name)
        end = start + int(months * 30.4)
        add(mask & (rng.random(n) < 0.85), end, "programme_end", name)
        keep = mask & (start <= as_of) & (start >= 0)
        starts.append(
            pl.DataFrame(
                {"person_id": ids[keep], "start": start[keep], "end": end[keep]},
                schema={"person_id": pl.Int64, "start": pl.Int64, "end": pl.Int64},
            ).with_columns(programme=pl.lit(name))
        )

    programme(jobs.treated, jobs.index, 6, MENTORING)
    integration = (people.status != "asylum_seeker") & (
        rng.random(n) < _logistic(0.2 + 0.5 * people.motivation)
    )
    programme(integration, rights.registration + rng.integers(30, 200, n), 12, INTEGRATION)
    support = (rights.actiris >= 0) & (rng.random(n) < 0.7)
    programme(support, rights.actiris + rng.integers(14, 120, n), 4, JOB_SUPPORT)
    internship = (people.english >= 4) & (rng.random(n) < 0.08)
    programme(internship, jobs.index + rng.integers(0, 300, n), 0.5, INTERNSHIP)
    recognition = (people.education >= 5) & (rng.random(n) < 0.3)
    programme(recognition, rights.registration + rng.integers(60, 400, n), 8, RECOGNITION)

    return _events_frame(parts), pl.concat(starts)


def _events_frame(parts: list[tuple[IntArray, IntArray, str, str | None]]) -> pl.DataFrame:
    """The events (persons, dates, kind, programme) as one frame, by person and date."""
    frames = [
        pl.DataFrame(
            {"person_id": who, "date": _days(when)},
            schema={"person_id": pl.Int64, "date": pl.Date},
        ).with_columns(
            kind=pl.lit(kind),
            programme=pl.lit(name, dtype=pl.String),
            organisation=pl.lit(PROGRAMME_ORGANISATION[name] if name else None, dtype=pl.String),
        )
        for who, when, kind, name in parts
    ]
    events = pl.concat(frames).cast(EVENTS_SCHEMA)  # type: ignore[arg-type]
    return events.sort("person_id", "date")


def _capacity(referrals: pl.DataFrame, day: int) -> pl.DataFrame:
    """Each programme's places: a margin over its participants on `day`."""
    on = pl.LazyFrame({"day": [EPOCH + dt.timedelta(days=day)]}, schema={"day": pl.Date})
    active = participants_on(referral_table(referrals), on).select("programme", active="count")
    return (
        pl.DataFrame({"programme": list(PROGRAMME_ORGANISATION)})
        .join(active.collect(), on="programme", how="left")
        .select(
            "programme",
            organisation=pl.col("programme").replace_strict(PROGRAMME_ORGANISATION),
            places=(pl.col("active").fill_null(0) * PLACES_MARGIN).ceil().cast(pl.Int64) + 1,
        )
        .cast(CAPACITY_SCHEMA)  # type: ignore[arg-type]
    )


def _referral_events(
    rid: IntArray,
    who: IntArray,
    src: npt.NDArray[np.str_],
    dst: npt.NDArray[np.str_],
    prog: npt.NDArray[np.str_],
    event: str,
    when: IntArray,
    reason: npt.NDArray[np.str_] | None = None,
    *,
    as_of: int,
) -> pl.DataFrame:
    """One event of each referral `rid`, dated `when`; those after `as_of` are left out."""
    return pl.DataFrame(
        {
            "referral_id": rid,
            "person_id": who,
            "from_organisation": src,
            "to_organisation": dst,
            "programme": prog,
            "event": [event] * len(rid),
            "date": _days(when),
            "reason": reason if reason is not None else [None] * len(rid),
        },
        schema=REFERRALS_SCHEMA,
    ).filter(pl.col("date") <= pl.lit(EPOCH + dt.timedelta(days=as_of)))


def _referrals(rng: np.random.Generator, starts: pl.DataFrame, as_of: int) -> pl.DataFrame:
    """Referral events: most programme starts follow an accepted referral; some referrals are
    rejected (with a reason). Dates count back from the start: sent, accepted, started."""
    referred = starts.filter(pl.Series(rng.random(starts.height) < 0.6))
    m = referred.height
    programme = referred["programme"].to_numpy()
    start = referred["start"].to_numpy()
    wait = np.where(programme == MENTORING, 75.0, 35.0)
    started_after = rng.exponential(wait, m).astype(np.int64)
    decided_after = rng.exponential(10.0, m).astype(np.int64)
    sent = start - started_after - decided_after
    accepted = start - started_after
    source = rng.choice(np.array(REFERRERS), m)
    target = referred["programme"].replace_strict(PROGRAMME_ORGANISATION).to_numpy()
    source = np.where(source == target, "cpas-bruxelles", source)
    ids = np.arange(1, m + 1, dtype=np.int64)
    person = referred["person_id"].to_numpy()

    # Rejected referrals, a quarter as many, for people drawn from the same starts.
    r = m // 4
    pick = rng.integers(0, max(m, 1), r)
    r_sent = sent[pick] - rng.integers(30, 200, r)
    r_ids = np.arange(m + 1, m + r + 1, dtype=np.int64)
    reasons = rng.choice(np.array(REJECTION_REASONS), r, p=[0.45, 0.3, 0.15, 0.1])

    frame = functools.partial(_referral_events, as_of=as_of)
    parts = [
        frame(ids, person, source, target, programme, "sent", sent),
        frame(ids, person, source, target, programme, "accepted", accepted),
        frame(ids, person, source, target, programme, "started", start),
        frame(ids, person, source, target, programme, "closed", referred["end"].to_numpy()),
        frame(
            r_ids,
            person[pick],
            source[pick],
            target[pick],
            programme[pick],
            "sent",
            r_sent,
        ),
        frame(
            r_ids,
            person[pick],
            source[pick],
            target[pick],
            programme[pick],
            "rejected",
            r_sent + rng.exponential(12.0, r).astype(np.int64),
            reasons,
        ),
    ]
    return pl.concat(parts).sort("referral_id", "date")
