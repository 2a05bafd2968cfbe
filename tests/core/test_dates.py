import datetime as dt

import pytest

from passerelle.knowledge.dates import (
    PartialDate,
    anniversary,
    full_months_between,
    full_years_between,
)

D = dt.date


@pytest.mark.parametrize(
    ("start", "years", "months", "expected"),
    [
        (D(2000, 2, 29), 18, 0, D(2018, 3, 1)),
        (D(2000, 2, 29), 20, 0, D(2020, 2, 29)),
        (D(2019, 1, 31), 0, 1, D(2019, 3, 1)),
        (D(2019, 1, 31), 0, 4, D(2019, 5, 31)),
        (D(2018, 10, 30), 0, 4, D(2019, 3, 1)),
    ],
)
def test_anniversary_rolls_to_the_next_month_when_the_day_does_not_exist(
    start: dt.date, years: int, months: int, expected: dt.date
) -> None:
    day = anniversary(start, years=years, months=months)
    assert day == expected
    # The counting functions agree: the duration is reached on that day, not the day before.
    if years:
        assert full_years_between(start, day) == years
        assert full_years_between(start, day - dt.timedelta(days=1)) == years - 1
    else:
        assert full_months_between(start, day) == months
        assert full_months_between(start, day - dt.timedelta(days=1)) == months - 1


@pytest.mark.parametrize(
    ("raw", "text", "precision"),
    [(2012, "2012", "year"), ("2018-03", "2018-03", "month"), (D(2016, 6, 1), "2016-06-01", "day")],
)
def test_partial_dates_keep_the_precision_of_the_source(
    raw: object, text: str, precision: str
) -> None:
    parsed = PartialDate.parse(raw)
    assert str(parsed) == text
    assert parsed.precision == precision


@pytest.mark.parametrize("raw", ["2018-13", "March 2018", "2018-02-30", 3.5])
def test_bad_partial_dates_are_refused(raw: object) -> None:
    with pytest.raises(ValueError, match="date"):
        PartialDate.parse(raw)
