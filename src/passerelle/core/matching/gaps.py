"""Gap analysis for employers and host organisations: for each vacancy or internship offer,
how many candidates qualify now and in 3, 6 and 12 months, and what holds the others back.

The candidates of a vacancy are the persons paired with it by the same blocking as matching
(occupation or wish). The projection assumes that each candidate starts now a course in the
vacancy's best-suited accepted language (one CEFR level per
`skills.language_course.months_per_cefr_level` months) and, with a foreign diploma,
a recognition procedure (`skills.diploma_recognition.months`); the right to work and, for a
programme, eligibility are asked of the rules engine on the future date (the end of an
asylum seeker's waiting period, for instance). An internship has its own dates: for it (and
any kind but a vacancy) the rules are asked on the later of the offer's first day and that
future date, and what they ask is the programme's eligibility (`PROGRAMME_BY_KIND`), not the
right to work (`blocker_name`). A driving licence and the diploma level are not projected.
Only counts leave this module: no candidate is named.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

from passerelle.core.charts import Scene, bar_chart, stack
from passerelle.core.disclosure import MODULUS
from passerelle.core.i18n import _, gettext_noop
from passerelle.core.matching.model import Kind
from passerelle.core.matching.pairs import AVAILABILITY, Options, candidate_pairs, evaluate_pairs
from passerelle.core.matching.pairs import BLOCKERS as CONSTRAINT_BLOCKERS
from passerelle.knowledge.dates import anniversary
from passerelle.knowledge.loader import Knowledge, load_knowledge

HORIZONS = (0, 3, 6, 12)
# A candidate's availability is not projected (the offer's start is not something they can
# gain by a course or a procedure), so it is no blocker of the gap analysis.
BLOCKERS = {name: bits for name, bits in CONSTRAINT_BLOCKERS.items() if bits != AVAILABILITY}
BLOCKER_NAMES = {
    "right_to_work": gettext_noop("right to work"),
    "language": gettext_noop("language"),
    "recognition": gettext_noop("diploma recognition"),
    "diploma": gettext_noop("diploma level"),
    "licence": gettext_noop("driving licence"),
}
"""For a vacancy; `blocker_name` for every kind."""
RULES_BLOCKER_NAMES = {
    Kind.vacancy: gettext_noop("right to work"),
    Kind.internship: gettext_noop("programme eligibility on the dates"),
    Kind.mentoring: gettext_noop("programme eligibility on the dates"),
}


def blocker_name(name: str, kind: Kind = Kind.vacancy) -> str:
    """A blocker in words (current language). The rules' blocker (`right_to_work`) is the
    right to work for a vacancy and the programme's eligibility for the other kinds."""
    if name == "right_to_work":
        return _(RULES_BLOCKER_NAMES[kind])
    return _(BLOCKER_NAMES[name])


@dataclass(frozen=True)
class VacancyGap:
    slot_id: str
    occupation: str | None
    organisation: str | None
    posts: int
    candidates: int
    qualifying: dict[int, int]
    """Months from now -> candidates who qualify then."""
    blockers: dict[int, dict[str, int]]
    """Months from now -> blocker -> candidates it holds back (one may have several)."""
    keys: dict[str, int] | None = None
    """With `record_keys`: the cell key of each count (`core.disclosure`), named as the
    columns of `GapReport.to_frame` ("candidates", "qualifying_12", "language_0", ...)."""


@dataclass(frozen=True)
class GapReport:
    on: dt.date
    horizons: tuple[int, ...]
    months_per_level: int
    recognition_months: int
    vacancies: tuple[VacancyGap, ...]
    kind: Kind = Kind.vacancy

    def to_frame(self) -> pl.DataFrame:
        rows = []
        for gap in self.vacancies:
            for months in self.horizons:
                rows.append(
                    {
                        "slot_id": gap.slot_id,
                        "occupation": gap.occupation,
                        "posts": gap.posts,
                        "months": months,
                        "candidates": gap.candidates,
                        "qualifying": gap.qualifying[months],
                        **{name: gap.blockers[months][name] for name in BLOCKERS},
                    }
                )
                if gap.keys is not None:
                    rows[-1]["candidates_key"] = gap.keys["candidates"]
                    rows[-1]["qualifying_key"] = gap.keys[f"qualifying_{months}"]
                    for name in BLOCKERS:
                        rows[-1][f"{name}_key"] = gap.keys[f"{name}_{months}"]
        return pl.DataFrame(rows)


def _int_parameter(knowledge: Knowledge, parameter_id: str, on: dt.date) -> int:
    value = knowledge.parameters[parameter_id].value_on(on)
    if value is None or not isinstance(value.value, int):
        raise ValueError(f"parameter {parameter_id} has no whole-number value on {on}")
    return value.value


def _projected_slots(
    vacancies: pl.DataFrame, kind: Kind, horizon: dt.date
) -> tuple[pl.DataFrame, dt.date | None]:
    """The slots as seen at `horizon` and the date the rules are asked on: a vacancy's on the
    horizon; an offer's on its own dates, or the horizon when that is later."""
    if kind is Kind.vacancy:
        return vacancies, horizon
    later = pl.max_horizontal(pl.col("start_date"), pl.lit(horizon)).alias("start_date")
    return vacancies.with_columns(later), None


def gap_analysis(
    persons: pl.DataFrame,
    vacancies: pl.DataFrame,
    on: dt.date,
    knowledge: Knowledge | None = None,
    horizons: tuple[int, ...] = HORIZONS,
    options: Options | None = None,
    kind: Kind = Kind.vacancy,
    record_keys: npt.ArrayLike | None = None,
) -> GapReport:
    """Per vacancy or offer and horizon: candidates, those who qualify, and what holds the
    others back. `record_keys` (one per row of `persons`, `core.disclosure.record_key`)
    adds each count's cell key, for publishing the counts perturbed."""
    knowledge = knowledge or load_knowledge()
    options = options or Options()
    months_per_level = _int_parameter(knowledge, "skills.language_course.months_per_cefr_level", on)
    recognition_months = _int_parameter(knowledge, "skills.diploma_recognition.months", on)
    person, slot = candidate_pairs(persons, vacancies, options.block_digits)
    n_slots = vacancies.height
    candidates = np.bincount(slot, minlength=n_slots)
    weights = None if record_keys is None else np.asarray(record_keys, dtype=np.int64)[person]
    keys: dict[str, np.ndarray] = {}

    def key_sums(name: str, mask: np.ndarray | None = None) -> None:
        if weights is not None:
            chosen = slice(None) if mask is None else mask
            sums = np.bincount(slot[chosen], weights=weights[chosen], minlength=n_slots)
            keys[name] = np.rint(sums).astype(np.int64) % MODULUS

    key_sums("candidates")
    qualifying: dict[int, np.ndarray] = {}
    blocked: dict[int, dict[str, np.ndarray]] = {}
    for months in horizons:
        slots, rules_on = _projected_slots(vacancies, kind, anniversary(on, months=months))
        data = evaluate_pairs(
            persons,
            slots,
            person,
            slot,
            kind,
            on,
            knowledge,
            options,
            language_bonus_levels=np.full(persons.height, months // months_per_level),
            recognised_override=np.full(persons.height, months >= recognition_months),
            rules_on=rules_on,
        )
        relevant = data.failed & ~np.uint8(AVAILABILITY)
        qualifying[months] = np.bincount(slot[relevant == 0], minlength=n_slots)
        blocked[months] = {
            name: np.bincount(slot[(relevant & bits) > 0], minlength=n_slots)
            for name, bits in BLOCKERS.items()
        }
        key_sums(f"qualifying_{months}", relevant == 0)
        for name, bits in BLOCKERS.items():
            key_sums(f"{name}_{months}", (relevant & bits) > 0)
    gaps = _vacancy_gaps(vacancies, horizons, candidates, qualifying, blocked, keys)
    return GapReport(on, tuple(horizons), months_per_level, recognition_months, gaps, kind)


def _vacancy_gaps(
    vacancies: pl.DataFrame,
    horizons: tuple[int, ...],
    candidates: np.ndarray,
    qualifying: dict[int, np.ndarray],
    blocked: dict[int, dict[str, np.ndarray]],
    keys: dict[str, np.ndarray],
) -> tuple[VacancyGap, ...]:
    """One gap per row of `vacancies`, from the counts per slot (and their cell keys)."""
    return tuple(
        VacancyGap(
            slot_id=row["slot_id"],
            occupation=row["occupation"],
            organisation=row["organisation"],
            posts=int(row["capacity"] or 1),
            candidates=int(candidates[i]),
            qualifying={m: int(qualifying[m][i]) for m in horizons},
            blockers={m: {k: int(v[i]) for k, v in blocked[m].items()} for m in horizons},
            keys={name: int(sums[i]) for name, sums in keys.items()} if keys else None,
        )
        for i, row in enumerate(vacancies.iter_rows(named=True))
    )


def _when(months: int) -> str:
    return _("now") if months == 0 else _("in {months} months").format(months=months)


def sentences(report: GapReport) -> dict[str, str]:
    """Per vacancy, a paragraph in plain words."""
    out: dict[str, str] = {}
    for gap in report.vacancies:
        title = gap.slot_id + (f" (ISCO {gap.occupation})" if gap.occupation else "")
        if gap.candidates == 0:
            out[gap.slot_id] = _(
                "{vacancy}: no registered candidate has this occupation or wishes it."
            ).format(vacancy=title)
            continue
        later = ", ".join(
            _("{count} {when}").format(count=gap.qualifying[m], when=_when(m))
            for m in report.horizons
            if m
        )
        text = _(
            "{vacancy}, places: {posts}. {now} of {total} candidates could start now; {later}, "
            "if they start a language course and a diploma recognition now (one level every "
            "{level_months} months, recognition in {recognition_months} months)."
        ).format(
            vacancy=title,
            now=gap.qualifying.get(0, "?"),
            total=gap.candidates,
            posts=gap.posts,
            later=later,
            level_months=report.months_per_level,
            recognition_months=report.recognition_months,
        )
        first = report.horizons[0]
        holding = sorted(
            ((count, name) for name, count in gap.blockers[first].items() if count),
            reverse=True,
        )
        if holding:
            text += " " + _("What stands in the way {when}: {blockers}.").format(
                when=_when(first),
                blockers=", ".join(
                    _("{blocker} for {count}").format(
                        blocker=blocker_name(name, report.kind), count=count
                    )
                    for count, name in holding
                ),
            )
        out[gap.slot_id] = text
    return out


def _legend(name: str, kind: Kind = Kind.vacancy) -> str:
    return _("qualify") if name == "qualifying" else blocker_name(name, kind)


def gap_chart(
    rows: Sequence[Mapping[str, Any]], kind: Kind, *, vacancy: str, rtl: bool = False
) -> Scene | None:
    """One vacancy's or offer's gaps as grouped bars: per horizon (a row of `to_frame`, or
    of the web's withheld and perturbed counts: `months`, `candidates`, `qualifying`, each
    blocker, None where withheld), the share of the candidates who qualify and whom each
    obstacle holds back; obstacles that hold nobody back are left out, and so is a chart
    with nothing to show (every row withheld, or no candidate)."""
    if all(row.get("suppressed") or not row["candidates"] for row in rows):
        return None
    shown = [
        name
        for name in ("qualifying", *BLOCKERS)
        if name == "qualifying" or any(row[name] for row in rows)
    ]
    groups: list[tuple[str, list[float | None]]] = []
    for row in rows:
        total = row["candidates"]
        shares: list[float | None] = []
        for name in shown:
            value = row[name]
            shares.append(None if value is None or not total else value / total)
        groups.append((_when(row["months"]), shares))
    return bar_chart(
        groups,
        [_legend(name, kind) for name in shown],
        title=_("{vacancy}: who could start, and what holds the others back").format(
            vacancy=vacancy
        ),
        value_label=_("share of the candidates (one may have several obstacles)"),
        rtl=rtl,
    )


def svg_chart(report: GapReport, limit: int = 20) -> str:
    """The chart of each vacancy (`gap_chart`, at most `limit`), one under the other."""
    frame = report.to_frame()
    scenes = []
    for gap in report.vacancies[:limit]:
        title = gap.slot_id + (f" (ISCO {gap.occupation})" if gap.occupation else "")
        title += " · " + _("places: {posts}").format(posts=gap.posts)
        rows = frame.filter(pl.col("slot_id") == gap.slot_id).sort("months").to_dicts()
        scene = gap_chart(rows, report.kind, vacancy=title)
        if scene is not None:
            scenes.append(scene)
    heading = _("Candidates who qualify now and later, and what holds the others back")
    return stack(scenes, title=heading).svg()
