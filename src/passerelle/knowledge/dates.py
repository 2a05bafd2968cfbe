"""Dates as the sources give them, and calendar arithmetic shared by every engine.

Sources often date an event to a year ("founded in 2012") or a month ("dormant since
March 2018"). We keep that precision so that nothing is shown more precisely than a source
says, while computations use the first day of the period.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Literal

Precision = Literal["year", "month", "day"]

_PARTIAL = re.compile(r"^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?$")


@dataclass(frozen=True, order=True)
class PartialDate:
    """A date known to a year, a month or a day; `first_day` is used for computations."""

    first_day: dt.date
    precision: Precision = "day"

    @classmethod
    def parse(cls, value: object) -> PartialDate:
        """Accept a `date`, a year as an int, or 'YYYY', 'YYYY-MM', 'YYYY-MM-DD'."""
        if isinstance(value, PartialDate):
            return value
        if isinstance(value, dt.datetime):
            raise ValueError(f"expected a date without a time, got {value!r}")
        if isinstance(value, dt.date):
            return cls(value, "day")
        if isinstance(value, int) and not isinstance(value, bool):
            value = f"{value:04d}"
        if not isinstance(value, str):
            raise ValueError(f"expected a date as YYYY, YYYY-MM or YYYY-MM-DD, got {value!r}")
        match = _PARTIAL.match(value.strip())
        if not match:
            raise ValueError(f"expected a date as YYYY, YYYY-MM or YYYY-MM-DD, got {value!r}")
        year, month, day = match.groups()
        try:
            if day is not None:
                return cls(dt.date(int(year), int(month), int(day)), "day")
            if month is not None:
                return cls(dt.date(int(year), int(month), 1), "month")
            return cls(dt.date(int(year), 1, 1), "year")
        except ValueError as error:
            raise ValueError(f"not a calendar date: {value!r} ({error})") from None

    def __str__(self) -> str:
        if self.precision == "year":
            return f"{self.first_day.year:04d}"
        if self.precision == "month":
            return f"{self.first_day.year:04d}-{self.first_day.month:02d}"
        return self.first_day.isoformat()


def anniversary(start: dt.date, *, years: int = 0, months: int = 0) -> dt.date:
    """The date `years` and `months` after `start`.

    When that day does not exist (29 February, 31 April) the anniversary is the first day
    of the next month: someone born on 29 February turns 18 on 1 March in a common year.
    `full_months_between` and the vectorised evaluator use the same convention.
    """
    total = start.year * 12 + (start.month - 1) + years * 12 + months
    year, month0 = divmod(total, 12)
    try:
        return dt.date(year, month0 + 1, start.day)
    except ValueError:
        year, month0 = divmod(total + 1, 12)
        return dt.date(year, month0 + 1, 1)


def full_months_between(start: dt.date, on: dt.date) -> int:
    """Whole months elapsed from `start` to `on` (negative before `start`)."""
    months = (on.year - start.year) * 12 + (on.month - start.month)
    if on.day < start.day:
        months -= 1
    return months


def full_years_between(start: dt.date, on: dt.date) -> int:
    """Whole years elapsed from `start` to `on`: an age on `on` for a birth date `start`."""
    years = on.year - start.year
    if (on.month, on.day) < (start.month, start.day):
        years -= 1
    return years
