"""Pages write dates as the rules' sentences do, in the reader's language: "1er juin 2019" in
French, not Django's "1 juin 2019" (issue 18, rough edges)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import translation

from passerelle.web.apps.directory.templatetags.passerelle import iso_date, partial_date
from passerelle.web.common.labels import reader_date


@pytest.mark.parametrize(
    ("language", "expected"),
    [("fr", "1er juin 2019"), ("nl", "1 juni 2019"), ("en", "1 June 2019"), ("ar", "1 يونيو 2019")],
)
def test_a_page_date_is_written_in_the_readers_language(language: str, expected: str) -> None:
    with translation.override(language):
        assert iso_date("2019-06-01") == expected
        assert partial_date("2019-06-01") == expected
        assert reader_date(dt.date(2019, 6, 1)) == expected


def test_a_date_known_to_the_month_or_the_year_reads_so() -> None:
    with translation.override("fr"):
        assert partial_date("2018-03") == "mars 2018"
        assert partial_date("2012") == "2012"
        assert iso_date(None) == ""
