"""Questions about the landscape on a date: is an organisation active, dormant, part of
another; which programmes are offered."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from passerelle.knowledge.dates import PartialDate
from passerelle.knowledge.loader import Knowledge
from passerelle.knowledge.model import Citation, Organisation, StatusPeriod

StatusOnDate = Literal["active", "dormant", "not_yet_founded", "closed", "part_of", "unknown"]


@dataclass(frozen=True)
class OrganisationStatus:
    id: str
    name: str
    status: StatusOnDate
    parent: str | None
    since: PartialDate | None
    until: PartialDate | None
    note: str | None
    sources: tuple[Citation, ...]

    @property
    def operating(self) -> bool:
        """Whether the organisation runs its programmes (itself or as part of another)."""
        return self.status in ("active", "part_of", "unknown")

    def offers(self, offered_while_dormant: bool) -> bool:
        """Whether a programme of the organisation is offered: when it operates, or, for a
        published resource such as a guide, also while it is dormant."""
        return self.operating or (offered_while_dormant and self.status == "dormant")


def organisation_status_on(
    organisation: Organisation, on: dt.date, language: str = "en"
) -> OrganisationStatus:
    """The status on a date. Without a dated history the status is `unknown`: the sources
    say the organisation exists but not since when."""
    return status_from_history(
        organisation.id,
        organisation.names.get(language),
        organisation.status_history,
        on,
        tuple(organisation.sources),
    )


def status_from_history(
    organisation_id: str,
    name: str,
    history: Sequence[StatusPeriod],
    on: dt.date,
    sources: tuple[Citation, ...] = (),
) -> OrganisationStatus:
    if not history:
        return OrganisationStatus(organisation_id, name, "unknown", None, None, None, None, sources)
    first = history[0]
    if on < first.valid_from.first_day:
        status: StatusOnDate = "unknown" if first.from_earliest_evidence else "not_yet_founded"
        return OrganisationStatus(
            organisation_id,
            name,
            status,
            None,
            None,
            first.valid_from,
            None,
            tuple(first.sources),
        )
    current = first
    upcoming: PartialDate | None = None
    for position, period in enumerate(history):
        if period.valid_from.first_day <= on:
            current = period
            following = history[position + 1] if position + 1 < len(history) else None
            upcoming = following.valid_from if following else None
    if current.valid_to is not None and on >= current.valid_to.first_day:
        return OrganisationStatus(
            organisation_id,
            name,
            "closed",
            None,
            current.valid_to,
            upcoming,
            current.note,
            tuple(current.sources),
        )
    return OrganisationStatus(
        organisation_id,
        name,
        current.status,
        current.parent,
        current.valid_from,
        current.valid_to or upcoming,
        current.note,
        tuple(current.sources),
    )


def organisations_on(
    knowledge: Knowledge, on: dt.date, language: str = "en"
) -> list[OrganisationStatus]:
    return [
        organisation_status_on(organisation, on, language)
        for organisation in sorted(knowledge.organisations.values(), key=lambda o: o.id)
    ]


def organisation_change_dates(organisation: Organisation) -> tuple[dt.date, ...]:
    dates: set[dt.date] = set()
    for period in organisation.status_history:
        dates.add(period.valid_from.first_day)
        if period.valid_to is not None:
            dates.add(period.valid_to.first_day)
    return tuple(sorted(dates))
