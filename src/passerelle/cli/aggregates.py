"""`passerelle aggregates-rebuild`: the figures' aggregates computed from scratch (after a
migration, an import written in bulk, a repair; the scheduler runs it each night)."""

from __future__ import annotations

import typer

from passerelle.cli.common import django_setup
from passerelle.core.i18n import _


def aggregates_rebuild_command() -> None:
    """Rebuild the aggregates of the dashboard and the funder report from every record
    (docs/indicators.md, "Aggregates")."""
    django_setup()
    from passerelle.web.apps.monitoring.aggregates import aggregates_rebuild

    state = aggregates_rebuild()
    typer.echo(
        _("aggregates rebuilt for {day} in {seconds} s (version {version})").format(
            day=state.as_of, seconds=f"{state.build_seconds:.1f}", version=state.version
        )
    )
