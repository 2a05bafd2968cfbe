"""Small shared pieces of `web/common` that several apps' pages and APIs lean on: a record id
read from a URL (`ids.record_key`), a service's refusals put on a form's fields
(`forms.add_field_errors`), a choice field's choices set when the form is made
(`forms.set_choices`), a staff list's pages and its pager (`pages.list_page`,
`staff/_pager.html`); and the analysis side's reader of a queryset's rows into polars
(`monitoring.selectors.frame_of`)."""

from __future__ import annotations

import uuid

import polars as pl
import pytest
from django import forms
from django.template.loader import render_to_string
from django.test import RequestFactory
from tests.support.pages import pager_links

from passerelle.web.apps.followups.access import FollowUpNotFoundError
from passerelle.web.apps.monitoring.models import AggregateCell
from passerelle.web.apps.monitoring.selectors import frame_of
from passerelle.web.apps.referrals.access import ReferralNotFoundError, referral_key
from passerelle.web.common.forms import add_field_errors, set_choices
from passerelle.web.common.ids import record_key
from passerelle.web.common.pages import list_page


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


class _Referral(forms.Form):
    recipient = forms.ChoiceField()
    note = forms.CharField()


def test_choices_set_when_the_form_is_made_and_a_field_that_is_not_a_choice_refused() -> None:
    form = _Referral({"recipient": "ngo-b", "note": "x"})
    set_choices(form, "recipient", [("", "—"), ("ngo-a", "NGO A"), ("ngo-b", "NGO B")])
    assert form.is_valid()
    refused = _Referral({"recipient": "ngo-c", "note": "x"})
    set_choices(refused, "recipient", [("ngo-a", "NGO A")])
    assert not refused.is_valid()
    assert list(refused.errors) == ["recipient"]
    with pytest.raises(TypeError, match=r"^note: expected forms\.ChoiceField, got CharField$"):
        set_choices(form, "note", [("a", "A")])


def _pager_links(listing: dict[str, object]) -> list[str]:
    return pager_links(render_to_string("staff/_pager.html", listing))


def test_a_staff_list_keeps_its_search_in_the_pagers_links() -> None:
    items = list(range(60))
    listing = list_page(RequestFactory().get("/", {"q": "Ali B", "page": "2"}), items, 25)
    assert listing["query"] == "q=Ali+B"
    assert list(listing["page"].object_list) == items[25:50]
    assert _pager_links(listing) == ["?q=Ali+B&page=1", "?q=Ali+B&page=3"]
    # Past the end: the last page; not a number: the first; no other parameter: none kept.
    assert list_page(RequestFactory().get("/", {"page": "9"}), items, 25)["page"].number == 3
    first = list_page(RequestFactory().get("/", {"page": "x"}), items, 25)
    assert (first["page"].number, first["query"]) == (1, "")
    assert _pager_links(first) == ["?page=2"]
    assert _pager_links(list_page(RequestFactory().get("/"), items[:10], 25)) == []


@pytest.mark.django_db
def test_a_querysets_rows_reach_polars_in_its_column_order() -> None:
    for cell, value in (("b", 7), ("a", 3), ("c", 12)):
        AggregateCell.objects.create(
            scope="sector", family="flows", cell=cell, measure="n", value=value
        )
    AggregateCell.objects.create(scope="other", family="flows", cell="z", measure="n", value=1)
    rows = AggregateCell.objects.filter(scope="sector").order_by("cell")
    schema = {"value": pl.Int64, "cell": pl.String}
    frame = frame_of(rows.values_list("value", "cell"), schema)
    assert frame.schema == pl.Schema(schema)
    assert frame.rows() == [(3, "a"), (7, "b"), (12, "c")]
    assert frame_of(rows.filter(cell="none").values_list("value", "cell"), schema).height == 0
