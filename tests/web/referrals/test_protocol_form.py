"""The routing protocol form refuses criteria that PyYAML cannot build (an impossible date)
at the field, rather than failing the request (found by the staff forms' fuzz test)."""

from __future__ import annotations

from passerelle.web.apps.referrals.forms import ProtocolForm


def test_an_impossible_date_in_the_criteria_is_an_error_of_the_field() -> None:
    form = ProtocolForm(
        {
            "name": "Young people",
            "programme": "duo",
            "criteria": "all: [{field: arrival_in_belgium, after: 2026-02-31}]",
            "valid_from": "2026-01-01",
        },
        programmes=[("duo", "Duo")],
    )
    assert not form.is_valid()
    assert "day is out of range for month" in " ".join(form.errors["criteria"])
