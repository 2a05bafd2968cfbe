"""A profile seen on a date: the value of every criteria field, and when it changes next.

This is the one place that puts together how a profile field, a duration or a derived fact
reads on a date (field by field in `fields`, derived facts in `facts`); the scalar
explainer (`explain`) and the vectorised evaluator (`vectorised`, which mirrors these
definitions column-wise) rest on it.
"""

from __future__ import annotations

import datetime as dt

from passerelle.core.profile import Profile
from passerelle.core.rules.facts import fact_change_dates, fact_on
from passerelle.core.rules.fields import (
    DURATIONS,
    FACT_NAMES,
    FieldValue,
    duration_on,
    legal_status_change_dates,
    legal_status_on,
)
from passerelle.knowledge.criteria import LANGUAGE_FIELD_PREFIX, cefr_rank, field_spec
from passerelle.knowledge.loader import Knowledge


class Situation:
    """A profile read through the knowledge base; facts are computed once per date."""

    def __init__(self, profile: Profile, knowledge: Knowledge) -> None:
        self.profile = profile
        self.knowledge = knowledge
        self._facts: dict[tuple[str, dt.date], object] = {}

    def field(self, name: str, on: dt.date) -> FieldValue:
        profile = self.profile
        if name in DURATIONS:
            start_field, unit = DURATIONS[name]
            start = getattr(profile, start_field)
            if start is None:
                return FieldValue(None, (start_field,))
            return FieldValue(duration_on(start, unit, on))
        if name.startswith(LANGUAGE_FIELD_PREFIX):
            if profile.languages is None:
                return FieldValue(None, ("languages",))
            code = name.removeprefix(LANGUAGE_FIELD_PREFIX)
            return FieldValue(cefr_rank(profile.languages.get(code)))
        if name == "legal_status":
            return legal_status_on(profile, on)
        if name == "eu_national":
            if profile.nationality is None:
                return FieldValue(None, ("nationality",))
            return FieldValue(self.knowledge.is_eu_member(profile.nationality, on))
        if name == "in_brussels_region":
            if profile.municipality is None:
                return FieldValue(None, ("municipality",))
            return FieldValue(profile.municipality_in_brussels)
        if name in FACT_NAMES:
            fact = fact_on(self, name, on)
            return FieldValue(fact.value, fact.missing, fact.possible)
        spec = field_spec(name)
        value = getattr(profile, spec.name)
        if value is None:
            return FieldValue(None, spec.depends_on)
        return FieldValue(value)

    def change_dates(self, name: str) -> tuple[dt.date, ...]:
        """Dates on which a non-duration field may change value (durations are handled
        per comparison, see `explain.comparison_change_date`)."""
        if name == "legal_status":
            return legal_status_change_dates(self.profile)
        if name == "eu_national":
            nationality = self.profile.nationality
            membership = self.knowledge.eu_membership.get(nationality or "")
            if membership is None:
                return ()
            return tuple(d for d in (membership.joined, membership.left) if d is not None)
        if name in FACT_NAMES:
            return fact_change_dates(self, name)
        return ()

    def cached_fact(self, key: tuple[str, dt.date]) -> object | None:
        return self._facts.get(key)

    def cache_fact(self, key: tuple[str, dt.date], fact: object) -> None:
        self._facts[key] = fact
