"""Dates in the rights' sentences read as dates of the reader's language, never as ISO
(issue 18: "depuis le 2023-01-20"; "1 juin" for "1er juin")."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from passerelle.core.i18n import language_of, long_date, reader_date
from passerelle.core.profile import profile_from_data
from passerelle.core.rules.options import rights
from passerelle.knowledge.dates import PartialDate

ISO = re.compile(r"\d{4}-\d{2}-\d{2}")
ASYLUM_SEEKER = {"legal_status": "asylum_seeker", "asylum_application_date": "2023-02-01"}


def _right_to_work_reasons(language: str) -> str:
    with language_of(language):
        fact = rights(profile_from_data(ASYLUM_SEEKER), dt.date(2023, 3, 1))["right_to_work"]
    return " ".join(fact.reasons)


@pytest.mark.parametrize(
    ("language", "application", "arises"),
    [
        ("fr", "depuis le 1er février 2023", "naît le 1er juin 2023"),
        ("nl", "sinds 1 februari 2023", "op 1 juni 2023"),
        ("en", "since 1 February 2023", "arises on 1 June 2023"),
        ("ar", "1 فبراير 2023", "1 يونيو 2023"),
    ],
)
def test_the_dates_of_a_reason_are_in_the_readers_language(
    language: str, application: str, arises: str
) -> None:
    reasons = _right_to_work_reasons(language)
    assert application in reasons
    assert arises in reasons
    assert not ISO.search(reasons)


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("fr", "20 janvier 2023"),
        ("nl", "20 januari 2023"),
        ("en", "20 January 2023"),
        ("ar", "20 يناير 2023"),
        ("uk", "20 січня 2023 р."),
    ],
)
def test_a_day_other_than_the_first_has_no_ordinal(language: str, expected: str) -> None:
    with language_of(language):
        assert long_date(dt.date(2023, 1, 20)) == expected


def test_a_partial_date_reads_to_its_precision() -> None:
    with language_of("fr"):
        assert reader_date(PartialDate.parse("2019-06")) == "juin 2019"
        assert reader_date(PartialDate.parse("2019")) == "2019"
        assert reader_date(PartialDate.parse("2019-08-01")) == "1er août 2019"
    with language_of("uk"):
        # The month on its own is the nominative, inside a date the genitive (CLDR).
        assert reader_date(PartialDate.parse("2019-06")) == "червень 2019"
