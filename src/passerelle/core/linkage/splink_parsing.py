"""Splink's SQL parsing, memoized (applied by the engine whenever it builds a model).

Splink parses the same short SQL again and again while it builds and trains a model: each
column reference (four constant strings and the reference itself, for every one of some
7 400 references a training makes) and each comparison level's condition, through sqlglot.
On a small population (a few thousand records: the platform's runs of a few organisations,
the tests) that parsing is about three quarters of a linkage run's CPU, a cost that does
not shrink with the records. Both functions are pure: the column builder is a frozen
dataclass made from the text alone, and the columns of a condition are a list of names made
from the text alone (each caller gets its own copy of the list). Errors are not memoized
(they are raised again). The caches are bounded (`CACHE_SIZE` entries each, least recently
used dropped): the engine's SQL is a few hundred strings, and a long-running worker must not
grow without bound. The models, pairs and clusters are the same with or without the memo
(tests/core/linkage/test_splink_parsing.py checks it against splink on every level of the
three models).
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any

CACHE_SIZE = 16_384
_ORIGINALS: dict[str, Any] = {}
_LOCK = threading.Lock()


def memoize_splink_parsing() -> bool:
    """Memoize splink's two parsing functions (once per process; later calls do nothing);
    False when splink is not installed."""
    try:
        from splink.internals import (
            comparison_level,
            em_training_session,
            input_column,
            parse_sql,
            settings,
        )
    except ImportError:
        return False
    with _LOCK:
        if _ORIGINALS:
            return True
        builder = input_column.SqlglotColumnTreeBuilder
        from_reference = builder.from_raw_column_name_or_column_reference.__func__  # type: ignore[attr-defined]
        built = functools.lru_cache(maxsize=CACHE_SIZE)(from_reference)

        def from_reference_memoized(cls: type, input_str: str, sqlglot_dialect: Any) -> Any:
            return built(cls, input_str, sqlglot_dialect)

        columns_used: Callable[..., list[str]] = parse_sql.get_columns_used_from_sql
        parsed = functools.lru_cache(maxsize=CACHE_SIZE)(columns_used)

        def columns_used_memoized(
            sql: str, sqlglot_dialect: Any = None, retain_table_prefix: bool = False
        ) -> list[str]:
            return list(parsed(sql, sqlglot_dialect, retain_table_prefix))

        builder.from_raw_column_name_or_column_reference = classmethod(from_reference_memoized)  # type: ignore[method-assign,assignment]
        for module in (parse_sql, comparison_level, settings, em_training_session):
            module.get_columns_used_from_sql = columns_used_memoized  # type: ignore[attr-defined]
        _ORIGINALS["from_reference"] = from_reference
        _ORIGINALS["columns_used"] = columns_used
    return True


def original_splink_parsing() -> dict[str, Any]:
    """The functions the memo wraps (for the test that compares them with it)."""
    return dict(_ORIGINALS)
