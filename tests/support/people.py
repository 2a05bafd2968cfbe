"""Synthetic person files (no real personal data)."""

from __future__ import annotations

from typing import Any


def synthetic_file(given: str = "Amanuel", family: str = "Tesfaye", **extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "given_names": given,
        "family_name": family,
        "given_names_latin": given,
        "family_name_latin": family,
        "birth_date": "2001-03-14",
        "phone": "+32 470 00 00 00",
        "language": "fr",
        "profile": {
            "nationality": "ER",
            "legal_status": "refugee",
            "asylum_application_date": "2017-02-01",
            "asylum_decision_date": "2018-01-15",
            "residence_permit_months": 60,
            "arrival_in_belgium": "2017-01-20",
            "municipality": "Anderlecht",
            "languages": {"ti": "C2", "fr": "A2"},
        },
        "assessment": {
            "literacy": "functional",
            "diplomas": [{"title": "Secondary school", "country": "ER", "isced": 3}],
            "experience": [{"isco": "7112", "years": 4, "description": "bricklayer"}],
            "social_needs": ["housing"],
        },
    }
    data.update(extra)
    return data
