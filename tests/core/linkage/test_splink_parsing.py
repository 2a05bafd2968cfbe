"""The engine's memo of splink's SQL parsing (core/linkage/splink_parsing.py) gives what
splink's own functions give, for every condition and column of our models, and the engine
applies it whenever it uses splink (not only the test session)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from passerelle.core.linkage.model import _settings
from passerelle.core.linkage.splink_parsing import memoize_splink_parsing, original_splink_parsing


@pytest.mark.parametrize("mode", ["plaintext", "private", "baseline"])
def test_the_memo_gives_what_splink_gives(mode: str) -> None:
    from splink.internals import comparison_level
    from splink.internals.input_column import InputColumn, SqlglotColumnTreeBuilder

    assert memoize_splink_parsing()  # the session's conftest has already applied it
    originals = original_splink_parsing()
    settings = _settings(mode, "duckdb", None).get_settings("duckdb")  # type: ignore[arg-type]
    levels = [
        level
        for comparison in settings.comparisons
        for level in comparison.comparison_levels
        if not level._is_else_level
    ]
    assert len(levels) > 10
    for level in levels:
        dialect = level.sqlglot_dialect
        expected = originals["columns_used"](level.sql_condition, dialect)
        first = comparison_level.get_columns_used_from_sql(level.sql_condition, dialect)
        second = comparison_level.get_columns_used_from_sql(level.sql_condition, dialect)
        assert first == second == expected
        first.append("changed by a caller")  # a caller's change reaches no other caller
        assert comparison_level.get_columns_used_from_sql(level.sql_condition, dialect) == expected
        for column in level._input_columns_used_by_sql_condition:
            name = column.input_name
            built = SqlglotColumnTreeBuilder.from_raw_column_name_or_column_reference(name, dialect)
            assert built == originals["from_reference"](SqlglotColumnTreeBuilder, name, dialect)
            assert InputColumn(name, sqlglot_dialect_str=dialect).col_builder == built
    # bad input is refused as splink refuses it, each time (errors are not memoized)
    for _ in range(2):
        with pytest.raises(ValueError, match="Could not parse input column"):
            SqlglotColumnTreeBuilder.from_raw_column_name_or_column_reference('a"b', "duckdb")


def test_the_engine_applies_the_memo_whenever_it_uses_splink() -> None:
    # a fresh interpreter: the test session's conftest has applied the memo in this one
    script = (
        "from splink.internals import comparison_level\n"
        "from passerelle.core.linkage.model import _quiet_splink\n"
        "before = comparison_level.get_columns_used_from_sql.__name__\n"
        "with _quiet_splink():\n"
        "    pass\n"
        "print(before, comparison_level.get_columns_used_from_sql.__name__)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert result.stdout.split() == ["get_columns_used_from_sql", "columns_used_memoized"]
