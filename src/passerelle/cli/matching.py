"""`passerelle match` and `passerelle gaps`: a matching round and an employers' gap analysis
on CSV files (docs/matching.md)."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path
from typing import Annotated

import polars as pl
import typer
from rich.table import Table

from passerelle.cli.common import (
    DateOption,
    FormatOption,
    OutputFormat,
    console,
    fail,
    knowledge_or_fail,
    parse_date,
    print_json,
    progress_bar,
)
from passerelle.core.i18n import _
from passerelle.core.matching.csvinput import MatchingInputError, read_round
from passerelle.core.matching.engine import MATCHED, PHASES, MatchResult, match
from passerelle.core.matching.explain import explanations, reason_text
from passerelle.core.matching.gaps import GapReport, gap_analysis, sentences, svg_chart
from passerelle.core.matching.model import Kind, persons_frame, slots_frame
from passerelle.core.matching.pairs import Options
from passerelle.core.rules.fields import DateOutOfCoverageError
from passerelle.knowledge.loader import Knowledge

KindOption = Annotated[
    Kind, typer.Option("--kind", help="mentoring, internship or vacancy", case_sensitive=False)
]
InputOption = Annotated[
    Path,
    typer.Option(
        "--input",
        help="Directory with persons.csv and mentors.csv, internships.csv or "
        "vacancies.csv (docs/matching.md).",
    ),
]


def _frames(directory: Path, kind: Kind, knowledge: Knowledge) -> tuple[pl.DataFrame, pl.DataFrame]:
    try:
        persons, slots = read_round(directory, kind, set(knowledge.programmes))
    except MatchingInputError as error:
        fail(str(error))
    if not persons:
        fail(f"{directory / 'persons.csv'}: no person")
    if not slots:
        fail(f"{directory}: no {kind.value} slot")
    return persons_frame(persons), slots_frame(slots)


def _summary(result: MatchResult) -> dict[str, object]:
    return {
        "kind": result.kind.value,
        "on": result.on.isoformat(),
        "persons": result.persons.height,
        "slots": result.slots.height,
        "places": int(result.slots.get_column("capacity").sum()),
        "candidate_pairs": result.pair_count,
        "feasible_pairs": result.feasible_count,
        "matched": result.placed,
        "unmatched_by_reason": result.unmatched_by_reason(),
        "objective_expected_placements": round(result.objective, 3),
        "greedy_matched": result.greedy_placed,
        "greedy_expected_placements": round(result.greedy_objective, 3),
        "uplift_over_greedy": None if result.uplift is None else round(result.uplift, 4),
        "seconds": {name: round(value, 3) for name, value in result.timings.items()},
    }


def match_command(
    kind: KindOption,
    input_dir: InputOption,
    out: Annotated[Path, typer.Option("--out", help="The matches, one row per person (CSV).")],
    on: DateOption = None,
    min_score: Annotated[
        float, typer.Option("--min-score", help="Fit score (0-100) below which no match.")
    ] = 0.0,
    waiting_priority: Annotated[
        bool, typer.Option("--waiting-priority", help="Priority to those waiting longest.")
    ] = False,
    balance: Annotated[
        bool,
        typer.Option(
            "--balance-organisations", help="Share places across referring organisations."
        ),
    ] = False,
    block_digits: Annotated[
        int,
        typer.Option(
            "--block-digits", help="Candidates share this many leading ISCO digits (2 to 4)."
        ),
    ] = 2,
    output: FormatOption = OutputFormat.table,
) -> None:
    """Match persons to mentors, internships or vacancies (optimal, with reasons)."""
    day = parse_date(on)
    if not 0 <= min_score <= 100:
        fail(f"--min-score: {min_score} is out of range; allowed: 0 to 100")
    if not 2 <= block_digits <= 4:
        fail(f"--block-digits: {block_digits} is out of range; allowed: 2, 3 or 4")
    knowledge = knowledge_or_fail()
    persons, slots = _frames(input_dir, kind, knowledge)
    options = Options(
        min_score=min_score,
        waiting_priority=waiting_priority,
        balance_organisations=balance,
        block_digits=block_digits,
    )
    result, texts = _run_round(persons, slots, kind, day, options, knowledge)
    _write_matches(out, result, texts)
    summary = _summary(result)
    if output == OutputFormat.json:
        print_json(summary)
        return
    _print_round(result, summary)
    console.print(_("Matches and reasons for every person: {path}").format(path=out))


def _run_round(
    persons: pl.DataFrame,
    slots: pl.DataFrame,
    kind: Kind,
    day: dt.date,
    options: Options,
    knowledge: Knowledge,
) -> tuple[MatchResult, dict[str, str]]:
    """The round and every person's explanation, behind a progress bar of its phases."""
    with progress_bar() as progress:
        task = progress.add_task(_("matching"), total=len(PHASES) + 1)

        def advance(phase: str) -> None:
            progress.update(task, description=phase, completed=PHASES.index(phase))

        try:
            result = match(persons, slots, kind, day, options, knowledge, progress=advance)
        except DateOutOfCoverageError as error:
            fail(f"--on: {error}")
        progress.update(task, description=_("explanations"), completed=len(PHASES))
        texts = explanations(result, knowledge)
        progress.update(task, completed=len(PHASES) + 1)
    return result, texts


def _print_round(result: MatchResult, summary: dict[str, object]) -> None:
    kind, day = result.kind, result.on
    table = Table(title=_("Matching round ({kind}, {on})").format(kind=kind.value, on=day))
    table.add_column(_("figure"))
    table.add_column(_("value"), justify="right")
    table.add_row(
        _("persons / slots / places"),
        f"{result.persons.height} / {result.slots.height} / {summary['places']}",
    )
    table.add_row(_("matched"), str(result.placed))
    for reason, count in result.unmatched_by_reason().items():
        table.add_row(_("unmatched: {reason}").format(reason=reason_text(reason)), str(count))
    table.add_row(_("expected placements (optimal)"), f"{result.objective:.2f}")
    table.add_row(
        _("expected placements (first come, first served)"),
        f"{result.greedy_objective:.2f} ({result.greedy_placed} {_('matched')})",
    )
    uplift = "-" if result.uplift is None else f"{result.uplift:+.1%}"
    table.add_row(_("uplift over greedy"), uplift)
    console.print(table)


def _write_matches(path: Path, result: MatchResult, texts: dict[str, str]) -> None:
    """One row per match (a person with a capacity above one may have several) and one per
    person without a match."""
    try:
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(
                ["person_id", "slot_id", "status", "reason", "fit", "probability", "explanation"]
            )
            for row in result.outcomes.iter_rows(named=True):
                person_id = row["person_id"]
                matches = [
                    result.assignments.row(position, named=True)
                    for position in result.rows_of("assignments", person_id)
                ]
                for match_row in matches:
                    writer.writerow(
                        [
                            person_id,
                            match_row["slot_id"],
                            "matched",
                            MATCHED,
                            match_row["fit"],
                            match_row["probability"],
                            texts[person_id],
                        ]
                    )
                if not matches:
                    writer.writerow(
                        [person_id, "", "unmatched", row["reason"], "", "", texts[person_id]]
                    )
    except OSError as error:
        fail(f"--out: cannot write {path}: {error.strerror}")


def gaps_command(
    input_dir: InputOption,
    on: DateOption = None,
    svg: Annotated[
        Path | None, typer.Option("--svg", help="Write the chart to this SVG file.")
    ] = None,
    output: FormatOption = OutputFormat.table,
    kind: Annotated[
        Kind,
        typer.Option(
            "--kind",
            help="vacancy, or internship (rules asked on the offer's dates)",
            case_sensitive=False,
        ),
    ] = Kind.vacancy,
) -> None:
    """For each vacancy or internship offer: candidates who qualify now and in 3, 6, 12
    months, and why not."""
    if kind is Kind.mentoring:
        fail("--kind: got 'mentoring'; allowed: vacancy, internship")
    day = parse_date(on)
    knowledge = knowledge_or_fail()
    persons, slots = _frames(input_dir, kind, knowledge)
    try:
        report = gap_analysis(persons, slots, day, knowledge, kind=kind)
    except DateOutOfCoverageError as error:
        fail(f"--on: {error}")
    words = sentences(report)
    if svg is not None:
        try:
            svg.write_text(svg_chart(report), encoding="utf-8")
        except OSError as error:
            fail(f"--svg: cannot write {svg}: {error.strerror}")
    if output == OutputFormat.json:
        print_json(_gaps_json(day, report, words))
        return
    _print_gaps(day, report, words)


def _gaps_json(day: dt.date, report: GapReport, words: dict[str, str]) -> dict[str, object]:
    return {
        "on": day.isoformat(),
        "months_per_cefr_level": report.months_per_level,
        "recognition_months": report.recognition_months,
        "vacancies": [
            {
                "slot_id": gap.slot_id,
                "occupation": gap.occupation,
                "posts": gap.posts,
                "candidates": gap.candidates,
                "qualifying": {str(m): n for m, n in gap.qualifying.items()},
                "blockers": {str(m): b for m, b in gap.blockers.items()},
                "text": words[gap.slot_id],
            }
            for gap in report.vacancies
        ],
    }


def _print_gaps(day: dt.date, report: GapReport, words: dict[str, str]) -> None:
    table = Table(title=_("Who could fill each vacancy ({on})").format(on=day))
    table.add_column(_("vacancy"))
    table.add_column(_("candidates"), justify="right")
    for months in report.horizons:
        table.add_column(_("now") if months == 0 else f"+{months} m", justify="right")
    for gap in report.vacancies:
        table.add_row(
            gap.slot_id,
            str(gap.candidates),
            *(str(gap.qualifying[m]) for m in report.horizons),
        )
    console.print(table)
    for text in words.values():
        console.print(text, highlight=False)
