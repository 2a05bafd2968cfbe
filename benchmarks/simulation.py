"""Sector simulation at scale: 1 000 000 synthetic newcomers over 120 months.

Prints agent-months per second (agents x months, the issue's definition; the agents present
are also counted) for the vectorised engine (`passerelle.core.simulation`, numpy struct of
arrays, one core) and for a reduced version of the same model written with Mesa (one
Python object per agent, stepped each month: legal status, the right to work from the same
rules tables, job finding and job loss; no programmes), measured in the same process, and
their ratio. The Mesa model does less work per agent-month than the engine, so the ratio is
conservative. Goals (issue 9): at least 50 million agent-months per second on one core and
at least 50 times Mesa.

    .venv/bin/python benchmarks/simulation.py [--persons 1000000] [--months 120]
        [--mesa-persons 20000] [--quick]

The machine is shared with other work: figures are noisy; the ratio, measured in one
process, holds better than the absolute speed. All agents are synthetic random draws.
"""

from __future__ import annotations

import mesa
import numpy as np
from rich.console import Console
from rich.table import Table

from harness import arguments, peak_rss_mib, timed, traced_peak
from passerelle.core.simulation.config import load_assumptions, load_scenario
from passerelle.core.simulation.model import (
    NO_PERMIT,
    Population,
    Prepared,
    generate_population,
    prepare,
    run,
)
from passerelle.knowledge.loader import load_knowledge


class Newcomer(mesa.Agent):  # type: ignore[misc]
    """One newcomer of the reduced model."""

    def __init__(self, model: ReducedModel, index: int) -> None:
        super().__init__(model)
        population = model.population
        self.arrival = int(population.arrival[index])
        self.decision = int(population.decision[index])
        self.outcome = int(population.outcome[index])
        self.multiplier = float(population.multiplier[index])
        self.threshold = float(population.threshold[index])
        self.clock = 0.0
        self.employed = False
        self.job_end = -1

    def step(self) -> None:
        model: ReducedModel = self.model
        t = model.month
        if t < self.arrival:
            return
        status = self.outcome if self.decision <= t else 0
        since = min(t - self.arrival, model.months_cap)
        right = int(model.prepared.tables.right_to_work[t, status, since])
        if self.employed and (self.job_end == t or right == 0):
            self.employed = False
        if self.employed:
            return
        hazard = (
            model.base
            * self.multiplier
            * float(model.time_factor[t - self.arrival])
            * float(model.rtw_factor[right])
        )
        self.clock += hazard
        if self.clock >= self.threshold:
            self.employed = True
            self.clock = 0.0
            self.job_end = t + int(model.rng.geometric(model.separation))
            self.threshold = float(model.rng.exponential(1.0))


class ReducedModel(mesa.Model):  # type: ignore[misc]
    def __init__(self, prepared: Prepared, population: Population, seed: int) -> None:
        super().__init__(seed=seed)
        a = prepared.assumptions
        self.prepared = prepared
        self.population = population
        self.month = 0
        self.months_cap = prepared.tables.months_cap
        self.base = a.calibrated.base_hazard
        self.separation = a.calibrated.monthly_separation
        self.rtw_factor = np.array([0.0, a.with_permit_factor, 1.0])
        growth = a.calibrated.language_growth
        self.time_factor = np.exp(
            a.language_effect * np.minimum(growth * np.arange(prepared.months + 1), 1.0)
        )
        self.rng = np.random.default_rng(seed)
        for index in range(population.size):
            Newcomer(self, index)

    def step(self) -> None:
        self.agents.do("step")
        self.month += 1

    def employment_rate(self) -> float:
        considered = [
            agent
            for agent in self.agents
            if agent.arrival < self.month
            and not (agent.outcome == NO_PERMIT and agent.decision < self.month)
        ]
        return sum(agent.employed for agent in considered) / max(len(considered), 1)


def _present_agent_months(prepared: Prepared, persons: int) -> float:
    weights = prepared.arrivals_per_month / prepared.arrivals_per_month.sum()
    arrived = np.cumsum(weights)
    return float(arrived.sum() * persons)


def main() -> None:
    parser = arguments(__doc__)
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--months", type=int, default=120)
    parser.add_argument("--mesa-persons", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="100 000 agents, Mesa 5 000")
    args = parser.parse_args()
    if args.quick:
        args.persons, args.mesa_persons = 100_000, 5_000

    knowledge = load_knowledge()
    assumptions = load_assumptions()
    prepared, tables_seconds = timed(
        lambda: prepare(knowledge, assumptions, load_scenario("baseline"), args.months)
    )

    run(prepared, min(args.persons, 10_000), args.seed)  # warm-up
    result, numpy_seconds = timed(lambda: run(prepared, args.persons, args.seed))
    _, numpy_peak = traced_peak(lambda: run(prepared, args.persons, args.seed))

    population = generate_population(prepared, args.mesa_persons, np.random.default_rng(1))

    def mesa_run() -> ReducedModel:
        model = ReducedModel(prepared, population, args.seed)
        for _ in range(args.months):
            model.step()
        return model

    model, mesa_seconds = timed(mesa_run)

    numpy_rate = args.persons * args.months / numpy_seconds
    mesa_rate = args.mesa_persons * args.months / mesa_seconds
    table = Table(title=f"Sector simulation, {args.months} months (2 shared cores; noisy)")
    for column in ("model", "agents", "s", "agent-months/s", "present", "peak mem", "employed"):
        table.add_column(column, justify="right")
    table.add_row(
        "rules tables (once)",
        "-",
        f"{tables_seconds:.2f}",
        "-",
        "-",
        "-",
        "-",
    )
    table.add_row(
        "numpy (full model)",
        f"{args.persons:,}",
        f"{numpy_seconds:.2f}",
        f"{numpy_rate / 1e6:,.1f} M",
        f"{_present_agent_months(prepared, args.persons) / numpy_seconds / 1e6:,.1f} M",
        f"{numpy_peak / 2**20:,.0f} MiB",
        f"{100 * result.employment_rate[-1]:.1f} %",
    )
    table.add_row(
        "Mesa (reduced)",
        f"{args.mesa_persons:,}",
        f"{mesa_seconds:.2f}",
        f"{mesa_rate / 1e6:,.2f} M",
        f"{_present_agent_months(prepared, args.mesa_persons) / mesa_seconds / 1e6:,.2f} M",
        "-",
        f"{100 * model.employment_rate():.1f} %",
    )
    console = Console(width=110)
    table.caption = (
        "present: agent-months of agents already arrived; employed: rate in the last month"
    )
    console.print(table)
    console.print(
        f"speed ratio numpy / Mesa: {numpy_rate / mesa_rate:,.0f}x (goal 50x); "
        f"numpy: {numpy_rate / 1e6:,.1f} M agent-months/s (goal 50 M on one core)"
    )
    console.print(f"process peak resident memory: {peak_rss_mib():,.0f} MiB")


if __name__ == "__main__":
    main()
