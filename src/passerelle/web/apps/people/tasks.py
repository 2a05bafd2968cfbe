"""Background work on person files: the retention purge (docs/operations.md, "Schedules")."""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from passerelle.web.apps.accounts.admin_mail import mail_platform_admins
from passerelle.web.apps.ops.queue import background_task
from passerelle.web.apps.people.services import persons_purge


@background_task(retries=2)
def retention_purge() -> dict[str, object]:
    """Schedule `retention-purge`: anonymise the files closed longer ago than
    PERSON_RETENTION_DAYS when RETENTION_PURGE_ENABLED, else a dry run; either way the
    platform administrators get the report (counts and a date, no personal data)."""
    apply = bool(getattr(settings, "RETENTION_PURGE_ENABLED", False))
    days = settings.PERSON_RETENTION_DAYS
    report = persons_purge(on=timezone.localdate(), retention_days=days, apply=apply)

    def text() -> tuple[str, str]:
        subject = _("passerelle: retention purge ({mode})").format(
            mode=_("done") if apply else _("dry run")
        )
        lines = [
            _("{due} closed file(s) closed before {cutoff} are due for anonymisation.").format(
                due=report.due, cutoff=report.cutoff
            )
        ]
        if apply:
            lines.append(_("{count} file(s) anonymised.").format(count=report.anonymised))
        else:
            lines.append(
                _(
                    "Dry run: nothing changed. Set RETENTION_PURGE_ENABLED to anonymise them "
                    "on the next run."
                )
            )
        return str(subject), "\n\n".join(str(line) for line in lines) + "\n"

    mail_platform_admins(text)
    return {
        "cutoff": report.cutoff.isoformat(),
        "due": report.due,
        "anonymised": report.anonymised,
        "dry_run": not apply,
    }
