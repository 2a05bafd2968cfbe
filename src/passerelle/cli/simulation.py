"""`passerelle simulate`: scenarios of the sector against the baseline (docs/simulation.md)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from passerelle.cli.common import OutputFormat, fail, knowledge_or_fail, print_json, progress_bar
from passerelle.core.i18n import _
from passerelle.core.simulation.config import (
    BASELINE,
    SimulationConfigError,
    load_assumptions,
    load_scenario,
    scenario_names,
)

# numpy, scipy, Pillow and Dask are imported when `simulate` runs, not for every command.
console = Console()


def _list(output: OutputFormat) -> None:
    scenarios = [load_scenario(name) for name in [BASELINE, *scenario_names()]]
    if output == OutputFormat.json:
        data = [{"name": s.name, "title": s.title, "description": s.description} for s in scenarios]
        print_json(data)
        return
    table = Table(_("Scenario"), _("Title"), _("Description"))
    for scenario in scenarios:
        table.add_row(scenario.name, scenario.title, scenario.description)
    console.print(table)


def _calibrate(persons: int, seed: int, output: OutputFormat) -> None:
    from passerelle.core.simulation.calibration import TARGETS, calibrate

    knowledge = knowledge_or_fail()
    assumptions = load_assumptions()
    with progress_bar(counts=True) as progress:
        task = progress.add_task(_("calibrating"), total=None)
        fit = calibrate(
            knowledge,
            assumptions,
            persons=persons,
            seed=seed,
            progress=lambda calls, _value: progress.update(task, completed=calls),
        )
    rows: list[dict[str, Any]] = [
        {
            "target": target.name,
            "source": target.source,
            "observed": target.observed,
            "simulated": fit.simulated[target.name],
            "error_points": 100 * (fit.simulated[target.name] - target.observed),
        }
        for target in TARGETS
    ]
    parameters = fit.calibrated.model_dump() | {"brussels_share": fit.brussels_share}
    if output == OutputFormat.json:
        data = {"parameters": parameters, "targets": rows, "rmse_points": fit.rmse_points}
        print_json(data)
        return
    table = Table(_("Target"), _("Observed"), _("Simulated"), _("Error (points)"), _("Source"))
    for row in rows:
        table.add_row(
            row["target"],
            f"{100 * row['observed']:.1f} %",
            f"{100 * row['simulated']:.1f} %",
            f"{row['error_points']:+.1f}",
            row["source"],
        )
    console.print(table)
    console.print(
        _("Root mean squared error: {rmse:.1f} percentage points ({calls} runs)").format(
            rmse=fit.rmse_points, calls=fit.evaluations
        )
    )
    console.print(_("Fitted parameters (assumptions.yaml, calibrated):"))
    for name, value in parameters.items():
        console.print(f"  {name}: {value:.6g}")


def _sensitivity(persons: int, seed: int, change: float, output: OutputFormat) -> None:
    """The calibration report's sensitivity table: each assumption moved by ±change."""
    from passerelle.core.simulation.calibration import TARGETS, numeric_assumptions, sensitivity

    knowledge = knowledge_or_fail()
    assumptions = load_assumptions()
    paths = numeric_assumptions(assumptions)
    with progress_bar(counts=True) as progress:
        progress.add_task(_("sensitivity"), total=None)
        base, rows = sensitivity(knowledge, assumptions, paths, change, persons, seed)
    names = [target.name for target in TARGETS]
    if output == OutputFormat.json:
        data = {
            "change": change,
            "persons": persons,
            "seed": seed,
            "baseline": base,
            "rows": [
                {"assumption": row.path, "value": row.base_value, "low": row.low, "high": row.high}
                for row in rows
            ],
        }
        print_json(data)
        return
    table = Table(_("Assumption"), _("Value"), *names)
    table.add_row(_("(baseline)"), "", *[f"{100 * base[name]:.1f} %" for name in names])
    for row in sorted(rows, key=lambda r: -max(abs(r.spread_points(n)) for n in names)):
        table.add_row(
            row.path,
            f"{row.base_value:g}",
            *[f"{row.spread_points(name):+.1f}" for name in names],
        )
    console.print(table)
    console.print(
        _(
            "Points: the figure with the assumption at +{percent:.0f} % minus the figure at "
            "-{percent:.0f} % ({persons} agents, seed {seed}, everything else fixed)."
        ).format(percent=100 * change, persons=persons, seed=seed)
    )


# An indicator's level and its difference from the baseline: the formats and the factor.
_FORMATS = {
    "employment_rate": ("{:.1f} %", "{:+.2f} pts", 100),
    "months_to_first_job": ("{:.1f}", "{:+.2f}", 1),
}
_COUNT_FORMAT = ("{:,.0f}", "{:+,.0f}", 1)


def _format(indicator: str, value: Any, *, difference: bool = False) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    level, change, factor = _FORMATS.get(indicator, _COUNT_FORMAT)
    return (change if difference else level).format(factor * value)


def _labels() -> dict[str, str]:
    return {
        "employment_rate": _("employment rate"),
        "employed": _("in work"),
        "people_waiting": _("waiting"),
        "months_to_first_job": _("months to 1st job"),
        "places_used": _("places used"),
    }


def _band(indicator: str, low: Any, high: Any) -> str:
    return f"{_format(indicator, low)} – {_format(indicator, high)}"


def _cell(indicator: str, row: dict[str, Any]) -> str:
    band = _band(indicator, row["low"], row["high"])
    return f"{_format(indicator, row['mean'])} ({band})"


def _parse_sweep(text: str) -> tuple[str, list[float]]:
    path, _sep, listed = text.partition("=")
    try:
        values = [float(item) for item in listed.split(",") if item.strip()]
    except ValueError:
        values = []
    if not path or not values:
        fail(f"--sweep: {text!r}: expected PATH=V1,V2,... with numbers")
    return path.strip(), values


@dataclass(frozen=True)
class _Runs:
    """How a scenario or a sweep is run and where its results go (the command's options)."""

    replications: int
    months: int | None
    persons: int
    seed: int
    out: Path | None
    scheduler: str | None
    output: OutputFormat


def _sweep(
    text: str,
    scenario: str,
    runs: _Runs,
) -> None:
    import polars as pl

    from passerelle.core.simulation.config import with_assumption
    from passerelle.core.simulation.model import prepare
    from passerelle.core.simulation.parallel import replication_seeds
    from passerelle.core.simulation.results import summarise, summary_rows

    path, values = _parse_sweep(text)
    knowledge = knowledge_or_fail()
    try:
        assumptions = load_assumptions()
        chosen = load_scenario(scenario)
        variants = [with_assumption(assumptions, path, value) for value in values]
        first = prepare(knowledge, variants[0], chosen, runs.months)
        prepared = [first] + [
            prepare(knowledge, variant, chosen, runs.months, tables=first.tables)
            for variant in variants[1:]
        ]
    except SimulationConfigError as error:
        fail(str(error))
    seeds = replication_seeds(runs.seed, runs.replications)
    jobs = [(p, runs.persons, s) for p in prepared for s in seeds]
    results = _run_jobs(jobs, runs.scheduler, _("sweep"))
    frames = []
    for index, value in enumerate(values):
        chunk = results[index * runs.replications : (index + 1) * runs.replications]
        frames.append(summarise(prepared[index], chunk).with_columns(pl.lit(value).alias("value")))
    table = pl.concat(frames)
    directory = runs.out or Path("var") / "simulation" / f"sweep-{path}"
    directory.mkdir(parents=True, exist_ok=True)
    table.write_csv(directory / "sweep.csv")
    rows = [(value, summary_rows(frame)) for value, frame in zip(values, frames, strict=True)]
    if runs.output == OutputFormat.json:
        data = [{"value": value, "summary": _json_rows(summary)} for value, summary in rows]
        print_json(data)
        return
    names = list(_labels())
    summary = Table(path, *[_labels()[name] for name in names], title=chosen.title)
    for value, summary_list in rows:
        by_name = {str(r["indicator"]): r for r in summary_list}
        summary.add_row(
            f"{value:g}",
            *[_cell(n, by_name[n]) for n in names],
        )
    console.print(summary)
    console.print(_("Written to {directory}").format(directory=directory))


def simulate(
    scenario: Annotated[
        str, typer.Option("--scenario", "-s", help="A scenario name (see --list) or a YAML file.")
    ] = BASELINE,
    list_scenarios: Annotated[
        bool, typer.Option("--list", help="List the scenarios and stop.")
    ] = False,
    calibrate_model: Annotated[
        bool, typer.Option("--calibrate", help="Fit the model to the known figures and print it.")
    ] = False,
    sensitivity: Annotated[
        bool,
        typer.Option(
            "--sensitivity",
            help="How far the calibration figures move when each assumption moves by "
            "±--change (default 20 %).",
        ),
    ] = False,
    change: Annotated[float, typer.Option("--change", min=0.01, max=0.9)] = 0.2,
    replications: Annotated[int, typer.Option("--replications", "-r", min=1)] = 10,
    months: Annotated[int | None, typer.Option("--months", "-m", min=1, max=1080)] = None,
    persons: Annotated[int, typer.Option("--persons", "-n", min=100)] = 100_000,
    seed: Annotated[int, typer.Option("--seed", min=0)] = 0,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Output directory (CSV and charts).")
    ] = None,
    scheduler: Annotated[
        str | None,
        typer.Option(
            "--scheduler",
            help="Dask scheduler address (default: a local cluster; 'synchronous': no Dask).",
        ),
    ] = None,
    sweep: Annotated[
        str | None,
        typer.Option(
            "--sweep",
            help="Sweep a numeric assumption: PATH=V1,V2,... "
            "(e.g. programmes.bapa.per_year=3000,6000,9000).",
        ),
    ] = None,
    output: Annotated[
        OutputFormat, typer.Option("--format", "-f", help="table (default) or json")
    ] = OutputFormat.table,
) -> None:
    """Simulate newcomers month by month under a scenario and compare with the baseline."""
    if list_scenarios:
        _list(output)
        return
    if calibrate_model:
        _calibrate(persons, seed, output)
        return
    if sensitivity:
        _sensitivity(persons, seed, change, output)
        return
    runs = _Runs(replications, months, persons, seed, out, scheduler, output)
    if sweep is not None:
        _sweep(sweep, scenario, runs)
        return
    _scenario(scenario, runs)


def _run_jobs(jobs: list[Any], scheduler: str | None, label: str) -> list[Any]:
    """The replications of `jobs` (prepared model, persons, seed), with a progress bar."""
    from passerelle.core.simulation.parallel import run_many

    with progress_bar(counts=True) as progress:
        task = progress.add_task(label, total=len(jobs))
        try:
            return run_many(
                jobs,
                scheduler=scheduler,
                progress=lambda done, _total: progress.update(task, completed=done),
            )
        except OSError as error:
            fail(f"--scheduler: {error}")


def _json_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: (str(v) if k == "month" else v) for k, v in r.items()} for r in rows]


def _scenario(
    scenario: str,
    runs: _Runs,
) -> None:
    """One scenario (and the baseline to compare with, unless it is the baseline): the
    replications, the monthly CSV and charts, the summary."""
    from passerelle.core.simulation.charts import write_charts
    from passerelle.core.simulation.model import Prepared, prepare
    from passerelle.core.simulation.parallel import replication_seeds
    from passerelle.core.simulation.results import summarise, summary_rows

    knowledge = knowledge_or_fail()
    try:
        assumptions = load_assumptions()
        chosen = load_scenario(scenario)
        base = load_scenario(BASELINE)
        baseline_prepared = prepare(knowledge, assumptions, base, runs.months)
        prepared: Prepared = (
            baseline_prepared
            if chosen.name == BASELINE
            else prepare(
                knowledge, assumptions, chosen, runs.months, tables=baseline_prepared.tables
            )
        )
    except SimulationConfigError as error:
        fail(str(error))
    seeds = replication_seeds(runs.seed, runs.replications)
    jobs = [(prepared, runs.persons, s) for s in seeds]
    if chosen.name != BASELINE:
        jobs += [(baseline_prepared, runs.persons, s) for s in seeds]
    results = _run_jobs(jobs, runs.scheduler, _("replications"))
    scenario_results = results[: runs.replications]
    baseline_results = results[runs.replications :] or None
    table = summarise(prepared, scenario_results, baseline_results)
    directory = runs.out or Path("var") / "simulation" / chosen.name
    directory.mkdir(parents=True, exist_ok=True)
    table.write_csv(directory / "monthly.csv")
    rows = summary_rows(table)
    write_charts(table, chosen.title, directory)
    if runs.output == OutputFormat.json:
        data = {
            "scenario": chosen.name,
            "replications": runs.replications,
            "persons": runs.persons,
            "out": str(directory),
            "summary": _json_rows(rows),
        }
        print_json(data)
        return
    _print_scenario_summary(rows, chosen.title, compared=bool(baseline_results))
    console.print(_("Written to {directory}").format(directory=directory))


def _print_scenario_summary(rows: list[dict[str, Any]], title: str, *, compared: bool) -> None:
    last = rows[0]["month"] if rows else ""
    summary = Table(
        _("Indicator ({month})").format(month=last),
        _("Scenario"),
        _("5-95 %"),
        *([_("Baseline"), _("Difference"), _("5-95 %")] if compared else []),
        title=title,
    )
    for row in rows:
        name = str(row["indicator"])
        cells = [_labels()[name], _format(name, row["mean"]), _band(name, row["low"], row["high"])]
        if compared:
            cells += [
                _format(name, row["baseline_mean"]),
                _format(name, row["diff_mean"], difference=True),
                f"{_format(name, row['diff_low'], difference=True)} – "
                f"{_format(name, row['diff_high'], difference=True)}",
            ]
        summary.add_row(*cells)
    console.print(summary)
