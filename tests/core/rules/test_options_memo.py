"""What `options` keeps per knowledge base (issue 19, the public side's CPU): the parts of
an answer that do not depend on the person (a programme's version on a date, why it is
closed on a date in the reader's language, its fixed change dates, the citations as JSON)
are built once, and every answer is the same as one computed from nothing."""

from __future__ import annotations

import datetime as dt
from typing import Any

from passerelle.core.i18n import language_of
from passerelle.core.profile import profile_from_data
from passerelle.core.rules import options as engine
from passerelle.knowledge.loader import Knowledge, load_knowledge

PROFILES: list[dict[str, Any]] = [
    {
        "legal_status": "refugee",
        "asylum_application_date": "2018-02-01",
        "asylum_decision_date": "2019-04-10",
        "birth_date": "1985-07-14",
        "nationality": "AF",
        "arrival_in_belgium": "2018-01-20",
        "first_registration_brussels": "2019-05-06",
        "municipality": "schaerbeek",
    },
    {"legal_status": "asylum_seeker", "asylum_application_date": "2024-09-01"},
    {"legal_status": "eu_citizen", "nationality": "PT", "birth_date": "2001-01-30"},
]
DATES = (dt.date(2016, 1, 4), dt.date(2020, 3, 2), dt.date(2026, 6, 15))


def _answers(knowledge: Knowledge, language: str) -> list[dict[str, Any]]:
    with language_of(language):
        return [
            engine.options_json(engine.options(profile_from_data(data), on, knowledge), knowledge)
            for data in PROFILES
            for on in DATES
        ]


def test_answers_with_the_memo_are_those_computed_from_nothing() -> None:
    knowledge = load_knowledge()
    for language in ("fr", "ar", "en"):
        engine._memos.clear()
        cold = _answers(knowledge, language)  # the memo filled while answering
        warm = _answers(knowledge, language)  # answered from the memo
        assert warm == cold
    # another knowledge base (a new version) has its own memo: nothing of the first is used
    fresh = load_knowledge.__wrapped__()  # type: ignore[attr-defined]
    assert _answers(fresh, "nl") == _answers(knowledge, "nl")
    assert engine._memo(fresh) is not engine._memo(knowledge)


def test_a_closed_reason_is_kept_per_language() -> None:
    knowledge = load_knowledge()
    engine._memos.clear()
    situation = engine.Situation(profile_from_data({}), knowledge)
    closed = [
        (programme_id, on)
        for programme_id in sorted(knowledge.programmes)
        for on in DATES
        if engine._closed_reason(situation, programme_id, on) is not None
    ]
    assert closed, "the knowledge base has programmes not offered on some of these dates"
    programme_id, on = closed[0]
    with language_of("fr"):
        french = engine._closed_reason(situation, programme_id, on)
    with language_of("en"):
        english = engine._closed_reason(situation, programme_id, on)
    assert french != english
    engine._memos.clear()
    with language_of("fr"):
        assert engine._closed_reason(situation, programme_id, on) == french


def test_citations_are_made_once_per_knowledge_base() -> None:
    knowledge = load_knowledge()
    version = next(v[-1] for v in knowledge.programmes.values() if v[-1].sources)
    first = engine.sources_json(tuple(version.sources), knowledge)
    assert engine.sources_json(tuple(version.sources), knowledge) is first  # kept, not rebuilt
    assert first == engine._sources_json(tuple(version.sources), knowledge)


def test_the_memo_starts_again_past_its_bound(monkeypatch: Any) -> None:
    knowledge = load_knowledge()
    engine._memos.clear()
    monkeypatch.setattr(engine, "MEMO_ENTRIES", 10)
    _answers(knowledge, "fr")
    before = engine._memo(knowledge)
    assert len(before.versions) + len(before.closed) > 10
    engine.options(profile_from_data(PROFILES[0]), DATES[1], knowledge)
    kept = engine._memo(knowledge)
    assert kept is not before  # started again at the answer's beginning
    assert {on for _id, on, _language in kept.closed} <= {DATES[1], *_later(kept)}


def _later(memo: Any) -> set[dt.date]:
    """The dates the one answer walked to (its programmes' next openings)."""
    return {on for _id, on in memo.versions}
