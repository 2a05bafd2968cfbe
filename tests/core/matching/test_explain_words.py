"""Matching explanations read as words in the reader's language: no "adéquation 50.0", no
ISO date, no 0.4237 (issue 18, rough edges)."""

from __future__ import annotations

from passerelle.core.i18n import language_of
from passerelle.core.matching.explain import render

MATCHED = {"code": "matched", "params": {"slot": "m-1", "fit": 50.0, "probability": 0.4237}}
WAITING = {"code": "waiting", "params": {"date": "2026-06-01", "months": 5}}
TERM = {"code": "term", "params": {"name": "occupation", "points": 12.5, "detail": None}}


def test_scores_dates_and_chances_are_written_for_a_french_reader() -> None:
    with language_of("fr"):
        assert render(MATCHED) == (
            "mis en relation avec m-1 (adéquation 50 sur 100, placement attendu 42 %)"
        )
        assert "depuis le 1er juin 2026" in render(WAITING)
        assert render(TERM).endswith("+12,5")


def test_english_keeps_the_dot_and_names_the_month() -> None:
    with language_of("en"):
        assert "fit 50 of 100, expected placement 42 %" in render(MATCHED)
        assert "since 1 June 2026" in render(WAITING)
        assert render(TERM).endswith("+12.5")
