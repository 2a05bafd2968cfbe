"""Scenario figures are rounded, not cut (Django's number_format drops a float's extra
decimals: 15.39 read "15,3")."""

from __future__ import annotations

from django.utils import translation

from passerelle.web.apps.scenarios.views import _number


def test_a_figure_is_rounded_to_its_decimals_with_the_readers_mark() -> None:
    with translation.override("fr"):
        assert _number(15.39, 1) == "15,4"
        assert _number(0.96, 1) == "1,0"
        assert _number(None, 1) == "–"
