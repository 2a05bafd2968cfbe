"""The `passerelle` command line: ask the knowledge base and the rules questions.

Every command prints a table by default and JSON with `--format json` (shapes in
docs/cli.md). Bad input ends with a one-line message naming the field and exit code 2.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Column, Table

from passerelle.cli.aggregates import aggregates_rebuild_command
from passerelle.cli.beneficiaries import (
    import_outcomes,
    link_encode_files,
    link_relearn,
    link_run,
)
from passerelle.cli.common import (
    DateOption,
    FormatOption,
    OutputFormat,
    console,
    django_setup,
    errors,
    fail,
    knowledge_or_fail,
    parse_date,
    print_json,
)
from passerelle.cli.demo_activity import demo_activity
from passerelle.cli.evaluation import evaluate, indicators, report
from passerelle.cli.linkage import dedupe_command, encode_command
from passerelle.cli.matching import gaps_command, match_command
from passerelle.cli.people import demo_data, purge, token_issue
from passerelle.cli.referrals import deliver_webhooks, scheduler, worker
from passerelle.cli.simulation import simulate
from passerelle.core.extras import ExtraMissingError, extra_of
from passerelle.core.i18n import _, gettext_noop, long_date
from passerelle.core.landscape import organisations_on
from passerelle.core.profile import Profile, ProfileError, profile_from_file
from passerelle.core.rules.fields import DateOutOfCoverageError
from passerelle.core.rules.options import (
    OPTION_GROUPS,
    options,
    options_json,
    rights,
    rights_json,
)
from passerelle.knowledge.loader import Knowledge, KnowledgeError, load_knowledge

app = typer.Typer(
    help="passerelle: who does what for newcomers in Brussels, and what a person may do.",
    no_args_is_help=True,
    add_completion=False,
)
ProfileArgument = Annotated[
    Path, typer.Argument(help="A JSON file with the person's profile (see docs/cli.md).")
]


def _load_profile(path: Path) -> Profile:
    try:
        return profile_from_file(path)
    except ProfileError as error:
        fail("; ".join(f"{field}: {message}" for field, message in error.errors.items()))


_STATUS_STYLE = {
    "eligible": "green",
    "eligible_from": "yellow",
    "not_eligible": "red",
    "unknown": "magenta",
    "yes": "green",
    "with_permit": "yellow",
    "no": "red",
    "obliged": "green",
    "active": "green",
    "dormant": "yellow",
    "part_of": "cyan",
    "closed": "red",
    "not_yet_founded": "dim",
}


_GROUP_TEXT = {
    "eligible": gettext_noop("checked: open now"),
    "later": gettext_noop("open from a date or after more answers"),
    "ask": gettext_noop("no conditions recorded: ask the organisation"),
    "not_eligible": gettext_noop("not open"),
}


def _styled(value: str) -> str:
    style = _STATUS_STYLE.get(value, "white")
    return f"[{style}]{value}[/]"


def _long_iso(value: str) -> str:
    """A date of the JSON answer (ISO) as the reader reads it in a table."""
    return long_date(dt.date.fromisoformat(value))


def _sources_text(sources: list[dict[str, Any]]) -> str:
    return "; ".join(
        source["id"] + (f" ({source['where']})" if source["where"] else "") for source in sources
    )


def _rights_table(data: dict[str, Any], on: str) -> Table:
    table = Table(
        _("fact"),
        _("value"),
        _("changes"),
        _("reasons"),
        Column(_("sources"), style="dim"),
        title=_("Rights on {on}").format(on=_long_iso(on)),
        show_lines=True,
    )
    for name, fact in data.items():
        change = (
            _("{value} from {date}").format(value=fact["next_value"], date=_long_iso(fact["from"]))
            if fact["from"]
            else ""
        )
        reasons = "\n".join(fact["reasons"])
        if fact["missing"]:
            reasons += "\n" + _("missing: {fields}").format(fields=", ".join(fact["missing"]))
        table.add_row(name, _styled(fact["value"]), change, reasons, _sources_text(fact["sources"]))
    return table


def _answer(
    profile_path: Path, on: str | None, ask: Callable[[Profile, dt.date, Knowledge], Any]
) -> tuple[Knowledge, dt.date, Any]:
    """Load the knowledge base and the profile, read the date, and ask the rules."""
    knowledge = knowledge_or_fail()
    profile = _load_profile(profile_path)
    day = parse_date(on)
    try:
        return knowledge, day, ask(profile, day, knowledge)
    except DateOutOfCoverageError as error:
        fail(str(error))


@app.command("rights")
def rights_command(
    profile_path: ProfileArgument, on: DateOption = None, output: FormatOption = OutputFormat.table
) -> None:
    """The derived facts (right to work, integration pathway) on a date, with reasons,
    sources and the next change."""
    knowledge, day, facts = _answer(profile_path, on, rights)
    data = rights_json(facts, knowledge)
    if output is OutputFormat.json:
        print_json(data)
    else:
        console.print(_rights_table(data, day.isoformat()))


@app.command("options")
def options_command(
    profile_path: ProfileArgument,
    on: DateOption = None,
    output: FormatOption = OutputFormat.table,
    show_all: Annotated[
        bool,
        typer.Option(
            "--all", help="In the table, also list local services of other municipalities."
        ),
    ] = False,
) -> None:
    """Every programme for this person on a date: eligible, eligible from a date, not
    eligible and why, or unknown and what to answer; and the derived facts."""
    knowledge, _day, result = _answer(profile_path, on, options)
    data = options_json(result, knowledge)
    if output is OutputFormat.json:
        print_json(data)
        return
    console.print(_rights_table(data["rights"], data["on"]))
    table = Table(
        _("programme"),
        _("organisation"),
        _("status"),
        _("reasons"),
        title=_("Programmes on {on}").format(on=_long_iso(data["on"])),
        show_lines=True,
    )
    order = {group: rank for rank, group in enumerate(OPTION_GROUPS)}
    shown = [item for item in data["programmes"] if show_all or not item["local_elsewhere"]]
    for item in sorted(shown, key=lambda p: (order[p["group"]], p["id"])):
        status = _styled(item["status"]) + "\n" + _(_GROUP_TEXT[item["group"]])
        if item["from"]:
            status += "\n" + _long_iso(item["from"])
        reasons = "\n".join(item["reasons"])
        if item["missing"]:
            reasons += "\n" + _("answer: {fields}").format(fields=", ".join(item["missing"]))
        website = knowledge.organisations[item["organisation"]].website
        if item["group"] == "ask" and website:
            reasons += "\n" + _("contact: {website}").format(website=website)
        table.add_row(item["id"], item["organisation"], status, reasons)
    console.print(table)
    hidden = len(data["programmes"]) - len(shown)
    if hidden:
        console.print(
            _("{count} local services of other municipalities not shown (--all shows them)").format(
                count=hidden
            )
        )


@app.command("orgs")
def orgs_command(on: DateOption = None, output: FormatOption = OutputFormat.table) -> None:
    """The organisations and their status on a date."""
    knowledge = knowledge_or_fail()
    day = parse_date(on)
    statuses = organisations_on(knowledge, day)
    data = [{"id": s.id, "name": s.name, "status": s.status, "parent": s.parent} for s in statuses]
    if output is OutputFormat.json:
        print_json(data)
        return
    table = Table(
        _("id"),
        _("name"),
        _("status"),
        _("since"),
        _("part of"),
        title=_("Organisations on {on}").format(on=day.isoformat()),
    )
    for status in statuses:
        table.add_row(
            status.id,
            status.name,
            _styled(status.status),
            str(status.since) if status.since else "",
            status.parent or "",
        )
    console.print(table)


@app.command("check-knowledge")
def check_knowledge_command(
    output: FormatOption = OutputFormat.table,
    strict_translations: Annotated[
        bool,
        typer.Option(
            "--strict-translations",
            help="Exit with code 1 when a plain text for readers is missing in a public language.",
        ),
    ] = False,
) -> None:
    """Validate the knowledge base and print what is wrong (exit code 1 if anything is), then
    the plain texts for readers missing per language and how many are unreviewed."""
    try:
        knowledge = load_knowledge()
    except KnowledgeError as error:
        if output is OutputFormat.json:
            print_json({"ok": False, "problems": [problem.__dict__ for problem in error.problems]})
        else:
            for problem in error.problems:
                errors.print(f"[red]✗[/] {problem}", highlight=False)
            errors.print(_("{count} problem(s)").format(count=len(error.problems)))
        raise typer.Exit(code=1) from None
    counts = {
        "organisations": len(knowledge.organisations),
        "programmes": len(knowledge.programmes),
        "partnerships": len(knowledge.partnerships),
        "municipalities": len(knowledge.municipalities),
        "parameters": len(knowledge.parameters),
        "sources": len(knowledge.sources),
    }
    translations = translation_report(knowledge)
    missing_total = sum(row["missing"] for row in translations)
    if output is OutputFormat.json:
        print_json({"ok": True, "counts": counts, "translations": translations})
    else:
        summary = ", ".join(f"{count} {name}" for name, count in counts.items())
        console.print(
            "[green]✓[/] " + _("knowledge base is valid: {summary}").format(summary=summary)
        )
        table = Table(title=_("Plain texts for readers, per language"))
        for column in TRANSLATION_COLUMNS:
            table.add_column(_(column), justify="left" if column == "language" else "right")
        for row in translations:
            table.add_row(*(str(row[column]) for column in TRANSLATION_COLUMNS))
        console.print(table)
        for row in translations:
            if row["missing_ids"]:
                errors.print(
                    _("missing in {language}: {ids}").format(
                        language=row["language"], ids=", ".join(row["missing_ids"])
                    ),
                    highlight=False,
                )
    if strict_translations and missing_total:
        raise typer.Exit(code=1)


TRANSLATION_COLUMNS = (
    gettext_noop("language"),
    gettext_noop("translated from"),
    gettext_noop("present"),
    gettext_noop("missing"),
    gettext_noop("unreviewed"),
)


def translation_report(knowledge: Knowledge) -> list[dict[str, Any]]:
    """Per public language: how many records have their plain text, which lack it, and how
    many of those present no fluent reader has reviewed."""
    rows = []
    for language, missing in knowledge.missing_reader_texts().items():
        catalogue = knowledge.reader.get(language)
        missing_ids = [
            f"{kind[:-1]} {record_id}" for kind, ids in missing.items() for record_id in ids
        ]
        present = [
            entry
            for kind in ("organisations", "programmes")
            for record_id in (
                knowledge.organisations if kind == "organisations" else knowledge.programmes
            )
            if (entry := knowledge.reader_text(kind, record_id, language)) is not None
        ]
        rows.append(
            {
                "language": language,
                "translated from": (catalogue.translated_from or _("original"))
                if catalogue
                else "",
                "present": len(present),
                "missing": len(missing_ids),
                "unreviewed": sum(1 for entry in present if not entry.reviewed),
                "missing_ids": missing_ids,
            }
        )
    return rows


LOAD_COLUMNS = (
    gettext_noop("created"),
    gettext_noop("updated"),
    gettext_noop("unchanged"),
    gettext_noop("retired"),
)


@app.command("load")
def load_command(
    output: FormatOption = OutputFormat.table,
    migrate: Annotated[
        bool, typer.Option(help="Apply database migrations first (default: yes).")
    ] = True,
    wait: Annotated[
        bool,
        typer.Option(
            "--wait/--no-wait",
            help="Load here and print the report (default), or queue the load for the worker.",
        ),
    ] = True,
) -> None:
    """Load the knowledge base into the web database. Idempotent: a second run changes
    nothing; records entered by organisations are never changed or deleted."""
    # Django is imported here, not at the top: the other commands start without it.
    knowledge = knowledge_or_fail()
    django_setup()
    from django.core.management import call_command

    from passerelle.web.apps.directory.services import knowledge_load

    if migrate:
        call_command("migrate", verbosity=0, interactive=False)
    if not wait:
        _load_queue(output)
        return
    report = knowledge_load(knowledge=knowledge)
    data = {
        "created": report.created,
        "updated": report.updated,
        "unchanged": report.unchanged,
        "retired": report.retired,
        "kept_user_records": report.kept_user_records,
    }
    if output is OutputFormat.json:
        print_json(data)
        return
    table = Table(title=_("Knowledge loaded"))
    table.add_column(_("record"))
    for column in LOAD_COLUMNS:
        table.add_column(_(column), justify="right")
    kinds = sorted(
        {kind for bucket in data.values() if isinstance(bucket, dict) for kind in bucket}
    )
    for kind in kinds:
        table.add_row(
            kind,
            *(
                str(report.__dict__[column].get(kind, 0))
                for column in ("created", "updated", "unchanged", "retired")
            ),
        )
    console.print(table)
    for record in report.kept_user_records:
        console.print(_("kept (entered by an organisation): {record}").format(record=record))


def _load_queue(output: OutputFormat) -> None:
    from django.db import transaction

    from passerelle.web.apps.directory.tasks import knowledge_base_load
    from passerelle.web.apps.ops.queue import enqueue

    with transaction.atomic():
        enqueue(knowledge_base_load)
    if output is OutputFormat.json:
        print_json({"status": "queued"})
        return
    console.print(_("Load queued: the worker loads the knowledge base (see the task list)."))


@app.command("export-hsds")
def export_hsds_command(
    directory: Annotated[Path, typer.Argument(help="Directory to write (created if missing).")],
    language: Annotated[
        str, typer.Option("--language", "-l", help="fr, nl, en (default) or ar")
    ] = "en",
) -> None:
    """The directory as Open Referral HSDS 3.0: JSON records and a tabular data package."""
    # Django is imported here, not at the top: the other commands start without it.
    django_setup()
    from passerelle.web.apps.directory.export import export_hsds

    try:
        report = export_hsds(directory, language)
    except ValueError as error:
        fail(str(error))
    console.print(
        _(
            "{directory}: {records} records, {written} written, {unchanged} unchanged, "
            "{removed} removed"
        ).format(
            directory=report.directory,
            records=report.records,
            written=len(report.written),
            unchanged=report.unchanged,
            removed=len(report.removed),
        )
    )


app.command("purge")(purge)
app.command("demo-data")(demo_data)
app.command("demo-activity")(demo_activity)
app.command("token")(token_issue)
app.command("match")(match_command)
app.command("gaps")(gaps_command)
app.command("simulate")(simulate)
app.command("evaluate")(evaluate)
app.command("report")(report)
app.command("indicators")(indicators)
app.command("deliver-webhooks")(deliver_webhooks)
app.command("worker")(worker)
app.command("scheduler")(scheduler)
app.command("dedupe")(dedupe_command)
app.command("encode")(encode_command)
app.command("link-run")(link_run)
app.command("link-encode-files")(link_encode_files)
app.command("link-relearn")(link_relearn)
app.command("import-outcomes")(import_outcomes)
app.command("aggregates-rebuild")(aggregates_rebuild_command)


def run() -> None:
    """The `passerelle` command: the Typer app, and one line naming the optional extra to
    install when a command needs one that is missing (instead of a traceback)."""
    try:
        app()
    except ModuleNotFoundError as error:
        extra = extra_of(error)
        if extra is None:
            raise
        module = error.module if isinstance(error, ExtraMissingError) else error.name or ""
        message = _(
            "this command needs the optional '{extra}' extra (module {module} is not "
            "installed): pip install 'passerelle[{extra}]'"
        ).format(extra=extra, module=module.split(".")[0])
        typer.echo(f"passerelle: {message}", err=True)
        raise SystemExit(2) from None


if __name__ == "__main__":  # pragma: no cover
    run()
