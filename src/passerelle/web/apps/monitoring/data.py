"""Where the dashboards' figures come from, and the figures themselves (aggregates only).

`frames(scope)` returns the four input frames of the indicators engine (persons, events,
referral events, capacity; schemas in `passerelle.core.indicators.schema`) for a scope (the
sector, a partnership, an organisation; `selectors.scopes_for`): the platform's own records
(`platform_frames`), or, only where the setting PASSERELLE_DEMONSTRATION says this is a
demonstration, the synthetic cohort with known truth (SYNTHETIC DATA ONLY, never real
people), calibrated on the brief's figures. Computed figures are cached per process, keyed
by the source's version (`selectors.data_version`: any recorded change gives a new key, so
a figure is never stale). Every table is small-cell suppressed and perturbed by cell key
before it leaves this module.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from typing import Any

import polars as pl
from django.conf import settings

from passerelle.core.disclosure import MODULUS, perturb_frame, with_record_keys
from passerelle.core.evaluation.estimators import (
    Evaluation,
    EvaluationInputError,
    evaluate_programme,
)
from passerelle.core.evaluation.synthetic import (
    ACTIRIS_REFERENCE_DATE,
    PROTECTED,
    CohortParameters,
    SyntheticCohort,
    generate_cohort,
)
from passerelle.core.indicators import (
    employment_on,
    employment_rate,
    funder_report,
    parse_period,
    pool,
    programme_outcomes,
    referral_flows,
    suppress_small_cells,
    time_to_first_job,
)
from passerelle.core.indicators.aggregates import (
    dashboard_from_cells,
    funder_report_from_cells,
    persons_of,
    start_events,
)
from passerelle.core.indicators.platform import (
    EVALUATION_COVARIATES,
    evaluation_sample,
    restrict,
)
from passerelle.web.apps.monitoring import aggregates, selectors, versions
from passerelle.web.apps.monitoring.aggregates import cell_key_secret as cell_key_secret
from passerelle.web.apps.monitoring.selectors import SECTOR, Scope

COHORTS = (2010, 2012, 2015, 2016, 2018)
"""Registration cohorts drawn on the dashboard (2010: the Socio-economic Monitoring's)."""
REFERENCE_FIGURES = (
    ("cohort_2010_in_2011", 0.11),
    ("cohort_2010_in_2014", 0.33),
    ("actiris_2015_2016", 1636 / 5265),
)
"""The brief's published figures the synthetic cohort is calibrated on (docs/indicators.md):
the 2010 cohort's employment rate at the end of 2011 and 2014 (Socio-economic Monitoring
2017), and the refugees registered with Actiris in 2015-2016 (Actiris, 1 636 of 5 265)."""
MILESTONES = (6, 12, 24, 36, 60, 120)
"""Months since the right to work at which the time-to-first-job table reads the curves."""


@dataclass(frozen=True)
class Frames:
    persons: pl.DataFrame
    events: pl.DataFrame
    referrals: pl.DataFrame
    capacity: pl.DataFrame
    as_of: dt.date
    synthetic: bool


def synthetic_persons() -> int:
    return int(settings.MONITORING_SYNTHETIC_PERSONS)


def synthetic_seed() -> int:
    return int(settings.MONITORING_SYNTHETIC_SEED)


def threshold() -> int:
    return int(settings.MONITORING_THRESHOLD)


def bootstrap() -> int:
    return int(settings.MONITORING_BOOTSTRAP)


@functools.lru_cache(maxsize=8)
def synthetic_cohort(persons: int, seed: int, motivation: str = "unobserved") -> SyntheticCohort:
    return generate_cohort(
        CohortParameters(persons=persons, seed=seed, motivation=motivation)  # type: ignore[arg-type]
    )


def demonstration() -> bool:
    """True where the settings say this is a demonstration: the figures then come from the
    synthetic cohort, and every page and export says so. Production refuses it
    (`checks.py`)."""
    return bool(settings.PASSERELLE_DEMONSTRATION)


def cohort_shown() -> bool:
    """True where the figures come from the synthetic cohort: in a demonstration, unless
    the setting MONITORING_DEMONSTRATION_RECORDS says to show the platform's records (the
    synthetic activity that `passerelle demo-activity` recorded through the services, as
    `make demo` does). Either way a demonstration says on every page and export that its
    figures are synthetic."""
    return demonstration() and not settings.MONITORING_DEMONSTRATION_RECORDS


def platform_frames(scope: Scope = SECTOR) -> Frames:
    """The platform's own records (`selectors`) as the engine's frames, restricted to what
    the scope's organisations may count (the sector: everything)."""
    records = selectors.platform_records()
    if scope.kind == "sector":
        return Frames(
            records.persons,
            records.events,
            records.referrals,
            records.capacity,
            records.as_of,
            synthetic=False,
        )
    part = restrict(
        records.persons,
        records.holders,
        records.events,
        records.referrals,
        records.capacity,
        scope.organisations,
    )
    return Frames(
        part.persons, part.events, part.referrals, part.capacity, records.as_of, synthetic=False
    )


def frames(scope: Scope = SECTOR) -> Frames:
    """The scope's frames: the synthetic cohort where `cohort_shown`, otherwise the
    platform's records (empty frames while nothing is recorded)."""
    if not cohort_shown():
        return platform_frames(scope)
    cohort = synthetic_cohort(synthetic_persons(), synthetic_seed())
    if scope.kind != "sector":
        part = restrict(
            cohort.persons,
            pl.DataFrame(schema=selectors.HOLDERS_SCHEMA),
            cohort.events,
            cohort.referrals,
            cohort.capacity,
            scope.organisations,
        )
        return Frames(
            part.persons,
            part.events,
            part.referrals,
            part.capacity,
            cohort.parameters.as_of,
            synthetic=True,
        )
    return Frames(
        cohort.persons,
        cohort.events,
        cohort.referrals,
        cohort.capacity,
        cohort.parameters.as_of,
        synthetic=True,
    )


Key = tuple[Any, ...]


def _key(scope: Scope = SECTOR) -> Key:
    """What the cached figures depend on: the source (the synthetic cohort's parameters, or
    the platform's `data_version`, which changes with every recorded change), the scope and
    the threshold. Figures are never stale: a new referral event gives a new key."""
    source: tuple[Any, ...] = (
        ("synthetic", synthetic_persons(), synthetic_seed())
        if cohort_shown()
        else ("platform", *selectors.data_version())
    )
    return (*source, scope, threshold())


def aggregates_on() -> bool:
    """Whether figures on the platform's records come from the aggregates (the setting
    MONITORING_AGGREGATES, on by default; the benchmark turns it off to time the full
    computation)."""
    return bool(settings.MONITORING_AGGREGATES) and not cohort_shown()


def aggregates_key(scope: Scope) -> Key | None:
    """The key of figures computed from the aggregates (their state's version, day and the
    scope), or None where they cannot be used: the demonstration's cohort, the setting off,
    aggregates not built for today's state (a rebuild is then queued, and the figures are
    computed in full meanwhile), or more changes pending than a view takes in (the applier
    is queued)."""
    if not aggregates_on():
        return None
    if aggregates.usable() is None:
        aggregates_rebuild_soon()
        return None
    # Every change committed so far taken in first: the figures are never stale.
    state = aggregates.current()
    if state is None:
        return None
    # And when they were built: a version number alone repeats after a new build.
    return ("aggregates", (state.version, state.built_at), state.as_of, scope, threshold())


def aggregates_rebuild_soon() -> None:
    """Queue one rebuild of the aggregates for the current state (once per state: a day, a
    linkage run, a set of partnerships)."""
    from passerelle.web.apps.monitoring.tasks import aggregates_rebuild_task
    from passerelle.web.apps.ops.queue import enqueue

    enqueue(aggregates_rebuild_task, key=f"aggregates-rebuild:{aggregates.state_digest()}")


@functools.lru_cache(maxsize=16)
def _dashboard_raw_from_aggregates(key: Key) -> dict[str, pl.DataFrame]:
    return dashboard_from_cells(aggregates.totals(key[-2].key, aggregates.DASHBOARD_FAMILIES))


@functools.lru_cache(maxsize=16)
def _dashboard_from_aggregates(key: Key) -> dict[str, pl.DataFrame]:
    return _published(_dashboard_raw_from_aggregates(key), key[-1])


def dashboard_tables(scope: Scope = SECTOR) -> dict[str, pl.DataFrame]:
    """The dashboard's tables, suppressed and perturbed (see `_published`): from the
    aggregates where they hold today's figures, else computed from every record."""
    key = aggregates_key(scope)
    if key is not None:
        return _dashboard_from_aggregates(key)
    return _dashboard_tables(_key(scope), cell_key_secret())


@dataclass(frozen=True)
class Summary:
    """What a page says of its source: the day of the data, the persons counted, whether
    they are the synthetic cohort."""

    as_of: dt.date
    persons: int
    synthetic: bool


def summary(scope: Scope = SECTOR) -> Summary:
    key = aggregates_key(scope)
    if key is not None:
        cells = aggregates.totals(scope.key, ("persons",))
        return Summary(key[2], persons_of(cells), synthetic=False)
    source = frames(scope)
    return Summary(source.as_of, source.persons.height, source.synthetic)


def programme_starts(scope: Scope = SECTOR) -> dict[str, int]:
    """Programme starts recorded in the scope, per programme (every start)."""
    key = aggregates_key(scope)
    if key is not None:
        return start_events(aggregates.totals(scope.key, ("starts",)))
    starts = frames(scope).events.filter(pl.col("kind") == "programme_start")
    counts = starts.group_by("programme").len()
    return dict(zip(counts["programme"].to_list(), counts["len"].to_list(), strict=True))


def funder_report_of(scope: Scope, programme: str, period: str) -> pl.DataFrame:
    """The funder report (`core.indicators.funder_report`), from the aggregates where
    they hold today's figures, else computed from every record."""
    key = aggregates_key(scope)
    if key is not None:
        return _report_from_aggregates(key, programme, period)
    return _report(_key(scope), programme, period)


@functools.lru_cache(maxsize=32)
def _report(key: Key, programme: str, period: str) -> pl.DataFrame:
    source = frames(key[-2])
    return funder_report(
        source.events,
        source.referrals,
        programme,
        parse_period(period),
        threshold=key[-1],
        secret=cell_key_secret(),
    )


@functools.lru_cache(maxsize=32)
def _report_from_aggregates(key: Key, programme: str, period: str) -> pl.DataFrame:
    scope = key[-2].key
    cells = pl.concat(
        [
            aggregates.totals(scope, aggregates.REPORT_FAMILIES, part=programme),
            aggregates.totals(scope, ("report_referrals", "last_day")),
        ]
    )
    return funder_report_from_cells(
        cells, programme, period, threshold=key[-1], secret=cell_key_secret()
    )


def _publish(
    frame: pl.DataFrame,
    cells: int,
    counts: tuple[str, ...],
    rates: tuple[tuple[str, str, str], ...] = (),
) -> pl.DataFrame:
    """Small cells withheld on the true counts, then every count perturbed by its cell key
    (`<count>_key`, `core.disclosure`) and the rates recomputed from the perturbed counts."""
    suppressed = suppress_small_cells(frame, cells, counts=list(counts))
    return perturb_frame(
        suppressed, {name: f"{name}_key" for name in counts}, threshold=cells, rates=rates
    )


@functools.lru_cache(maxsize=16)
def _dashboard_tables(key: Key, secret: bytes) -> dict[str, pl.DataFrame]:
    """The dashboard's tables computed from every record of the scope (`_published`)."""
    scope, cells = key[-2], key[-1]
    data = frames(scope)
    keyed_persons = with_record_keys(data.persons.lazy(), "person_id", secret).collect()
    keyed_events = with_record_keys(data.events.lazy(), "person_id", secret).collect()
    keyed_referrals = with_record_keys(data.referrals.lazy(), "referral_id", secret).collect()
    complete = (data.as_of.month, data.as_of.day) == (12, 31) or not data.synthetic
    last = data.as_of.year if complete else data.as_of.year - 1
    raw = {
        "cohorts": employment_rate(
            keyed_persons,
            data.events,
            range(COHORTS[0] + 1, last + 1),
            cohort="registration",
            statuses=list(PROTECTED),
            cohorts=COHORTS,
        ),
        "km": time_to_first_job(keyed_persons, data.events, data.as_of, by=["legal_status"]),
        "outcomes": programme_outcomes(keyed_events, data.as_of, by_year=False),
        "flows": referral_flows(keyed_referrals, parse_period(str(last))),
        "actiris": pool(
            employment_on(
                keyed_persons,
                data.events,
                ACTIRIS_REFERENCE_DATE,
                cohort="actiris_registration",
                statuses=list(PROTECTED),
            ).filter(pl.col("cohort").is_in([2015, 2016])),
            [],
        ),
    }
    return _published(raw, cells)


def _published(raw: dict[str, pl.DataFrame], cells: int) -> dict[str, pl.DataFrame]:
    """Five tables, each with its counts and denominators, cells under `cells` withheld and
    the other counts perturbed by cell key (persons keyed by `person_id`, referrals by
    `referral_id`; docs/indicators.md "Differencing"), from the raw tables (the full
    computation's or the aggregates', `core.indicators.aggregates.dashboard_from_cells`):

    - `cohorts`: employment of refugees and protected persons aged 18-64 by national-register
      cohort and years since, on 31 December of each year (the Socio-economic Monitoring);
    - `first_job`: Kaplan-Meier share with a first job, months after the right to work, by
      status, read at `MILESTONES` (`events` so far, `persons` of the group, `at_risk`);
    - `outcomes`: programme outcomes at 6 and 12 months;
    - `flows`: referrals between organisations in the last year of the data (the
      synthetic cohort's last complete year; on the platform's records, the current year)."""
    cohorts = raw["cohorts"].select(
        "cohort",
        "years_since",
        year=pl.col("on").dt.year(),
        count="count",
        denominator="denominator",
        rate="rate",
        count_key="count_key",
        denominator_key="denominator_key",
    )
    first_job = _first_job(raw["km"])
    outcomes = raw["outcomes"].drop("follow_up_incomplete")
    reference = _reference(cohorts, raw["actiris"])
    rate = (("rate", "count", "denominator"),)
    return {
        "reference": _publish(reference, cells, ("count", "denominator"), rate),
        "cohorts": _publish(cohorts, cells, ("count", "denominator"), rate),
        # share_employed is the Kaplan-Meier estimate, not a ratio of the counts beside it
        "first_job": _publish(first_job, cells, ("events", "persons", "at_risk")),
        "outcomes": _publish(
            outcomes,
            cells,
            ("participants", "employed", "found_job"),
            (
                ("employed_rate", "employed", "participants"),
                ("found_job_rate", "found_job", "participants"),
            ),
        ),
        "flows": _withhold_sender_totals(
            _publish(
                raw["flows"],
                cells,
                ("count", "denominator", "accepted"),
                (("share", "count", "denominator"),),
            )
        ),
    }


def _reference(cohorts: pl.DataFrame, actiris: pl.DataFrame) -> pl.DataFrame:
    """The brief's published figures beside these data's (`REFERENCE_FIGURES`)."""
    by_year = {int(row["year"]): row for row in cohorts.filter(pl.col("cohort") == 2010).to_dicts()}
    computed = [by_year.get(2011), by_year.get(2014), actiris.row(0, named=True)]
    reference = pl.DataFrame(
        [
            {
                "figure": name,
                "published_rate": published,
                "count": row["count"] if row else 0,
                "denominator": row["denominator"] if row else 0,
                "rate": row["rate"] if row else None,
                "count_key": row["count_key"] if row else 0,
                "denominator_key": row["denominator_key"] if row else 0,
            }
            for (name, published), row in zip(REFERENCE_FIGURES, computed, strict=True)
        ],
        schema={
            "figure": pl.String,
            "published_rate": pl.Float64,
            "count": pl.Int64,
            "denominator": pl.Int64,
            "rate": pl.Float64,
            "count_key": pl.Int64,
            "denominator_key": pl.Int64,
        },
    )
    return reference


def _first_job(curves: pl.DataFrame) -> pl.DataFrame:
    """The Kaplan-Meier curves by status read at `MILESTONES`, with their cell keys."""
    rows = []
    for (status,), curve in sorted(curves.partition_by("legal_status", as_dict=True).items()):
        curve = curve.sort("time")
        for months in MILESTONES:
            upto = curve.filter(pl.col("time") <= months)
            after = curve.filter(pl.col("time") > months)
            rows.append(
                {
                    "legal_status": status,
                    "months": months,
                    "events": int(upto["events"].sum()),
                    "persons": int(curve["at_risk"][0]),
                    "at_risk": int(after["at_risk"][0]) if after.height else 0,
                    "share_employed": float(upto["cumulative"][-1]) if upto.height else 0.0,
                    "events_key": int(upto["events_key"].sum()) % MODULUS,
                    "persons_key": int(curve["removed_key"].sum()) % MODULUS,
                    "at_risk_key": int(after["removed_key"].sum()) % MODULUS,
                }
            )
    return pl.DataFrame(
        rows,
        schema={
            "legal_status": pl.String,
            "months": pl.Int64,
            "events": pl.Int64,
            "persons": pl.Int64,
            "at_risk": pl.Int64,
            "share_employed": pl.Float64,
            "events_key": pl.Int64,
            "persons_key": pl.Int64,
            "at_risk_key": pl.Int64,
        },
    )


def _withhold_sender_totals(flows: pl.DataFrame) -> pl.DataFrame:
    """Complementary suppression: a withheld flow would be the sender's total minus its
    other flows, so a sender with a withheld flow shows neither its total (`denominator`)
    nor the shares computed from it."""
    hidden = pl.col("suppressed").any().over("from_organisation")
    return flows.with_columns(
        [pl.when(hidden).then(None).otherwise(pl.col(c)).alias(c) for c in ("denominator", "share")]
    )


def km_curves(scope: Scope = SECTOR) -> pl.DataFrame:
    """The Kaplan-Meier curves by status for the chart, cut where fewer than the threshold
    remain at risk."""
    key = aggregates_key(scope)
    if key is not None:
        curves = _dashboard_raw_from_aggregates(key)["km"]
        return curves.filter(pl.col("at_risk") >= key[-1]).select(
            "legal_status", "time", "cumulative"
        )
    return _km_curves(_key(scope))


@functools.lru_cache(maxsize=16)
def _km_curves(key: Key) -> pl.DataFrame:
    scope, cells = key[-2], key[-1]
    data = frames(scope)
    curves = time_to_first_job(data.persons, data.events, data.as_of, by=["legal_status"])
    return curves.filter(pl.col("at_risk") >= cells).select("legal_status", "time", "cumulative")


@dataclass(frozen=True)
class EvaluationResult:
    evaluation: Evaluation
    true_ate: float
    true_att: float
    persons: int
    treated: int
    motivation: str


@functools.lru_cache(maxsize=6)
def _evaluation(persons: int, seed: int, motivation: str, resamples: int) -> EvaluationResult:
    cohort = synthetic_cohort(persons, seed, motivation)
    sample = cohort.evaluation_sample()
    treated = sample.filter(pl.col("treated") == 1)
    effect = (pl.col("y1") - pl.col("y0")).cast(pl.Float64)
    return EvaluationResult(
        evaluation=evaluate_programme(sample, n_bootstrap=resamples, seed=seed),
        true_ate=float(sample.select(effect.mean()).item()),
        true_att=float(treated.select(effect.mean()).item()),
        persons=sample.height,
        treated=treated.height,
        motivation=motivation,
    )


def mentoring_evaluation(motivation: str) -> EvaluationResult:
    """Mentoring's effect on a job within 12 months, four ways, on the synthetic cohort
    whose true effect is known (cached per process)."""
    return _evaluation(synthetic_persons(), synthetic_seed(), motivation, bootstrap())


MINIMUM_GROUP = 20
"""Participants and comparison persons an evaluation on the platform's records needs, each:
fewer give intervals too wide to read and groups small enough to single people out."""


@dataclass(frozen=True)
class PlatformEvaluation:
    programme: str
    sample: int
    treated: int
    controls: int
    evaluation: Evaluation | None
    """None while either group is under MINIMUM_GROUP, or when the records cannot be
    compared (`refused`)."""
    refused: str = ""
    """Why the estimators refused the records (for example a perfect separation), in
    English as the estimators say it."""
    reason: str = ""
    """The same for a reader: a message id to translate (`EvaluationInputError.reason`),
    empty when the estimators gave none (the page then shows `refused`)."""
    reason_params: tuple[tuple[str, str], ...] = ()


def platform_evaluation(scope: Scope, programme: str) -> PlatformEvaluation:
    """The programme's effect on a job within 12 months on the platform's records of the
    scope (`core.indicators.platform.evaluation_sample`; `core.evaluation`'s estimators),
    cached by the records' version."""
    return _platform_evaluation(_key(scope), programme, bootstrap())


@functools.lru_cache(maxsize=16)
def _platform_evaluation(key: Key, programme: str, resamples: int) -> PlatformEvaluation:
    source = frames(key[-2])
    # The platform's files as they were on each index date (their versions); the synthetic
    # cohort's covariates do not change.
    sample_of = evaluation_sample if source.synthetic else versions.evaluation_sample_on_index
    sample = sample_of(source.persons, source.events, source.referrals, programme, source.as_of)
    treated = int(sample["treated"].sum())
    controls = sample.height - treated
    if min(treated, controls) < MINIMUM_GROUP:
        return PlatformEvaluation(programme, sample.height, treated, controls, None)
    try:
        result = evaluate_programme(
            sample.drop("person_id"),
            covariates=list(EVALUATION_COVARIATES),
            n_bootstrap=resamples,
            seed=0,
        )
    except EvaluationInputError as error:
        return PlatformEvaluation(
            programme,
            sample.height,
            treated,
            controls,
            None,
            refused=str(error),
            reason=error.reason,
            reason_params=tuple(sorted(error.params.items())),
        )
    return PlatformEvaluation(programme, sample.height, treated, controls, result)
