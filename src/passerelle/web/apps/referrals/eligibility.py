"""The rules' answer for one person and one programme on the planned start of a referral."""

from __future__ import annotations

import datetime as dt
from typing import Any

from passerelle.core.i18n import current_language
from passerelle.core.profile import ProfileError
from passerelle.core.rules.explain import evaluate
from passerelle.core.rules.fields import DateOutOfCoverageError
from passerelle.core.rules.options import condition_json, programme_option
from passerelle.core.rules.situation import Situation
from passerelle.knowledge.criteria import CriteriaError, parse_criterion
from passerelle.knowledge.loader import load_knowledge
from passerelle.web.apps.directory.models import Origin, Programme
from passerelle.web.apps.people.access import ALL_FIELDS, disclosed_rules_data
from passerelle.web.apps.people.models import Person
from passerelle.web.apps.people.schemas import rules_profile


def eligibility_on(
    person: Person, programme: Programme, on: dt.date, fields: frozenset[str] = ALL_FIELDS
) -> dict[str, Any]:
    """`_eligibility_on` with the language its reasons are written in ("language"): the
    answer is stored with the referral and read later by people reading other languages."""
    return {**_eligibility_on(person, programme, on, fields), "language": current_language()}


def _eligibility_on(
    person: Person, programme: Programme, on: dt.date, fields: frozenset[str] = ALL_FIELDS
) -> dict[str, Any]:
    """{"status": eligible | eligible_from | not_eligible | unknown, "reasons": [...],
    "from": date or None, "missing": [...]}, as the rules engine gives it from the field
    groups `fields` of the file only (what the reader was shown)."""
    knowledge = load_knowledge()
    try:
        profile = rules_profile(*disclosed_rules_data(person, fields))
        situation = Situation(profile, knowledge)
        if programme.origin == Origin.KNOWLEDGE and programme.slug in knowledge.programmes:
            option = programme_option(situation, programme.slug, on)
            return {
                "status": option.status,
                "reasons": list(option.reasons),
                "from": option.from_date.isoformat() if option.from_date else None,
                "missing": list(option.missing),
                "conditions": [condition_json(c) for c in option.conditions],
            }
        if not programme.eligibility:
            return {"status": "eligible", "reasons": [], "from": None, "missing": []}
        result = evaluate(parse_criterion(programme.eligibility), situation, on)
    except (ProfileError, DateOutOfCoverageError, CriteriaError) as error:
        return {"status": "unknown", "reasons": [str(error)], "from": None, "missing": []}
    status = {True: "eligible", False: "not_eligible", None: "unknown"}[result.outcome]
    return {
        "status": status,
        "reasons": [condition.text for condition in result.conditions],
        "from": None,
        "missing": list(result.missing),
        "conditions": [condition_json(c) for c in result.conditions],
    }
