"""Decimal numbers are rounded to their places, not cut, in the reader's language: the one
helper behind the dashboard's shares, the evaluation page's percentages, the review's
probabilities and the scenarios' figures (issue 20)."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

from django.utils import translation
from django.utils.formats import number_format

from passerelle.web.common.labels import decimal_text


def test_a_float_is_rounded_where_number_format_alone_cuts_it() -> None:
    with translation.override("fr"):
        # The defect the helper exists for: Django drops the extra decimals.
        assert number_format(15.39, 1) == "15,3"
        assert decimal_text(15.39, 1) == "15,4"
        assert decimal_text(0.899, 2) == "0,90"
        assert decimal_text(0.96, 1) == "1,0"
    with translation.override("en"):
        assert decimal_text(15.39, 1) == "15.4"


def test_the_places_are_always_written() -> None:
    with translation.override("nl"):
        assert decimal_text(2.0, 2) == "2,00"
        assert decimal_text(7, 3) == "7,000"


def test_grouping_separates_thousands_as_the_language_does() -> None:
    with translation.override("fr"):
        value = 1234567.891
        expected = Decimal(str(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_EVEN)
        # The separators come from Django's French formats; the digits from Decimal.
        separator = number_format(1000, 0, force_grouping=True)[1:-3]
        assert decimal_text(value, 1, grouping=True) == (
            f"1{separator}234{separator}567,{str(expected).split('.')[1]}"
        )
        assert decimal_text(value, 1) == "1234567,9"
