"""What every `passerelle` command shares: the consoles, the output format and date
options, the one-line failure (exit code 2), JSON printing, loading the knowledge base,
the progress bar and starting Django for the commands that use the web apps.
Command modules import these from here, and `main` imports the command modules, so that no
module of the CLI imports one that imports it back."""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Mapping
from enum import StrEnum
from typing import Annotated, Any, NoReturn
from zoneinfo import ZoneInfo

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from passerelle.knowledge.loader import Knowledge, KnowledgeError, load_knowledge

# Re-exported for the commands that need Django: `passerelle.web.setup` imports nothing of
# Django until it is called, so the other commands start without it.
from passerelle.web.setup import django_setup as django_setup

console = Console()
errors = Console(stderr=True)


class OutputFormat(StrEnum):
    table = "table"
    json = "json"


FormatOption = Annotated[
    OutputFormat, typer.Option("--format", "-f", help="table (default) or json")
]


def fail(message: str) -> NoReturn:
    """End the command with `message` on stderr and exit code 2 (bad input)."""
    errors.print(f"[bold red]error:[/] {message}", highlight=False)
    raise typer.Exit(code=2)


PLATFORM_TIME_ZONE = ZoneInfo("Europe/Brussels")
"""The platform's time zone, as `TIME_ZONE` in web/config/settings/base.py."""


def today() -> dt.date:
    """Today in Brussels: the CLI's one clock (the web's is `django.utils.timezone`)."""
    return dt.datetime.now(tz=PLATFORM_TIME_ZONE).date()


def parse_date(value: str | None, option: str = "--on") -> dt.date:
    """The date of option `option` (YYYY-MM-DD), today's when it is not given."""
    if value is None:
        return today()
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        fail(f"{option}: {value!r} is not a date; expected YYYY-MM-DD")


DateOption = Annotated[
    str | None, typer.Option("--on", help="The date, YYYY-MM-DD (default: today).")
]

LinkThresholdOption = Annotated[
    float, typer.Option("--threshold", help="Match probability joining two records.")
]
"""The linkage's threshold (`dedupe`, `link-run`, `link-relearn`); its default is
`core.linkage.DEFAULT_THRESHOLD`."""


def knowledge_or_fail() -> Knowledge:
    """The knowledge base, or a one-line failure naming what is wrong in it."""
    try:
        return load_knowledge()
    except KnowledgeError as error:
        fail(str(error))


def print_json(data: Any) -> None:
    """A command's answer as indented JSON (`--format json`): text as it is, dates and paths
    as text."""
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")


def print_json_line(data: Mapping[str, Any]) -> None:
    """A command's summary as one line of JSON (`--format json`), for scripts that read the
    output line by line."""
    sys.stdout.write(json.dumps(data) + "\n")


def progress_bar(*, to: Console = errors, counts: bool = False, disable: bool = False) -> Progress:
    """A transient progress bar on `to`: the step, the bar, `done/total` when `counts`, and the
    time elapsed. Disabled for JSON output so that stdout stays one document."""
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        *([MofNCompleteColumn()] if counts else []),
        TimeElapsedColumn(),
        console=to,
        transient=True,
        disable=disable,
    )
