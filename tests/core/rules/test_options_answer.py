"""The finder's answer as text (`answer.options_answer`, issue 19 item 7) is the same bytes
as the answer built the long way (`json.dumps(options_json(options(...)))`), reasons,
conditions and sources included, for random profiles, dates and languages: the programme
entries it keeps between answers never leak one person's answer into another's."""

from __future__ import annotations

import datetime as dt
import json
import random
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from passerelle.core.i18n import language_of
from passerelle.core.profile import ProfileError, profile_from_data
from passerelle.core.rules import answer
from passerelle.core.rules.options import options, options_json
from passerelle.knowledge.criteria import LEGAL_STATUSES
from passerelle.knowledge.loader import Knowledge, load_knowledge

LANGUAGES = ("fr", "nl", "en", "ar", "uk", "ti", "fa-af", "ps")
MUNICIPALITIES = [None, "schaerbeek", "Molenbeek-Saint-Jean", "1000", "1050", "Jette", "4000"]
ON = st.dates(min_value=dt.date(2011, 1, 1), max_value=dt.date(2030, 12, 31))


def _day(low: dt.date, days: int) -> str:
    return (low + dt.timedelta(days=days)).isoformat()


@st.composite
def bodies(draw: st.DrawFn) -> dict[str, Any]:
    """A profile as the finder sends it (any answer may be missing), and a date."""
    arrival = draw(st.dates(min_value=dt.date(2008, 1, 1), max_value=dt.date(2026, 1, 1)))
    status = draw(st.sampled_from(LEGAL_STATUSES))
    candidates: dict[str, Any] = {
        "birth_date": draw(st.dates(dt.date(1960, 1, 1), dt.date(2008, 1, 1))).isoformat(),
        "nationality": draw(st.sampled_from(["SY", "AF", "ER", "BE", "FR", "MA", "UA"])),
        "legal_status": status,
        "arrival_in_belgium": arrival.isoformat(),
        "asylum_application_date": _day(arrival, draw(st.integers(0, 90))),
        "asylum_decision_date": _day(arrival, draw(st.integers(120, 1200))),
        "residence_permit_months": draw(st.sampled_from([0, 4, 12, 60])),
        "first_registration_brussels": _day(arrival, draw(st.integers(0, 900))),
        "municipality": draw(st.sampled_from(MUNICIPALITIES)),
        "languages": draw(
            st.dictionaries(
                st.sampled_from(["fr", "nl", "en"]), st.sampled_from(["A1", "B1", "C2"])
            )
        ),
        "education_isced": draw(st.integers(0, 8)),
        "migration_background": draw(st.booleans()),
    }
    kept = draw(st.sets(st.sampled_from(sorted(candidates))))
    profile = {name: candidates[name] for name in kept if candidates[name] is not None}
    if status != "asylum_seeker" or "asylum_decision_date" not in profile:
        return {"profile": profile, "on": draw(ON)}
    del profile["asylum_decision_date"]  # an asylum seeker has no decision yet
    return {"profile": profile, "on": draw(ON)}


def _both(body: dict[str, Any], language: str, knowledge: Knowledge) -> tuple[str, str]:
    try:
        profile = profile_from_data(body["profile"])
    except ProfileError:
        return "", ""  # the API refuses it before the engine; nothing to compare
    on = body["on"]
    with language_of(language):
        slow = json.dumps(options_json(options(profile, on, knowledge), knowledge))
        fast = answer.options_answer(profile, on, knowledge)
    return slow, fast


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=bodies(), language=st.sampled_from(LANGUAGES))
def test_the_answer_is_the_same_bytes_as_the_long_way(body: dict[str, Any], language: str) -> None:
    slow, fast = _both(body, language, load_knowledge())
    assert fast == slow


def test_kept_entries_serve_other_people_and_dates_unchanged() -> None:
    """Seeded: many answers one after the other, so that most entries come from those kept
    by earlier answers (other people, other dates, other languages)."""
    knowledge = load_knowledge()
    answer._compiled.clear()
    rng = random.Random(19)
    compared = 0
    for _number in range(400):
        body = _seeded_body(rng)
        slow, fast = _both(body, rng.choice(LANGUAGES), knowledge)
        assert fast == slow, body
        compared += bool(slow)
    assert compared > 300
    assert answer.compiled_options(knowledge).entries  # entries were kept and used


def _seeded_body(rng: random.Random) -> dict[str, Any]:
    arrival = dt.date(2010, 1, 1) + dt.timedelta(days=rng.randrange(5000))
    status = rng.choice(LEGAL_STATUSES)
    profile: dict[str, Any] = {
        "legal_status": status,
        "arrival_in_belgium": arrival.isoformat(),
        "birth_date": _day(dt.date(1965, 1, 1), rng.randrange(14000)),
        "nationality": rng.choice(["SY", "AF", "BE", "RO"]),
        "migration_background": rng.random() < 0.8,
    }
    if rng.random() < 0.8:
        profile["municipality"] = rng.choice([m for m in MUNICIPALITIES if m])
    if status in ("asylum_seeker", "refugee", "subsidiary_protection"):
        profile["asylum_application_date"] = _day(arrival, rng.randrange(60))
    if status in ("refugee", "subsidiary_protection"):
        profile["asylum_decision_date"] = _day(arrival, rng.randrange(100, 900))
    on = arrival + dt.timedelta(days=rng.randrange(0, 3000))
    return {"profile": profile, "on": min(on, dt.date(2030, 12, 31))}


def test_a_new_knowledge_base_is_compiled_again() -> None:
    knowledge = load_knowledge()
    fresh = load_knowledge.__wrapped__()  # type: ignore[attr-defined]
    assert answer.compiled_options(fresh) is not answer.compiled_options(knowledge)
    body = _seeded_body(random.Random(3))
    slow, fast = _both(body, "nl", fresh)
    assert fast == slow


def test_only_untimed_fields_make_an_entry_reusable() -> None:
    """A programme that asks for the right to work, an age or a legal status is computed for
    each request; a CPAS (the municipality) or a programme without conditions is kept."""
    plans = {plan.id: plan for plan in answer.compiled_options(load_knowledge()).plans}
    assert plans["cpas-jette-socio-professional-integration"].fields == ("municipality",)
    assert plans["lire-et-ecrire-alpha-isp"].fields == ()
    assert plans["actiris-job-support"].fields is None
    assert plans["tandem-internship"].fields is None
    assert plans["duo-for-a-job-mentoring"].fields is None
