"""Why a person got this match or none, term by term: first as structured terms
(`explanation_terms`: {"code", "params"}, plain JSON, no language), then in words in the
reader's language (`render`, through gettext), so that a stored round reads in whatever
language its reader uses. The rules engine's own reasons are text produced as it evaluates:
a term carries them in each language asked for (`languages`)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from passerelle.core.i18n import _, current_language, decimal, gettext_noop, language_of, long_date
from passerelle.core.matching.engine import (
    BELOW_MIN_SCORE,
    CAPACITY,
    MATCHED,
    NO_CANDIDATE,
    MatchResult,
)
from passerelle.core.matching.model import profile_from_row
from passerelle.core.matching.pairs import BLOCKERS, TERMS
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


Term = dict[str, Any]
"""{"code": one of MESSAGES or a composite code below, "params": JSON values}."""

MESSAGES = {
    "matched": gettext_noop(
        "matched with {slot} (fit {fit} of 100, expected placement {probability})"
    ),
    "commute_km": gettext_noop("{km} km between municipality centres"),
    "occupation_codes": gettext_noop("ISCO {person} and {offer}"),
    "wish_code": gettext_noop("wishes ISCO {wish}"),
    "waiting": gettext_noop("waiting since {date}, {months} months (priority)"),
    "no_candidate": gettext_noop(
        "no {kind} offer shares the occupation or wish ({codes}) of this person"
    ),
    "below_min_score": gettext_noop(
        "the best possible score, {best}, is below the minimum of {minimum}"
    ),
    "capacity": gettext_noop(
        "{count} suitable places (best score {best}) went to candidates with a better "
        "overall fit or waiting longer"
    ),
    "recognition": gettext_noop("foreign diploma not yet recognised where recognition is required"),
    "diploma": gettext_noop("diploma at ISCED level {level} where level {required} is required"),
    "licence": gettext_noop("no driving licence where one is required"),
    "availability": gettext_noop(
        "available from {date}, more than {days} days after the start on {start}"
    ),
    "right_to_work_unknown": gettext_noop("right to work on {date} unknown: missing {fields}"),
    "no_right_to_work_before": gettext_noop("no right to work before {date}"),
    "no_right_to_work": gettext_noop("no right to work on {date}: {reason}"),
    "not_eligible": gettext_noop("not eligible for {programme} on {date}"),
    "eligibility_unknown": gettext_noop(
        "eligibility for {programme} on {date} unknown: missing {fields}"
    ),
    "not_eligible_before": gettext_noop("not eligible for {programme} before {date}"),
    "adjusted": gettext_noop("changed by the coordinator"),
}
"""Codes rendered from one message. Composite codes: `term` (name, points, detail: a term or
None), `language` (language, rank, required), `closest` (slot, reason: a term)."""


def term(code: str, **params: Any) -> Term:
    return {"code": code, "params": params}


def _in_reader_language(texts: Mapping[str, Any]) -> Any:
    """Of a {language: text} mapping, the reader's, else English, else any."""
    if not texts:
        return ""
    language = current_language()
    for key in (language, language.split("-")[0], "en"):
        if key in texts:
            return texts[key]
    return next(iter(texts.values()))


_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _number(value: float) -> str:
    """A score or a distance as read: "50", "12,5" in French (never "50.0")."""
    return str(int(value)) if float(value).is_integer() else decimal(value, 1)


def _shown(params: dict[str, Any]) -> dict[str, Any]:
    """Terms keep machine values (ISO dates, floats); the reader gets dates in words, numbers
    with the decimal mark of the language, the expected placement as a percentage."""
    shown: dict[str, Any] = {}
    for key, value in params.items():
        if isinstance(value, str) and _ISO_DATE.match(value):
            shown[key] = long_date(dt.date.fromisoformat(value))
        elif key == "probability" and isinstance(value, float):
            shown[key] = f"{decimal(value * 100, 0)} %"
        elif isinstance(value, float):
            shown[key] = _number(value)
        else:
            shown[key] = value
    return shown


def render(item: Term | str) -> str:
    """One term in words, in the language of the context (`passerelle.core.i18n`). A plain
    string (an explanation stored as text before terms existed) is returned as it is."""
    if isinstance(item, str):
        return item
    code, params = item.get("code", ""), _shown(dict(item.get("params") or {}))
    if code == "term":
        detail = params.get("detail")
        name = params["name"]
        text = f"{_(TERM_NAMES.get(name) or str(name))} +{params['points']}"
        return text + (f" ({render(detail)})" if detail else "")
    if code == "language":
        return language_text(params["language"], int(params["rank"]), int(params["required"]))
    if code == "closest":
        return _("closest offer {slot}: {reason}").format(
            slot=params["slot"], reason=render(params["reason"])
        )
    if "reasons" in params:  # the rules engine's reasons, per language
        reasons = list(_in_reader_language(params.pop("reasons")))
        if code == "no_right_to_work":
            params["reason"] = "; ".join(reasons)
            reasons = []
        text = _(MESSAGES[code]).format(**params)
        return "; ".join([text, *reasons])
    if code == "diploma" and params.get("level") is None:
        params["level"] = "?"
    if code not in MESSAGES:
        return str(code)
    return str(_(MESSAGES[code]).format(**params))


def language_text(code: str, rank: int, required: int) -> str:
    if rank == 0:
        return _("{language} not spoken where {required} is required").format(
            language=language_name(code), required=level_name(required)
        )
    return _("{language} {level} where {required} is required").format(
        language=language_name(code), level=level_name(rank), required=level_name(required)
    )


def explain(result: MatchResult, person_id: str, knowledge: Knowledge | None = None) -> list[str]:
    """Sentences saying why this person got their match, or why none (current language)."""
    return [render(item) for item in explanation_terms(result, person_id, knowledge)]


def explanation_terms(
    result: MatchResult,
    person_id: str,
    knowledge: Knowledge | None = None,
    languages: Iterable[str] | None = None,
) -> list[Term]:
    """Why this person got their match, or why none, as terms to `render` later. The rules
    engine's reasons are kept in each of `languages` (default: the current one)."""
    knowledge = knowledge or load_knowledge()
    languages = tuple(languages) if languages is not None else (current_language(),)
    rows = result.rows_of("outcomes", person_id)
    if not rows:
        raise KeyError(f"no person {person_id!r} in this round")
    outcome = result.outcomes.row(rows[0], named=True)
    person = result.persons.row(result.rows_of("persons", person_id)[0], named=True)
    reason = outcome["reason"]
    if reason == MATCHED:
        return _matched(result, person_id)
    if reason == NO_CANDIDATE:
        codes = ", ".join(dict.fromkeys(c for c in (person["occupation"], person["wish"]) if c))
        return [term("no_candidate", kind=result.kind.value, codes=codes or "-")]
    if reason == BELOW_MIN_SCORE:
        return [term("below_min_score", best=outcome["best_fit"], minimum=result.options.min_score)]
    if reason == CAPACITY:
        return [term("capacity", count=int(outcome["suitable_slots"]), best=outcome["best_fit"])]
    slot = result.slots.row(result.rows_of("slots", outcome["closest_slot_id"])[0], named=True)
    items = _constraint_terms(result, outcome, person, slot, knowledge, languages)
    items[0] = term("closest", slot=slot["slot_id"], reason=items[0])
    return items


def _constraint_terms(
    result: MatchResult,
    outcome: dict[str, Any],
    person: dict[str, Any],
    slot: dict[str, Any],
    knowledge: Knowledge,
    languages: tuple[str, ...],
) -> list[Term]:
    """One term per hard constraint the person fails for their closest slot, in the order
    of `BLOCKERS`."""
    failed = int(outcome["failed"])
    on, programme = result.rules_groups[int(outcome["rules_group"])]
    # Each term is built only for a failed constraint: the others' columns may be empty.
    terms: dict[str, Callable[[], Term]] = {
        "right_to_work": lambda: _rules_term(person, on, programme, knowledge, languages),
        "language": lambda: _language_term(outcome, slot),
        "recognition": lambda: term("recognition"),
        "diploma": lambda: term(
            "diploma", level=person["diploma_isced"], required=slot["diploma_isced_required"]
        ),
        "licence": lambda: term("licence"),
        "availability": lambda: term(
            "availability",
            date=str(person["available_from"]),
            days=result.options.availability_grace_days,
            start=str(slot["start_date"]),
        ),
    }
    return [terms[name]() for name, bits in BLOCKERS.items() if failed & bits]


def _language_term(outcome: dict[str, Any], slot: dict[str, Any]) -> Term:
    """The closest slot's language requirement that the person's best level misses."""
    index = int(outcome["language_index"])
    return term(
        "language",
        language=slot[f"lang_{index + 1}"],
        rank=int(outcome["language_rank"]),
        required=int(slot[f"level_{index + 1}"]),
    )


def _rules_term(
    person: dict[str, Any],
    on: dt.date,
    programme: str | None,
    knowledge: Knowledge,
    languages: tuple[str, ...],
) -> Term:
    """The rules engine's own explanation (scalar evaluator), with the date it changes; its
    reasons in each of `languages`."""
    situation = Situation(profile_from_row(person), knowledge)
    date = str(on)
    if programme is None:
        fact = fact_with_next_change(situation, "right_to_work", on)
        if fact.value is None:
            return term("right_to_work_unknown", date=date, fields=", ".join(fact.missing))
        if fact.next_change is not None and fact.next_value in ("yes", "with_permit"):
            return term("no_right_to_work_before", date=str(fact.next_change))
        reasons: dict[str, list[str]] = {}
        for language in languages:
            with language_of(language):
                reasons[language] = list(
                    fact_with_next_change(situation, "right_to_work", on).reasons
                )
        return term("no_right_to_work", date=date, reasons=reasons)
    option = programme_option(situation, programme, on)
    reasons = {}
    for language in languages:
        with language_of(language):
            translated = programme_option(situation, programme, on)
        failing = [c.text for c in translated.conditions if c.outcome is not True]
        # Without a failing condition the programme itself is closed: say why.
        reasons[language] = failing or list(translated.reasons[:1])
    if option.status == "unknown":
        return term(
            "eligibility_unknown",
            programme=programme,
            date=date,
            fields=", ".join(option.missing),
            reasons=reasons,
        )
    if option.from_date is not None:
        return term(
            "not_eligible_before",
            programme=programme,
            date=str(option.from_date),
            reasons=reasons,
        )
    return term("not_eligible", programme=programme, date=date, reasons=reasons)


def _matched(result: MatchResult, person_id: str) -> list[Term]:
    person = result.persons.row(result.rows_of("persons", person_id)[0], named=True)
    items: list[Term] = []
    for position in result.rows_of("assignments", person_id):
        row = result.assignments.row(position, named=True)
        slot = result.slots.row(int(row["_slot"]), named=True)
        items.append(
            term("matched", slot=row["slot_id"], fit=row["fit"], probability=row["probability"])
        )
        for name in TERMS:
            detail: Term | None = None
            if name == "language" and row["language_index"] >= 0:
                index = int(row["language_index"])
                detail = term(
                    "language",
                    language=slot[f"lang_{index + 1}"],
                    rank=int(row["language_rank"]),
                    required=int(slot[f"level_{index + 1}"]),
                )
            elif name == "commute" and row["km"] == row["km"]:  # not NaN
                detail = term("commute_km", km=row["km"])
            elif name == "occupation" and person["occupation"] and row["occupation_code"]:
                detail = term(
                    "occupation_codes", person=person["occupation"], offer=row["occupation_code"]
                )
            elif name == "wish" and person["wish"]:
                detail = term("wish_code", wish=person["wish"])
            items.append(term("term", name=name, points=row[name], detail=detail))
    if person["waiting_since"] is not None and person["waiting_since"] < result.on:
        items.append(
            term(
                "waiting",
                date=str(person["waiting_since"]),
                months=full_months_between(person["waiting_since"], result.on),
            )
        )
    return items


def explanations(result: MatchResult, knowledge: Knowledge | None = None) -> dict[str, str]:
    """Every person's explanation as one line (for the CLI and small rounds)."""
    knowledge = knowledge or load_knowledge()
    return {
        person_id: "; ".join(explain(result, person_id, knowledge))
        for person_id in result.outcomes.get_column("person_id").to_list()
    }
