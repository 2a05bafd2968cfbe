"""A monthly microsimulation of individual newcomers (synthetic agents, no real person).

Struct of arrays: one numpy array per attribute, one element per agent, and every monthly
step is a handful of whole-array operations (no Python loop over agents). Agents are sorted
by arrival month, so the agents present in month t are a prefix of the arrays.

Each month (on its first day):
1. legal status: asylum seeker until the decision month, then refugee, subsidiary
   protection or no permit (refused: they leave the population studied);
2. the right to work, read from the rules engine's tables (`rules_tables`);
3. jobs end (monthly separation rate; or when the right to work ends);
4. programmes end: language, diploma recognition, mentoring and internship effects, and
   employer placements;
5. the newly idle are referred (Brussels residents) to the next programme group they want
   and may join, informally (by age and language, as the seed article describes) or
   through coordinated routing (to the alternative with room);
6. waiting lists are admitted within each programme's places (first come, or easiest cases
   first when subsidies count dossiers);
7. job finding: a cumulative-hazard clock per agent (an exponential threshold drawn once per
   spell), with a hazard that depends on the right to work, language (growing with time
   and language programmes), diploma recognition, programmes followed and time.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from passerelle.core.landscape import organisation_status_on
from passerelle.core.simulation.config import (
    Assumptions,
    CapacityChange,
    ProgrammeAssumption,
    Scenario,
    Settings,
    SimulationConfigError,
)
from passerelle.core.simulation.rules_tables import (
    PATHWAY,
    PATHWAY_YEARS,
    RuleTables,
    add_months,
    apply_parameter_changes,
    build_rule_tables,
)
from passerelle.knowledge.loader import Knowledge

ARRIVALS_PARAMETER = "statistics.asylum_applications_per_year"
REFUGEE, SUBSIDIARY, NO_PERMIT = 1, 2, 3
OBLIGED = PATHWAY.index("obliged")
NOT_ELIGIBLE = PATHWAY.index("not_eligible")

Floats = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Probe:
    """Employment of a fixed group of agents at given months (for calibration)."""

    name: str
    decided_from: int
    decided_to: int
    """Protected persons whose decision month is in [decided_from, decided_to)."""
    months: tuple[int, ...]
    brussels_only: bool = False
    ever_employed: bool = False
    """Count those who had a job at any time (else: employed in the month)."""


@dataclass(frozen=True)
class Prepared:
    """Everything a run needs that does not depend on the seed (shared by replications)."""

    assumptions: Assumptions
    scenario: Scenario
    start: dt.date
    months: int
    tables: RuleTables
    arrivals_per_month: Floats
    """Expected asylum applications in Belgium per month (people)."""
    starts_per_month: Floats
    """[programme, month]: places (starts) for the simulated newcomers, people per month."""
    programme_keys: tuple[str, ...]
    groups: tuple[str, ...]
    probes: tuple[Probe, ...] = ()

    def month_date(self, t: int) -> dt.date:
        return add_months(self.start, t)


def arrivals_per_month(
    knowledge: Knowledge, assumptions: Assumptions, start: dt.date, months: int
) -> Floats:
    """Applications per month: the knowledge base's yearly figures where there is one, the
    assumption otherwise, spread evenly over the months of the year."""
    parameter = knowledge.parameters[ARRIVALS_PARAMETER]
    out = np.empty(months)
    for t in range(months):
        value = parameter.value_on(add_months(start, t))
        yearly = value.value if value is not None else None
        per_year = (
            float(yearly)
            if isinstance(yearly, int | float) and not isinstance(yearly, bool)
            else assumptions.applications_per_year_default
        )
        out[t] = per_year / 12
    return out


def _capacity_changes(scenario: Scenario, key: str, on: dt.date) -> list[CapacityChange]:
    return [
        change
        for change in scenario.capacities
        if change.programme == key
        and change.valid_from <= on
        and (change.valid_to is None or on < change.valid_to)
    ]


def programme_starts(
    knowledge: Knowledge,
    assumptions: Assumptions,
    scenario: Scenario,
    start: dt.date,
    months: int,
) -> Floats:
    """Places per month for the simulated newcomers, from the landscape: a programme runs on
    a date when one of its knowledge-base programmes is in force and its organisation is
    operating; its yearly capacity is the knowledge base's (people a year) where recorded,
    the assumption otherwise; times the newcomers' share; then the scenario's changes."""
    out = np.zeros((len(assumptions.programmes), months))
    for p, programme in enumerate(assumptions.programmes):
        for t in range(months):
            on = add_months(start, t)
            out[p, t] = _starts_on(knowledge, programme, scenario, on)
    return out


def _starts_on(
    knowledge: Knowledge, programme: ProgrammeAssumption, scenario: Scenario, on: dt.date
) -> float:
    operating = False
    recorded = 0.0
    for programme_id in programme.knowledge_programmes:
        version = knowledge.programme_on(programme_id, on)
        if version is None:
            continue
        organisation = knowledge.organisations[version.organisation]
        if not organisation_status_on(organisation, on).operating:
            continue
        operating = True
        capacity = version.capacity
        if capacity is not None and capacity.unit == "people" and capacity.per == "year":
            recorded += capacity.value
    per_year = recorded or programme.per_year
    for change in _capacity_changes(scenario, programme.key, on):
        if change.operating is not None:
            operating = change.operating
        if change.per_year is not None:
            per_year = change.per_year
        if change.factor is not None:
            per_year *= change.factor
    return per_year * programme.share_for_newcomers / 12 if operating else 0.0


CALIBRATION_PROBES = (
    Probe("cohort_2010", 0, 12, (23, 59)),
    Probe("actiris_2015_2016", 36, 84, (88,), brussels_only=True, ever_employed=True),
)
"""The 2010 cohort in December 2011 and 2014; protected persons living in Brussels and
granted protection from 2013 to 2016 (the job seekers Actiris had registered in 2015-2016
include earlier years), employed at some time by May 2017 (month indices from 2010-01)."""


def prepare(
    knowledge: Knowledge,
    assumptions: Assumptions,
    scenario: Scenario,
    months: int | None = None,
    start: dt.date | None = None,
    probes: Sequence[Probe] = CALIBRATION_PROBES,
    tables: RuleTables | None = None,
) -> Prepared:
    """Apply the scenario to the knowledge base, ask the rules engine for its tables and
    compute arrivals and places. `tables` may be passed when the scenario changes no
    parameter and the tables of another run can be shared."""
    start = start or assumptions.start
    months = months or assumptions.months
    scenario_knowledge = apply_parameter_changes(knowledge, scenario.parameters)
    if tables is None or scenario.parameters:
        tables = build_rule_tables(scenario_knowledge, start, months)
    keys = tuple(p.key for p in assumptions.programmes)
    for index, change in enumerate(scenario.capacities):
        if change.programme not in keys:
            raise SimulationConfigError(
                [
                    f"capacities[{index}].programme: unknown programme {change.programme!r}; "
                    f"allowed: {', '.join(keys)}"
                ]
            )
    groups = tuple(dict.fromkeys(p.group for p in assumptions.programmes))
    return Prepared(
        assumptions=assumptions,
        scenario=scenario,
        start=start,
        months=months,
        tables=tables,
        arrivals_per_month=arrivals_per_month(scenario_knowledge, assumptions, start, months),
        starts_per_month=programme_starts(scenario_knowledge, assumptions, scenario, start, months),
        programme_keys=keys,
        groups=groups,
        probes=tuple(p for p in probes if max(p.months) < months),
    )


@dataclass
class Population:
    """The agents, one array per attribute (struct of arrays)."""

    arrival: npt.NDArray[np.int16]
    decision: npt.NDArray[np.int16]
    outcome: npt.NDArray[np.int8]
    brussels: npt.NDArray[np.bool_]
    age: npt.NDArray[np.int8]
    """Age at arrival."""
    foreign_diploma: npt.NDArray[np.bool_]
    english: npt.NDArray[np.bool_]
    ease: npt.NDArray[np.float32]
    """How easy a case is (0..1): language and education at arrival."""
    route: npt.NDArray[np.float32]
    """A uniform draw used by informal routing between alternatives."""
    wants: npt.NDArray[np.uint8]
    """Programme groups the person would join (bit per group)."""
    done: npt.NDArray[np.uint8]
    multiplier: npt.NDArray[np.float32]
    """Static part of the job-finding hazard: language at arrival, programmes followed,
    diploma recognition."""
    employed: npt.NDArray[np.bool_]
    first_job: npt.NDArray[np.int16]
    job_end: npt.NDArray[np.int16]
    clock: npt.NDArray[np.float32]
    threshold: npt.NDArray[np.float32]
    programme: npt.NDArray[np.int8]
    programme_end: npt.NDArray[np.int16]
    waiting: npt.NDArray[np.int8]
    waiting_since: npt.NDArray[np.int16]
    mentoring_start: npt.NDArray[np.int16]
    present_until: npt.NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, np.int64))
    """Number of agents arrived by the end of each month."""

    @property
    def size(self) -> int:
        return int(self.arrival.shape[0])


def generate_population(prepared: Prepared, persons: int, rng: np.random.Generator) -> Population:
    """Synthetic newcomers: arrival months in proportion to applications, then attributes
    drawn from the assumptions (no real data)."""
    a = prepared.assumptions
    months = prepared.months
    weights = prepared.arrivals_per_month / prepared.arrivals_per_month.sum()
    counts = rng.multinomial(persons, weights)
    arrival = np.repeat(np.arange(months, dtype=np.int16), counts)
    delay = rng.geometric(1 / a.decision_months_mean, size=persons).astype(np.int16)
    decision = (arrival + np.minimum(delay, 32000 - months)).astype(np.int16)
    shares = a.outcome_shares
    outcome = rng.choice(
        np.array([REFUGEE, SUBSIDIARY, NO_PERMIT], dtype=np.int8),
        size=persons,
        p=[shares["refugee"], shares["subsidiary_protection"], shares["no_permit"]],
    )
    brussels = rng.random(persons, dtype=np.float32) < a.brussels_share
    age = np.minimum(18 + rng.exponential(a.age_mean_over_18, persons), 64).astype(np.int8)
    diploma = rng.random(persons, dtype=np.float32) < a.higher_education_share
    english = rng.random(persons, dtype=np.float32) < a.english_share
    language = rng.beta(*a.language_at_arrival_beta, size=persons).astype(np.float32)
    ease = (0.5 * language + 0.5 * diploma).astype(np.float32)
    wants = np.zeros(persons, dtype=np.uint8)
    for g, group in enumerate(prepared.groups):
        members = [p for p in a.programmes if p.group == group]
        uptake = members[0].uptake
        wanted = rng.random(persons, dtype=np.float32) < uptake
        if any(p.needs_foreign_diploma for p in members):
            wanted &= diploma
        if any(p.needs_english_and_education for p in members):
            wanted &= english & diploma
        wants |= wanted.astype(np.uint8) << np.uint8(g)
    multiplier = np.exp(np.float32(a.language_effect) * language).astype(np.float32)
    present_until = np.cumsum(counts)
    minus_one = np.full(persons, -1, dtype=np.int16)
    return Population(
        arrival=arrival,
        decision=decision,
        outcome=outcome,
        brussels=brussels,
        age=age,
        foreign_diploma=diploma,
        english=english,
        ease=ease,
        route=rng.random(persons, dtype=np.float32),
        wants=wants,
        done=np.zeros(persons, dtype=np.uint8),
        multiplier=multiplier,
        employed=np.zeros(persons, dtype=bool),
        first_job=minus_one.copy(),
        job_end=minus_one.copy(),
        clock=np.zeros(persons, dtype=np.float32),
        threshold=rng.exponential(1.0, persons).astype(np.float32),
        programme=np.full(persons, -1, dtype=np.int8),
        programme_end=minus_one.copy(),
        waiting=np.full(persons, -1, dtype=np.int8),
        waiting_since=minus_one.copy(),
        mentoring_start=minus_one.copy(),
        present_until=present_until,
    )


@dataclass(frozen=True)
class RunResult:
    """Monthly outputs of one run, in people (agents times the people each represents)."""

    months: int
    scale: float
    """People represented by one agent."""
    present: Floats
    """Asylum seekers and protected persons present (refused applicants leave)."""
    employed: Floats
    protected: Floats
    protected_employed: Floats
    waiting: Floats
    """[programme, month] people on a waiting list at the end of the month."""
    in_programme: Floats
    """[programme, month] places used."""
    starts: Floats
    first_jobs: Floats
    months_to_first_job: Floats
    """Mean months from the application to the first job, for first jobs of the month."""
    probes: Mapping[str, float]
    mentees_in_job_within_a_year: float

    @property
    def employment_rate(self) -> Floats:
        return np.divide(
            self.employed, self.present, out=np.zeros_like(self.employed), where=self.present > 0
        )


def run(prepared: Prepared, persons: int, seed: int | np.random.SeedSequence) -> RunResult:
    """One replication. The same seed gives the same result."""
    rng = np.random.default_rng(seed)
    population = generate_population(prepared, persons, rng)
    return _simulate(prepared, population, rng)


def right_to_work_codes(
    prepared: Prepared, population: Population, t: int, count: int | None = None
) -> npt.NDArray[np.int8]:
    """The right to work of the first `count` agents in month t (codes of
    `rules_tables.RIGHT_TO_WORK`), read from the rules engine's tables."""
    n = population.size if count is None else count
    status = _status(population, t, n)
    since = np.minimum(t - population.arrival[:n], prepared.tables.months_cap)
    since = np.maximum(since, 0)
    table = prepared.tables.right_to_work[t]
    return np.asarray(table[status, since], dtype=np.int8)


def _status(population: Population, t: int, n: int) -> npt.NDArray[np.int8]:
    decided = population.decision[:n] <= t
    return population.outcome[:n] * decided


@dataclass(frozen=True)
class _Programmes:
    """The scenario's programmes as arrays by programme index, for the monthly loop."""

    count: int
    group_of: npt.NDArray[np.intp]
    mentoring: int
    """The index of the mentoring group, -1 without one."""
    effect: npt.NDArray[np.float32]
    language_boost: npt.NDArray[np.float32]
    duration: npt.NDArray[np.int16]
    is_recognition: npt.NDArray[np.bool_]
    is_placement: npt.NDArray[np.bool_]

    @classmethod
    def of(cls, prepared: Prepared) -> _Programmes:
        a = prepared.assumptions
        programmes = a.programmes
        return cls(
            count=len(programmes),
            group_of=np.array([prepared.groups.index(p.group) for p in programmes]),
            mentoring=(
                prepared.groups.index("mentoring") if "mentoring" in prepared.groups else -1
            ),
            effect=np.array(
                [p.employment_effect * a.calibrated.programme_effect_scale for p in programmes],
                dtype=np.float32,
            ),
            language_boost=np.array(
                [math.exp(a.language_effect * p.language_gain) for p in programmes],
                dtype=np.float32,
            ),
            duration=np.array([p.duration_months for p in programmes], dtype=np.int16),
            is_recognition=np.array([p.recognition for p in programmes], dtype=bool),
            is_placement=np.array([p.placement for p in programmes], dtype=bool),
        )


@dataclass
class _Outputs:
    """What a replication records month by month (in persons: agents times `scale`)."""

    months: int
    count: int
    scale: float
    present: Floats = field(init=False)
    employed: Floats = field(init=False)
    protected: Floats = field(init=False)
    protected_employed: Floats = field(init=False)
    waiting: Floats = field(init=False)
    in_programme: Floats = field(init=False)
    starts: Floats = field(init=False)
    first_jobs: Floats = field(init=False)
    months_to_first: Floats = field(init=False)
    probes: dict[str, float] = field(default_factory=dict)
    mentees: int = 0
    mentees_in_job: int = 0

    def __post_init__(self) -> None:
        months, count = self.months, self.count
        self.present = np.zeros(months)
        self.employed = np.zeros(months)
        self.protected = np.zeros(months)
        self.protected_employed = np.zeros(months)
        self.waiting = np.zeros((count, months))
        self.in_programme = np.zeros((count, months))
        self.starts = np.zeros((count, months))
        self.first_jobs = np.zeros(months)
        self.months_to_first = np.full(months, np.nan)

    def result(self) -> RunResult:
        return RunResult(
            months=self.months,
            scale=self.scale,
            present=self.present,
            employed=self.employed,
            protected=self.protected,
            protected_employed=self.protected_employed,
            waiting=self.waiting,
            in_programme=self.in_programme,
            starts=self.starts,
            first_jobs=self.first_jobs,
            months_to_first_job=self.months_to_first,
            probes=self.probes,
            mentees_in_job_within_a_year=(
                self.mentees_in_job / self.mentees if self.mentees else math.nan
            ),
        )


@dataclass
class _Run:
    """One replication's state besides the month: what the monthly steps read and update."""

    prepared: Prepared
    pop: Population
    rng: np.random.Generator
    programmes: _Programmes
    out: _Outputs
    starts_agents: Floats
    """[programme, month]: places in agents (people divided by the scale)."""
    credit: Floats
    """Places available per programme, carried over from month to month (at most a month's)."""
    occupancy: npt.NDArray[np.int64]
    """Agents in each programme."""

    @classmethod
    def start(cls, prepared: Prepared, pop: Population, rng: np.random.Generator) -> _Run:
        """Month 0: nobody in a programme, no place carried over; each agent stands for
        `scale` people (the expected arrivals over the agents)."""
        scale = float(prepared.arrivals_per_month.sum()) / max(pop.size, 1)
        programmes = _Programmes.of(prepared)
        return cls(
            prepared,
            pop,
            rng,
            programmes,
            _Outputs(prepared.months, programmes.count, scale),
            starts_agents=prepared.starts_per_month / scale,
            credit=np.zeros(programmes.count),
            occupancy=np.zeros(programmes.count, dtype=np.int64),
        )

    def hire(self, who: npt.NDArray[np.intp], t: int, employed: npt.NDArray[np.bool_]) -> None:
        """`who` start a job in month `t` (a first job is recorded as such)."""
        _start_jobs(
            self.pop, who, t, self.rng, self.prepared.assumptions.calibrated.monthly_separation
        )
        employed[who] = True
        out = self.out
        _record_first_jobs(self.pop, who, t, out.first_jobs, out.months_to_first, out.scale)


@dataclass(frozen=True)
class _Month:
    """Month `t` of a run: who is present and how each stands at its start."""

    t: int
    b: npt.NDArray[np.intp]
    """The Brussels residents present (programmes, lists and referrals concern them only)."""
    decided: npt.NDArray[np.bool_]
    rtw: npt.NDArray[np.int8]
    employed: npt.NDArray[np.bool_]
    """Of the agents present; updated in place as jobs start."""


def _decided_by_outcome(pop: Population, months: int) -> npt.NDArray[np.int64]:
    """Decisions by outcome up to each month (counted once, not every month)."""
    decided_by_outcome = np.zeros((4, months), dtype=np.int64)
    for code in (REFUGEE, SUBSIDIARY, NO_PERMIT):
        months_of = pop.decision[(pop.outcome == code) & (pop.decision < months)]
        decided_by_outcome[code] = np.cumsum(np.bincount(months_of, minlength=months))
    return decided_by_outcome


def _probe_members(prepared: Prepared, pop: Population) -> dict[str, npt.NDArray[np.intp]]:
    return {
        probe.name: np.flatnonzero(
            (pop.decision >= probe.decided_from)
            & (pop.decision < probe.decided_to)
            & ((pop.outcome == REFUGEE) | (pop.outcome == SUBSIDIARY))
            & (pop.brussels if probe.brussels_only else True)
        )
        for probe in prepared.probes
    }


def _end_programmes(run: _Run, month: _Month) -> None:
    """Step 4: the programmes of the Brussels residents that end in the month raise their
    chances (language, recognition); placements start some in a job."""
    pop, programmes, t = run.pop, run.programmes, month.t
    a = run.prepared.assumptions
    ending = month.b[pop.programme_end[month.b] == t]
    if not ending.size:
        return
    which = pop.programme[ending]
    pop.programme[ending] = -1
    pop.programme_end[ending] = -1
    np.subtract.at(run.occupancy, which, 1)
    gain = programmes.language_boost[which]
    gain[programmes.is_recognition[which] & pop.foreign_diploma[ending]] *= 1 + a.recognition_effect
    pop.multiplier[ending] *= gain
    placed = programmes.is_placement[which]
    if placed.any():
        lucky = ending[placed & (run.rng.random(ending.size) < a.placement_rate)]
        lucky = lucky[(month.rtw[lucky] > 0) & ~month.employed[lucky]]
        run.hire(lucky, t, month.employed)


def _admit(run: _Run, month: _Month) -> npt.NDArray[np.intp]:
    """Step 6: admissions from the waiting lists as the month's places allow, after those
    waiting longer than `waiting_abandon_months` gave up. Returns who still waits (or was
    admitted) this month, for the waiting counts."""
    pop, programmes, t, out = run.pop, run.programmes, month.t, run.out
    credit, starts_agents = run.credit, run.starts_agents
    settings: Settings = run.prepared.scenario.settings
    waiting_idx = month.b[pop.waiting[month.b] >= 0]
    gave_up = pop.waiting_since[waiting_idx] <= t - run.prepared.assumptions.waiting_abandon_months
    if gave_up.any():
        pop.waiting[waiting_idx[gave_up]] = -1
        waiting_idx = waiting_idx[~gave_up]
    if not waiting_idx.size:
        credit[:] = np.minimum(credit + starts_agents[:, t], np.maximum(starts_agents[:, t], 1))
        return waiting_idx
    programme_of = pop.waiting[waiting_idx]
    for p in range(programmes.count):
        credit[p] = min(credit[p] + starts_agents[p, t], max(starts_agents[p, t], 1.0))
        members = waiting_idx[programme_of == p]
        free = int(credit[p])
        if members.size == 0 or free == 0:
            continue
        if members.size > free:
            if settings.admission == "easy_cases_first":
                key = -pop.ease[members]
            else:
                key = pop.waiting_since[members] + pop.route[members]
            members = members[np.argpartition(key, free - 1)[:free]]
        credit[p] -= members.size
        pop.programme[members] = p
        pop.programme_end[members] = t + programmes.duration[p]
        pop.waiting[members] = -1
        pop.multiplier[members] *= 1 + programmes.effect[p] * (1 - pop.ease[members])
        run.occupancy[p] += members.size
        out.starts[p, t] = members.size * out.scale
        if programmes.group_of[p] == programmes.mentoring:
            pop.mentoring_start[members] = t
    return waiting_idx


def _read_probes(run: _Run, t: int, members_of: dict[str, npt.NDArray[np.intp]]) -> None:
    prepared, pop, out = run.prepared, run.pop, run.out
    ever_employed = {probe.name for probe in prepared.probes if probe.ever_employed}
    for probe in prepared.probes:
        if t in probe.months:
            members = members_of[probe.name]
            state = (
                pop.first_job[members] >= 0
                if probe.name in ever_employed
                else pop.employed[members]
            )
            out.probes[f"{probe.name}@{t}"] = float(state.mean()) if members.size else math.nan


def _simulate(prepared: Prepared, pop: Population, rng: np.random.Generator) -> RunResult:
    """The monthly loop: rights, jobs ending, programmes ending, referrals, admissions,
    job finding, then the month's outputs."""
    a = prepared.assumptions
    months = prepared.months
    run = _Run.start(prepared, pop, rng)
    out, scale = run.out, run.out.scale
    rtw_factor = np.array([0.0, a.with_permit_factor, 1.0], dtype=np.float32)
    growth = a.calibrated.language_growth
    time_factor = np.exp(
        a.language_effect * np.minimum(growth * np.arange(months + 1), 1.0)
    ).astype(np.float32)
    base = np.float32(a.calibrated.base_hazard)
    probe_members = _probe_members(prepared, pop)
    arrivals_by_month = np.diff(pop.present_until, prepend=0)
    decided_by_outcome = _decided_by_outcome(pop, months)
    brussels_index = np.flatnonzero(pop.brussels)
    brussels_until = np.searchsorted(brussels_index, pop.present_until)
    for t in range(months):
        n = int(pop.present_until[t])
        if n == 0:
            continue
        s = slice(0, n)
        # Agents are sorted by arrival month: month-dependent values are built per arrival
        # block (np.repeat) instead of per agent.
        blocks = arrivals_by_month[: t + 1]
        since_block = t - np.arange(t + 1)
        decided = pop.decision[s] <= t
        rtw = _right_to_work(prepared, pop, t, decided, blocks, since_block)
        employed = pop.employed[s]
        # 3. jobs end
        employed &= (rtw > 0) & (pop.job_end[s] != t)
        month = _Month(t, brussels_index[: brussels_until[t]], decided, rtw, employed)
        # 4. programmes end
        _end_programmes(run, month)
        # 5. referrals of the idle
        _refer(run, month)
        # 6. admissions
        waiting_idx = _admit(run, month)
        # 7. job finding
        hazard = pop.multiplier[s] * np.repeat(base * time_factor[since_block], blocks)
        hazard *= rtw_factor[rtw]
        _find_jobs(run, month, hazard)
        out.present[t] = (n - decided_by_outcome[NO_PERMIT, t]) * scale
        out.protected[t] = (
            decided_by_outcome[REFUGEE, t] + decided_by_outcome[SUBSIDIARY, t]
        ) * scale
        _record_month(run, month, waiting_idx)
        _read_probes(run, t, probe_members)
        out.in_programme[:, t] = run.occupancy * scale
    return out.result()


def _right_to_work(
    prepared: Prepared,
    pop: Population,
    t: int,
    decided: npt.NDArray[np.bool_],
    blocks: npt.NDArray[np.int64],
    since_block: npt.NDArray[np.int64],
) -> npt.NDArray[np.int8]:
    """Each present agent's right to work in month `t`: by the decision's outcome once
    decided, else by the months since arrival (per arrival block)."""
    table = prepared.tables.right_to_work[t]
    cap = prepared.tables.months_cap
    status = pop.outcome[: decided.size]
    rtw: npt.NDArray[np.int8] = np.where(
        decided,
        table[:, 0][status],
        np.repeat(table[0, np.minimum(since_block, cap)], blocks),
    )
    return rtw


def _find_jobs(run: _Run, month: _Month, hazard: npt.NDArray[np.float32]) -> None:
    """Advance the job-search clocks of the agents present (not the employed); those whose
    clock passes their threshold start a job this month."""
    pop = run.pop
    n = hazard.size
    hazard[month.employed] = 0
    clock = pop.clock[:n]
    clock += hazard
    found = np.flatnonzero(clock >= pop.threshold[:n])
    if found.size:
        run.hire(found, month.t, month.employed)
        pop.waiting[found] = -1


def _record_month(run: _Run, month: _Month, waiting_idx: npt.NDArray[np.intp]) -> None:
    """The month's employment (refused applicants never work: every employed person counts),
    waiting lists and mentees' outcomes."""
    pop, programmes, out = run.pop, run.programmes, run.out
    t, employed, decided = month.t, month.employed, month.decided
    scale = out.scale
    out.employed[t] = np.count_nonzero(employed) * scale
    out.protected_employed[t] = np.count_nonzero(employed & decided) * scale
    if waiting_idx.size:
        still = pop.waiting[waiting_idx]
        out.waiting[:, t] = np.bincount(still[still >= 0], minlength=programmes.count) * scale
    if programmes.mentoring >= 0 and t >= 12:
        started = np.flatnonzero(pop.mentoring_start[: employed.size] == t - 12)
        out.mentees += started.size
        out.mentees_in_job += int(np.count_nonzero(pop.first_job[started] >= 0))


def _start_jobs(
    pop: Population,
    who: npt.NDArray[np.intp],
    t: int,
    rng: np.random.Generator,
    separation: float,
) -> None:
    if who.size == 0:
        return
    pop.employed[who] = True
    spell = rng.geometric(separation, who.size)
    pop.job_end[who] = np.minimum(t + spell, 32000).astype(np.int16)
    pop.clock[who] = 0
    pop.threshold[who] = rng.exponential(1.0, who.size).astype(np.float32)


def _record_first_jobs(
    pop: Population,
    who: npt.NDArray[np.intp],
    t: int,
    first_jobs: Floats,
    months_to_first: Floats,
    scale: float,
) -> None:
    first = who[pop.first_job[who] < 0]
    if first.size == 0:
        return
    pop.first_job[first] = t
    previous = first_jobs[t] / scale
    waited = float((t - pop.arrival[first]).sum())
    mean_before = 0.0 if np.isnan(months_to_first[t]) else months_to_first[t] * previous
    first_jobs[t] += first.size * scale
    months_to_first[t] = (mean_before + waited) / (previous + first.size)


def _refer(run: _Run, month: _Month) -> None:
    """Send the idle among the Brussels residents to the next programme group they want and
    may join."""
    prepared, pop, t, b = run.prepared, run.pop, month.t, month.b
    status_b = pop.outcome[b] * month.decided[b]
    a = prepared.assumptions
    groups = prepared.groups
    pathway_bit = np.uint8(1 << groups.index("pathway")) if "pathway" in groups else np.uint8(0)
    idle = _idle(pop, month, status_b, pathway_bit)
    idx = b[idle]
    if idx.size == 0:
        return
    listed = pop.waiting[b]
    queue = np.bincount(listed[listed >= 0], minlength=len(a.programmes)).astype(float)
    st = status_b[idle]
    protected = (st == REFUGEE) | (st == SUBSIDIARY)
    may_work = month.rtw[idx] > 0
    months_here = t - pop.arrival[idx]
    age = pop.age[idx] + months_here // 12
    years = np.minimum(months_here // 12, PATHWAY_YEARS - 1)
    registered = np.minimum(pop.decision[idx], t)
    pathway = prepared.tables.pathway[t][st, years, registered]
    open_now = _open_groups(
        pop, idx, pathway, protected & (years >= PATHWAY_YEARS - 1), pathway_bit
    )
    chosen = np.full(idx.size, -1, dtype=np.int8)
    for g, group in enumerate(groups):
        bit = np.uint8(1 << g)
        members = [(p, q) for p, q in enumerate(a.programmes) if q.group == group]
        per_programme = [
            (p, _eligible(programme, protected, may_work, pathway, age))
            for p, programme in members
            if run.starts_agents[p, t] > 0
        ]
        eligible_any = np.zeros(idx.size, dtype=bool)
        for _p, ok in per_programme:
            eligible_any |= ok
        if group == "mentoring":
            # Too old for every mentoring programme: the wish closes.
            too_old = age > max((q.age_between or (0, 200))[1] for _, q in members)
            pop.done[idx[too_old]] |= bit
        candidates = (chosen < 0) & ((open_now & bit) != 0) & eligible_any
        if not candidates.any() or not per_programme:
            continue
        target = _route(run, idx, candidates, age, per_programme, queue)
        chosen[candidates] = target[candidates]
    _put_on_lists(run, month, idx, chosen)


def _idle(
    pop: Population, month: _Month, status_b: npt.NDArray[np.int8], pathway_bit: np.uint8
) -> npt.NDArray[np.bool_]:
    """Of the month's residents (legal status `status_b`): not employed, in no programme
    and on no list (both codes negative), a group still open (the pathway stays open to an
    obligation), not refused."""
    b = month.b
    idle: npt.NDArray[np.bool_] = (
        ~month.employed[b]
        & ((pop.programme[b] & pop.waiting[b]) < 0)
        & (((pop.wants[b] | pathway_bit) & ~pop.done[b]) != 0)
        & (status_b != NO_PERMIT)
    )
    return idle


def _open_groups(
    pop: Population,
    idx: npt.NDArray[np.intp],
    pathway: npt.NDArray[np.int8],
    protected_three_years: npt.NDArray[np.bool_],
    pathway_bit: np.uint8,
) -> npt.NDArray[np.uint8]:
    """The groups `idx` want and have not done. The obligation overrides the wish; the
    pathway closes when no longer eligible after protection (three years in Belgium)."""
    wants = pop.wants[idx].copy()
    if pathway_bit:
        wants[pathway == OBLIGED] |= pathway_bit
        closed = protected_three_years & (pathway == NOT_ELIGIBLE)
        pop.done[idx[closed]] |= pathway_bit
    open_now: npt.NDArray[np.uint8] = wants & ~pop.done[idx]
    return open_now


def _put_on_lists(
    run: _Run, month: _Month, idx: npt.NDArray[np.intp], chosen: npt.NDArray[np.int8]
) -> None:
    """Those of `idx` with a chosen programme join its waiting list; starting a group closes
    it (a dropout does not re-enter)."""
    pop, t = run.pop, month.t
    referred = chosen >= 0
    pop.waiting[idx[referred]] = chosen[referred]
    pop.waiting_since[idx[referred]] = t
    bits = np.left_shift(np.uint8(1), _group_index(run.prepared, chosen[referred]))
    pop.done[idx[referred]] |= bits.astype(np.uint8)


def _eligible(
    programme: ProgrammeAssumption,
    protected: npt.NDArray[np.bool_],
    may_work: npt.NDArray[np.bool_],
    pathway: npt.NDArray[np.int8],
    age: npt.NDArray[np.int16],
) -> npt.NDArray[np.bool_]:
    """Who may join `programme`: protection, the right to work, the integration pathway and
    the age it asks."""
    ok = np.ones(protected.size, dtype=bool)
    if programme.needs_protection:
        ok &= protected
    if programme.needs_right_to_work:
        ok &= may_work
    if programme.needs_pathway:
        ok &= pathway != NOT_ELIGIBLE
    if programme.age_between is not None:
        low, high = programme.age_between
        ok &= (age >= low) & (age <= high)
    return ok


def _group_index(prepared: Prepared, programme: npt.NDArray[np.int8]) -> npt.NDArray[np.uint8]:
    lookup = np.array(
        [prepared.groups.index(p.group) for p in prepared.assumptions.programmes], dtype=np.uint8
    )
    return lookup[programme]


def _route(
    run: _Run,
    idx: npt.NDArray[np.intp],
    candidates: npt.NDArray[np.bool_],
    age: npt.NDArray[np.int16],
    per_programme: list[tuple[int, npt.NDArray[np.bool_]]],
    queue: Floats,
) -> npt.NDArray[np.int8]:
    """Which programme of a group each candidate is sent to (-1: none fits)."""
    programmes = run.prepared.assumptions.programmes
    settings: Settings = run.prepared.scenario.settings
    target = np.full(idx.size, -1, dtype=np.int8)
    if settings.routing == "coordinated" and len(per_programme) > 1:
        # Referrals go where there is room: places this month minus the queue, in turn.
        room = np.array([run.credit[p] - queue[p] for p, _ in per_programme])
        unassigned = candidates.copy()
        for k in np.argsort(-room):
            p, ok = per_programme[k]
            take = np.flatnonzero(unassigned & ok)[: max(int(room[k]), 0)]
            target[take] = p
            unassigned[take] = False
            room[k] -= take.size
        # The rest wait where the queue is shortest relative to the places.
        if unassigned.any():
            keys = np.array([p for p, _ in per_programme])
            fits = np.stack([ok for _, ok in per_programme])
            score = np.where(fits, room[:, None], -np.inf)
            best = np.argmax(score, axis=0)
            rest = unassigned & fits.any(axis=0)
            target[rest] = keys[best[rest]]
        return target
    remaining = np.ones(idx.size, dtype=bool)
    cumulative = np.zeros(idx.size, dtype=np.float32)
    route = run.pop.route[idx]
    for p, ok in per_programme:
        programme = programmes[p]
        if programme.informal_age_between is not None:
            low, high = programme.informal_age_between
            sent = ok & (age >= low) & (age <= high)
        else:
            cumulative += programme.informal_share
            sent = ok & (route < cumulative)
        sent &= remaining & candidates
        target[sent] = p
        remaining &= ~sent
    # Whoever the informal rule sends nowhere goes to the first programme that fits.
    for p, ok in per_programme:
        rest = remaining & candidates & ok
        target[rest] = p
        remaining &= ~rest
    return target
