"""`passerelle link-run` and `passerelle link-encode-files`: the platform's linkage of every
organisation's encodings (unique beneficiaries; docs/linkage.md, "In the platform"), and
`passerelle import-outcomes`: administrative outcomes matched to its persons
(docs/outcomes.md)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.progress import TaskID

from passerelle.cli.common import (
    FormatOption,
    LinkThresholdOption,
    OutputFormat,
    console,
    django_setup,
    fail,
    print_json_line,
    progress_bar,
)
from passerelle.core.i18n import _
from passerelle.core.linkage import DEFAULT_THRESHOLD

if TYPE_CHECKING:
    from passerelle.web.apps.beneficiaries.services import OutcomesResult


def link_run(
    threshold: LinkThresholdOption = DEFAULT_THRESHOLD,
    review_low: Annotated[
        float, typer.Option("--review-low", help="Pairs from this probability are reviewed.")
    ] = 0.3,
    review_high: Annotated[
        float, typer.Option("--review-high", help="... up to (not including) this one.")
    ] = 0.9,
    output: FormatOption = OutputFormat.table,
) -> None:
    """Link every organisation's encodings, apply the review decisions, store the clusters."""
    django_setup()
    from passerelle.web.apps.beneficiaries import services

    try:
        run = services.run_start(
            actor_label="cli", threshold=threshold, review_low=review_low, review_high=review_high
        )
    except ValueError as error:
        fail(str(error))
    with progress_bar(to=console, disable=output != OutputFormat.table) as bar:
        task = bar.add_task(_("reading encodings"), total=run.steps)

        def step(message: str) -> None:
            bar.update(task, description=message, advance=1)

        run = services.run_execute(run_id=run.pk, progress=step)
    if run.status != "done":
        fail(_("linkage run {id} failed: {error}").format(id=run.pk, error=run.error))
    summary = {
        "run": run.pk,
        "records": run.records,
        "organisations": run.organisations,
        "persons": run.clusters,
        "pairs_to_review": run.pairs.count(),
        "decisions_applied": run.decisions_applied,
    }
    if output == OutputFormat.json:
        print_json_line(summary)
        return
    console.print(
        _(
            "Run {run}: {records} records from {organisations} organisations → {persons} "
            "persons; {pairs_to_review} pairs to review; {decisions_applied} decisions applied"
        ).format(**summary)
    )


def link_encode_files(
    organisation: Annotated[str, typer.Argument(help="The organisation's slug.")],
    wait: Annotated[
        bool,
        typer.Option(
            "--wait/--no-wait",
            help="Encode here and print the counts (default), or queue the encoding for the "
            "worker and print its job.",
        ),
    ] = True,
) -> None:
    """Encode an organisation's person files with the sector key (PASSERELLE_LINKAGE_KEY_FILE)
    and share the encodings, replacing its previous ones."""
    django_setup()
    from passerelle.core.linkage import KeyFileError
    from passerelle.web.apps.beneficiaries import services, tasks
    from passerelle.web.apps.directory.models import Organisation
    from passerelle.web.common.actors import Actor

    found = Organisation.objects.filter(slug=organisation).first()
    if found is None:
        fail(_("organisation: {slug!r} is not in the directory").format(slug=organisation))
    actor = Actor(organisation=found, role="coordinator", label="cli")
    try:
        if not wait:
            services.sector_key()  # said at once, as the page does
            job = tasks.encodings_upload_queue(
                organisation=found, from_person_files=True, role="coordinator", actor_label="cli"
            )
            console.print(
                _(
                    "Encoding queued as job {id}: the worker encodes and shares the files; its "
                    "page is /analysis/beneficiaries/share/uploads/{id}/"
                ).format(id=job.pk)
            )
            return
        batch = services.encodings_from_person_files(actor=actor)
    except (services.SectorKeyMissingError, KeyFileError) as error:
        fail(_("sector key: {error}").format(error=error))
    console.print(
        _("{records} person files encoded ({participations} participations)").format(
            records=batch.records, participations=batch.participations
        )
    )


def link_relearn(
    threshold: LinkThresholdOption = DEFAULT_THRESHOLD,
    apply: Annotated[
        bool,
        typer.Option(
            "--apply",
            help="Keep the relearned model for later runs if the held-out check finds it "
            "better (PASSERELLE_LINKAGE_MODEL_FILE).",
        ),
    ] = False,
    output: FormatOption = OutputFormat.table,
) -> None:
    """Re-estimate the linkage model from the review decisions; report the held-out check."""
    django_setup()
    from passerelle.core.linkage import LinkageInputError
    from passerelle.web.apps.beneficiaries import relearn

    try:
        report, kept = relearn.relearn_from_decisions(
            threshold=threshold, apply=apply, actor_label="cli"
        )
    except (LinkageInputError, relearn.ModelFileMissingError) as error:
        fail(str(error))
    summary = {
        "labels": report.labels,
        "matches_used": report.matches_used,
        "held_out": report.held_out,
        "brier_current": round(report.current.brier, 4),
        "brier_relearned": round(report.relearned.brier, 4),
        "wrong_current": report.current.wrong,
        "wrong_relearned": report.relearned.wrong,
        "better": report.better,
        "kept": kept,
    }
    if output == OutputFormat.json:
        print_json_line(summary)
        return
    console.print(
        _(
            "{labels} decisions: m re-estimated from {matches_used} matches, checked on "
            "{held_out} held out. Brier score {brier_current} now, {brier_relearned} "
            "relearned; pairs on the wrong side {wrong_current} now, {wrong_relearned} "
            "relearned."
        ).format(**summary)
    )
    if report.better:
        console.print(
            _("The relearned model is better: kept for later runs.")
            if kept
            else _("The relearned model is better; run again with --apply to use it.")
        )
    else:
        console.print(_("The relearned model is not better: the current model stays."))


ROWS_SHOWN = 50
"""Row numbers listed per kind in the table output (all of them in JSON)."""


def _rows_text(rows: list[int]) -> str:
    shown = ", ".join(str(row) for row in rows[:ROWS_SHOWN])
    if len(rows) > ROWS_SHOWN:
        shown += " " + _("and {count} more").format(count=len(rows) - ROWS_SHOWN)
    return shown


def import_outcomes(
    file: Annotated[
        Path,
        typer.Argument(
            help="CSV: the columns of `passerelle encode` with outcome_date, situation, "
            "contract_type, hours and source (docs/outcomes.md)."
        ),
    ],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Check and match the rows; store nothing.")
    ] = False,
    wait: Annotated[
        bool,
        typer.Option(
            "--wait/--no-wait",
            help="Import here and print the report (default), or queue the import for the "
            "worker and print its job.",
        ),
    ] = True,
    output: FormatOption = OutputFormat.table,
) -> None:
    """Import administrative outcomes, matched to the platform's persons by their encodings."""
    django_setup()
    from passerelle.web.apps.beneficiaries import services, tasks

    try:
        content = file.read_bytes()
    except OSError as error:
        fail(_("FILE: cannot read {path} ({error})").format(path=file, error=error.strerror))
    if not wait:
        job = tasks.outcomes_import_queue(content=content, actor_label="cli", dry_run=dry_run)
        if output == OutputFormat.json:
            print_json_line({"job": job.pk, "status": job.status})
        else:
            console.print(
                _(
                    "Import queued as job {id}: the worker imports it; its page is "
                    "/analysis/beneficiaries/outcomes/imports/{id}/"
                ).format(id=job.pk)
            )
        return
    job = services.outcomes_job_create(content=content, actor_label="cli", dry_run=dry_run)
    _run_job(job.pk, output)
    job.refresh_from_db()
    if job.status != "done":
        fail("; ".join(f"{name}: {text}" if name else text for name, text in job.problems))
    if output == OutputFormat.json:
        print_json_line({"job": job.pk, **(job.report or {})})
        return
    _print_import(_result_of(job.sha256, job.report or {}))


def _result_of(sha256: str, report: dict[str, Any]) -> OutcomesResult:
    """The import's result again, from what its job kept."""
    from passerelle.web.apps.beneficiaries.services import OutcomesResult

    return OutcomesResult(
        sha256=sha256,
        rows=report["rows"],
        stored=report["stored"],
        already_stored=report["already_stored"],
        unmatched_rows=report["unmatched_rows"],
        ambiguous_rows=report["ambiguous_rows"],
        run_id=report["run"],
        import_id=report["import"],
        repeated=report["repeated"],
        dry_run=report["dry_run"],
    )


def _run_job(job_id: int, output: OutputFormat) -> None:
    """Run the import here, with a progress bar (English, as the other commands: the job
    has no language, so the file's checks answer in English)."""
    from passerelle.web.apps.beneficiaries import services

    steps = {
        "reading": _("reading rows"),
        "scoring": _("scoring pairs with the run's model"),
        "matching": _("matching rows to persons"),
        "storing": _("storing"),
    }
    with progress_bar(to=console, counts=True, disable=output != OutputFormat.table) as bar:
        bars: dict[str, TaskID] = {}

        def progress(step: str, done: int, total: int) -> None:
            if step not in bars:
                bars[step] = bar.add_task(steps[step], total=total)
            bar.update(bars[step], completed=done, total=total)

        services.outcomes_job_run(job_id=job_id, progress=progress, last_attempt=True)


def _print_import(result: OutcomesResult) -> None:
    if result.repeated:
        console.print(
            _("This file was imported before (import {id}): nothing stored again.").format(
                id=result.import_id
            )
        )
    elif result.dry_run:
        console.print(
            _("Dry run: {rows} rows; {stored} would be stored. Nothing was stored.").format(
                rows=result.rows, stored=result.stored
            )
        )
    else:
        console.print(
            _(
                "Import {id}: {rows} rows matched against linkage run {run}; {stored} outcomes "
                "stored, {already_stored} already stored."
            ).format(
                id=result.import_id,
                rows=result.rows,
                run=result.run_id,
                stored=result.stored,
                already_stored=result.already_stored,
            )
        )
    console.print(
        _("Unmatched rows: {count}").format(count=len(result.unmatched_rows))
        + (f" ({_rows_text(result.unmatched_rows)})" if result.unmatched_rows else "")
    )
    console.print(
        _("Ambiguous rows (not stored): {count}").format(count=len(result.ambiguous_rows))
        + (f" ({_rows_text(result.ambiguous_rows)})" if result.ambiguous_rows else "")
    )
