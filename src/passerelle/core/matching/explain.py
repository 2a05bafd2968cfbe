"""Why a person got this match or none, in words (gettext), term by term."""

from __future__ import annotations

import datetime as dt
from typing import Any

from passerelle.core.i18n import _, gettext_noop
from passerelle.core.matching.engine import (
    BELOW_MIN_SCORE,
    CAPACITY,
    MATCHED,
    NO_CANDIDATE,
    MatchResult,
)
from passerelle.core.matching.model import profile_from_row
from passerelle.core.matching.pairs import (
    AVAILABILITY,
    DIPLOMA,
    LANGUAGE,
    LICENCE,
    RECOGNITION,
    RULES,
    RULES_UNKNOWN,
    TERMS,
)
from passerelle.core.rules.facts import fact_with_next_change
from passerelle.core.rules.options import programme_option
from passerelle.core.rules.situation import Situation
from passerelle.knowledge.criteria import CEFR_LEVELS
from passerelle.knowledge.dates import full_months_between
from passerelle.knowledge.loader import Knowledge, load_knowledge

LANGUAGE_NAMES = {
    "fr": gettext_noop("French"),
    "nl": gettext_noop("Dutch"),
    "en": gettext_noop("English"),
    "de": gettext_noop("German"),
    "ar": gettext_noop("Arabic"),
    "es": gettext_noop("Spanish"),
    "tr": gettext_noop("Turkish"),
    "fa": gettext_noop("Persian"),
}
TERM_NAMES = {
    "language": gettext_noop("language"),
    "occupation": gettext_noop("occupation"),
    "commute": gettext_noop("commute"),
    "availability": gettext_noop("availability"),
    "wish": gettext_noop("wish"),
}
REASON_NAMES = {
    MATCHED: gettext_noop("matched"),
    NO_CANDIDATE: gettext_noop("no offer in the person's occupation or wish"),
    BELOW_MIN_SCORE: gettext_noop("below the minimum score"),
    CAPACITY: gettext_noop("suitable places all taken"),
    "rules": gettext_noop("right to work or programme eligibility"),
    "rules_unknown": gettext_noop("right to work or eligibility unknown"),
    "language": gettext_noop("language level"),
    "recognition": gettext_noop("diploma not recognised"),
    "diploma": gettext_noop("diploma level"),
    "licence": gettext_noop("driving licence"),
    "availability": gettext_noop("availability"),
}


def reason_text(reason: str) -> str:
    return _(REASON_NAMES.get(reason, reason))


def language_name(code: str) -> str:
    return _(LANGUAGE_NAMES[code]) if code in LANGUAGE_NAMES else code


def level_name(rank: int) -> str:
    return CEFR_LEVELS[rank - 1] if rank > 0 else _("not spoken")


def language_text(code: str, rank: int, required: int) -> str:
    if rank == 0:
        return _("{language} not spoken where {required} is required").format(
            language=language_name(code), required=level_name(required)
        )
    return _("{language} {level} where {required} is required").format(
        language=language_name(code), level=level_name(rank), required=level_name(required)
    )


def explain(result: MatchResult, person_id: str, knowledge: Knowledge | None = None) -> list[str]:
    """Sentences saying why this person got their match, or why none."""
    knowledge = knowledge or load_knowledge()
    rows = result.rows_of("outcomes", person_id)
    if not rows:
        raise KeyError(f"no person {person_id!r} in this round")
    outcome = result.outcomes.row(rows[0], named=True)
    person = result.persons.row(result.rows_of("persons", person_id)[0], named=True)
    reason = outcome["reason"]
    if reason == MATCHED:
        return _matched(result, person_id)
    if reason == NO_CANDIDATE:
        return [
            _("no {kind} offer shares the occupation or wish ({codes}) of this person").format(
                kind=result.kind.value,
                codes=", ".join(
                    dict.fromkeys(c for c in (person["occupation"], person["wish"]) if c)
                )
                or "-",
            )
        ]
    if reason == BELOW_MIN_SCORE:
        return [
            _("the best possible score, {best}, is below the minimum of {minimum}").format(
                best=outcome["best_fit"], minimum=result.options.min_score
            )
        ]
    if reason == CAPACITY:
        return [
            _(
                "{count} suitable places (best score {best}) went to candidates with a better "
                "overall fit or waiting longer"
            ).format(count=outcome["suitable_slots"], best=outcome["best_fit"])
        ]
    slot = result.slots.row(result.rows_of("slots", outcome["closest_slot_id"])[0], named=True)
    failed = int(outcome["failed"])
    sentences: list[str] = []
    on, programme = result.rules_groups[int(outcome["rules_group"])]
    if failed & (RULES | RULES_UNKNOWN):
        sentences.append(_rules_text(person, on, programme, knowledge))
    if failed & LANGUAGE:
        index = int(outcome["language_index"])
        sentences.append(
            language_text(
                slot[f"lang_{index + 1}"], int(outcome["language_rank"]), slot[f"level_{index + 1}"]
            )
        )
    if failed & RECOGNITION:
        sentences.append(_("foreign diploma not yet recognised where recognition is required"))
    if failed & DIPLOMA:
        sentences.append(
            _("diploma at ISCED level {level} where level {required} is required").format(
                level=person["diploma_isced"] if person["diploma_isced"] is not None else "?",
                required=slot["diploma_isced_required"],
            )
        )
    if failed & LICENCE:
        sentences.append(_("no driving licence where one is required"))
    if failed & AVAILABILITY:
        sentences.append(
            _("available from {date}, more than {days} days after the start on {start}").format(
                date=person["available_from"],
                days=result.options.availability_grace_days,
                start=slot["start_date"],
            )
        )
    sentences[0] = _("closest offer {slot}: {reason}").format(
        slot=slot["slot_id"], reason=sentences[0]
    )
    return sentences


def _rules_text(
    person: dict[str, Any], on: dt.date, programme: str | None, knowledge: Knowledge
) -> str:
    """The rules engine's own explanation (scalar evaluator), with the date it changes."""
    situation = Situation(profile_from_row(person), knowledge)
    if programme is None:
        fact = fact_with_next_change(situation, "right_to_work", on)
        if fact.value is None:
            return _("right to work on {date} unknown: missing {fields}").format(
                date=on, fields=", ".join(fact.missing)
            )
        if fact.next_change is not None and fact.next_value in ("yes", "with_permit"):
            return _("no right to work before {date}").format(date=fact.next_change)
        return _("no right to work on {date}: {reason}").format(
            date=on, reason="; ".join(fact.reasons)
        )
    option = programme_option(situation, programme, on)
    failing = [c.text for c in option.conditions if c.outcome is not True]
    text = _("not eligible for {programme} on {date}").format(programme=programme, date=on)
    if option.status == "unknown":
        text = _("eligibility for {programme} on {date} unknown: missing {fields}").format(
            programme=programme, date=on, fields=", ".join(option.missing)
        )
    elif option.from_date is not None:
        text = _("not eligible for {programme} before {date}").format(
            programme=programme, date=option.from_date
        )
    # Without a failing condition the programme itself is closed: say why.
    return "; ".join([text, *(failing or option.reasons[:1])])


def _matched(result: MatchResult, person_id: str) -> list[str]:
    person = result.persons.row(result.rows_of("persons", person_id)[0], named=True)
    sentences: list[str] = []
    for position in result.rows_of("assignments", person_id):
        row = result.assignments.row(position, named=True)
        slot = result.slots.row(int(row["_slot"]), named=True)
        sentences.append(
            _("matched with {slot} (fit {fit} of 100, expected placement {probability})").format(
                slot=row["slot_id"], fit=row["fit"], probability=row["probability"]
            )
        )
        for name in TERMS:
            detail = ""
            if name == "language" and row["language_index"] >= 0:
                index = int(row["language_index"])
                detail = language_text(
                    slot[f"lang_{index + 1}"],
                    int(row["language_rank"]),
                    slot[f"level_{index + 1}"],
                )
            elif name == "commute" and row["km"] == row["km"]:  # not NaN
                detail = _("{km} km between municipality centres").format(km=row["km"])
            elif name == "occupation" and person["occupation"] and slot["occupation"]:
                detail = _("ISCO {person} and {offer}").format(
                    person=person["occupation"], offer=slot["occupation"]
                )
            elif name == "wish" and person["wish"]:
                detail = _("wishes ISCO {wish}").format(wish=person["wish"])
            sentences.append(
                f"{_(TERM_NAMES[name])} +{row[name]}" + (f" ({detail})" if detail else "")
            )
    if person["waiting_since"] is not None and person["waiting_since"] < result.on:
        sentences.append(
            _("waiting since {date}, {months} months (priority)").format(
                date=person["waiting_since"],
                months=full_months_between(person["waiting_since"], result.on),
            )
        )
    return sentences


def explanations(result: MatchResult, knowledge: Knowledge | None = None) -> dict[str, str]:
    """Every person's explanation as one line (for the CLI and small rounds)."""
    knowledge = knowledge or load_knowledge()
    return {
        person_id: "; ".join(explain(result, person_id, knowledge))
        for person_id in result.outcomes.get_column("person_id").to_list()
    }
