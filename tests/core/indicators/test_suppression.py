"""Small cells are withheld in exported frames; zeros and labels stay."""

from __future__ import annotations

import polars as pl
import pytest

from passerelle.core.indicators.suppression import suppress_small_cells


def _frame() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "organisation": ["a", "b", "c", "d"],
            "cohort": [2010, 2011, 2012, 2013],
            "count": [3, 0, 12, 7],
            "denominator": [40, 50, 60, 4],
            "rate": [3 / 40, 0.0, 0.2, 7 / 4],
        }
    )


def test_rows_with_a_count_from_one_to_four_are_withheld() -> None:
    result = suppress_small_cells(_frame())
    assert result["suppressed"].to_list() == [True, False, False, True]
    assert result["count"].to_list() == [None, 0, 12, None]
    assert result["denominator"].to_list() == [None, 50, 60, None]
    assert result["rate"].to_list() == [None, 0.0, 0.2, None]
    # Labels, including integer labels such as the cohort year, are kept.
    assert result["organisation"].to_list() == ["a", "b", "c", "d"]
    assert result["cohort"].to_list() == [2010, 2011, 2012, 2013]


def test_threshold_and_explicit_count_columns() -> None:
    assert suppress_small_cells(_frame(), threshold=13)["suppressed"].to_list() == [
        True,
        False,
        True,
        True,
    ]
    only_denominator = suppress_small_cells(_frame(), counts=["denominator"])
    assert only_denominator["suppressed"].to_list() == [False, False, False, True]
    with pytest.raises(ValueError, match="threshold"):
        suppress_small_cells(_frame(), threshold=0)
    with pytest.raises(ValueError, match="no column"):
        suppress_small_cells(_frame(), counts=["persons"])
