"""The rights' reasons name statuses, countries and card entries in words of the reader's
language, never by their codes (issue 18, item 2: "refugee : peut travailler")."""

from __future__ import annotations

import datetime as dt

from passerelle.core.i18n import country_name, language_of
from passerelle.core.profile import profile_from_data
from passerelle.core.rules.options import rights

ON = dt.date(2020, 1, 6)


def _reasons(language: str, fact: str, **data: object) -> str:
    with language_of(language):
        return " ".join(rights(profile_from_data(data), ON)[fact].reasons)


def test_a_legal_status_is_a_word_in_the_readers_language() -> None:
    refugee = {"legal_status": "refugee", "municipality": "Schaerbeek"}
    french = _reasons("fr", "right_to_work", **refugee)
    assert "réfugié" in french
    assert "refugee" not in french
    protected = _reasons("nl", "right_to_work", legal_status="subsidiary_protection")
    assert "subsidiary_protection" not in protected
    assert "subsidiaire bescherming" in protected


def test_a_country_is_named_not_coded() -> None:
    citizen = {
        "legal_status": "eu_citizen",
        "nationality": "PL",
        "birth_date": "1990-01-01",
        "arrival_in_belgium": "2019-01-01",
        "municipality": "Ixelles",
    }
    assert "Poland is a member state" in _reasons("en", "integration_pathway", **citizen)
    assert "Pologne" in _reasons("fr", "integration_pathway", **citizen)
    assert "PL" not in _reasons("ar", "integration_pathway", **citizen)
    with language_of("nl"):
        assert country_name("SY") == "Syrië"
    assert country_name("XX") == "XX"


def test_the_card_entry_is_a_word() -> None:
    card = {"legal_status": "other_permit", "labour_market_access": "unlimited"}
    assert _reasons("fr", "right_to_work", **card).endswith("illimité")
