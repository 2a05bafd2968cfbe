"""Small shared pieces of `web/common` that several apps' pages and APIs lean on: a record id
read from a URL (`ids.record_key`) and a service's refusals put on a form's fields
(`forms.add_field_errors`)."""

from __future__ import annotations

import uuid

import pytest
from django import forms

from passerelle.web.apps.followups.access import FollowUpNotFoundError
from passerelle.web.apps.referrals.access import ReferralNotFoundError, referral_key
from passerelle.web.common.forms import add_field_errors
from passerelle.web.common.ids import record_key


def test_a_record_key_is_the_uuid_or_the_records_not_found_error() -> None:
    key = uuid.UUID("6f1c1b8e-8d6a-4f7e-9a51-0c1d2e3f4a5b")
    assert record_key(str(key), FollowUpNotFoundError) == key
    assert record_key(key, FollowUpNotFoundError) == key
    for bad in ("1", "6f1c1b8e", "../persons", "", None):
        with pytest.raises(FollowUpNotFoundError) as refused:
            record_key(bad, FollowUpNotFoundError)
        assert str(bad) in str(refused.value)
        assert refused.value.__cause__ is None
    with pytest.raises(ReferralNotFoundError):
        referral_key("not-a-uuid")


class _Capacity(forms.Form):
    places = forms.IntegerField()
    period_start = forms.DateField()


def test_refusals_go_to_their_field_and_the_others_above_the_form() -> None:
    form = _Capacity({"places": "3", "period_start": "2026-01-01"})
    assert form.is_valid()
    add_field_errors(
        form,
        {
            "places": "got 3; allowed: 1 to 2 (the programme's size)",
            "period_end": "got 2025-12-31; allowed: after the start",
        },
    )
    assert form.errors["places"] == ["got 3; allowed: 1 to 2 (the programme's size)"]
    assert form.non_field_errors() == ["got 2025-12-31; allowed: after the start"]
    assert not form.is_valid()
