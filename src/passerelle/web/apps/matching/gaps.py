"""The employers' and hosts' gap analysis in the platform (vacancies and internship
offers): the engine's `gap_analysis` over the persons who consented to matching, reduced to
counts, small cells withheld as in the monitoring app (`suppress_small_cells`, threshold
`MONITORING_THRESHOLD`), the counts left perturbed by cell key (`core.disclosure`: an
employer who opens two offers that differ by one requirement cannot difference them), put
in words and drawn by the engine's `gap_chart` (`core.charts`). No candidate is named or counted
in a cell below the threshold."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import Any

import polars as pl
from django.utils.translation import gettext as _

from passerelle.core.disclosure import MODULUS, perturb_frame, record_key
from passerelle.core.indicators.suppression import suppress_small_cells
from passerelle.core.matching.gaps import (
    BLOCKERS,
    HORIZONS,
    blocker_name,
    gap_analysis,
    gap_chart,
)
from passerelle.core.matching.model import Kind, persons_frame, slots_frame
from passerelle.web.apps.matching.candidates import candidates_on
from passerelle.web.apps.matching.models import InternshipOffer, Vacancy
from passerelle.web.apps.matching.services import offer_slot, vacancy_slot
from passerelle.web.apps.monitoring.data import cell_key_secret, threshold

COUNTS = ("candidates", "qualifying", *BLOCKERS)
KEYS = tuple(f"{name}_key" for name in COUNTS)


Offer = Vacancy | InternshipOffer


@dataclass(frozen=True)
class OfferGaps:
    record: Offer
    rows: list[dict[str, Any]]
    """One per horizon (months): candidates, qualifying, each blocker; None = withheld."""
    text: list[str]
    chart: str

    @property
    def kind(self) -> Kind:
        return kind_of(self.record)

    @property
    def rules_label(self) -> str:
        """The rules' obstacle: the right to work, or the programme's eligibility."""
        return blocker_name("right_to_work", self.kind)


def kind_of(record: Offer) -> Kind:
    return Kind.internship if isinstance(record, InternshipOffer) else Kind.vacancy


def _when(months: int) -> str:
    return _("now") if months == 0 else _("in {months} months").format(months=months)


def _count(value: Any) -> str:
    # not "fewer than 5": a count whose perturbed value falls under it is withheld too
    return _("withheld") if value is None else str(value)


def gap_frame(records: list[Offer], on: dt.date, *, perturbed: bool = True) -> pl.DataFrame:
    """Counts per vacancy or internship offer (`slot_id` = its id) and horizon, small cells
    withheld, the others perturbed by cell key (`perturbed=False`: exact, for checking the
    engine, never for publishing). Vacancies and offers are analysed apart (their rules
    differ: the right to work, or the programme's eligibility on the offer's dates)."""
    candidates = candidates_on(on)
    persons = persons_frame([c.engine for c in candidates]) if candidates else None
    secret = cell_key_secret()
    keys = [record_key(c.engine.id, secret) for c in candidates] if perturbed else None
    frames = []
    for kind in (Kind.vacancy, Kind.internship):
        slots = [
            replace(
                vacancy_slot(r, on) if isinstance(r, Vacancy) else offer_slot(r),
                id=str(r.pk),
            )
            for r in records
            if kind_of(r) is kind
        ]
        if not slots:
            continue
        if persons is not None:
            report = gap_analysis(persons, slots_frame(slots), on, kind=kind, record_keys=keys)
            frames.append(
                report.to_frame().select("slot_id", "months", *COUNTS, *(KEYS if perturbed else ()))
            )
        else:
            frames.append(
                pl.DataFrame(
                    [
                        {"slot_id": s.id, "months": m, **dict.fromkeys(COUNTS, 0)}
                        for s in slots
                        for m in HORIZONS
                    ],
                    schema={
                        "slot_id": pl.String,
                        "months": pl.Int64,
                        **dict.fromkeys(COUNTS, pl.Int64),
                    },
                )
            )
    return suppress_gaps(pl.concat(frames, how="vertical_relaxed"), threshold())


def suppress_gaps(frame: pl.DataFrame, limit: int) -> pl.DataFrame:
    """Small cells withheld with the monitoring app's helper, in two groups per row so that
    a small obstacle count does not hide who qualifies:

    - candidates, those who qualify and those who do not (row suppression over the three:
      any of them from 1 to `limit` - 1 withholds all three, so none is the difference of
      two others shown); `suppressed`;
    - the obstacles (row suppression over them), withheld too whenever the first group is,
      so that a single obstacle cannot give back the number who do not qualify;
      `blockers_suppressed`.

    With the counts' cell keys (`<count>_key` columns, as `gap_frame` gives them) each group
    is then perturbed (`core.disclosure.perturb_frame`), a count whose perturbed value falls
    below `limit` withholding its group like a small one.
    """
    keys = ["slot_id", "months"]
    keyed = "candidates_key" in frame.columns
    frame = frame.with_columns(not_qualifying=pl.col("candidates") - pl.col("qualifying"))
    if keyed:
        frame = frame.with_columns(
            not_qualifying_key=(pl.col("candidates_key") - pl.col("qualifying_key")) % MODULUS
        )
    people = ["candidates", "qualifying", "not_qualifying"]
    first = suppress_small_cells(
        frame.select(*keys, *people, *(f"{c}_key" for c in people if keyed)),
        limit,
        counts=people,
    )
    second = suppress_small_cells(
        frame.select(*keys, *BLOCKERS, *(f"{c}_key" for c in BLOCKERS if keyed)),
        limit,
        counts=list(BLOCKERS),
    )
    if keyed:
        first = perturb_frame(first, {c: f"{c}_key" for c in people}, threshold=limit)
        second = perturb_frame(second, {c: f"{c}_key" for c in BLOCKERS}, threshold=limit)
    second = second.rename({"suppressed": "blockers_suppressed"})
    joined = first.join(second, on=keys, how="left")
    hidden = pl.col("suppressed") | pl.col("blockers_suppressed")
    return joined.with_columns(
        [pl.when(hidden).then(None).otherwise(pl.col(name)).alias(name) for name in BLOCKERS]
    ).with_columns(blockers_suppressed=hidden)


def _sentences(rows: list[dict[str, Any]], kind: Kind) -> list[str]:
    first = rows[0]
    if first["suppressed"] and all(row["suppressed"] for row in rows):
        return [
            _(
                "Fewer than {threshold} candidates, or a figure below it once slightly "
                "perturbed: the counts are withheld to protect the people behind them."
            ).format(threshold=threshold())
        ]
    if first["candidates"] == 0:
        return [_("No registered candidate has this occupation or wishes it yet.")]
    text = [
        _("{total} candidates have this occupation or wish it; {now} could start now.").format(
            total=_count(first["candidates"]), now=_count(first["qualifying"])
        ),
        _("If they start a language course and a diploma recognition now: {later}.").format(
            later=", ".join(
                _("{count} {when}").format(
                    count=_count(row["qualifying"]), when=_when(row["months"])
                )
                for row in rows[1:]
            )
        ),
    ]
    if not first["blockers_suppressed"]:
        blocking = sorted(((first[name], name) for name in BLOCKERS if first[name]), reverse=True)
        if blocking:
            text.append(
                _("What stands in the way now: {blockers}.").format(
                    blockers=", ".join(
                        _("{blocker} for {count}").format(
                            blocker=blocker_name(name, kind), count=count
                        )
                        for count, name in blocking
                    )
                )
            )
    return text


def _chart(record: Offer, rows: list[dict[str, Any]], rtl: bool) -> str:
    scene = gap_chart(rows, kind_of(record), vacancy=record.title, rtl=rtl)
    return "" if scene is None else scene.svg()


def offer_gaps(records: list[Offer], on: dt.date, *, rtl: bool = False) -> list[OfferGaps]:
    """The gap analysis of vacancies and internship offers, in words and as charts."""
    if not records:
        return []
    frame = gap_frame(records, on)
    out = []
    for record in records:
        rows = frame.filter(pl.col("slot_id") == str(record.pk)).sort("months").to_dicts()
        out.append(
            OfferGaps(record, rows, _sentences(rows, kind_of(record)), _chart(record, rows, rtl))
        )
    return out
