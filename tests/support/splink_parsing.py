"""Splink's SQL parsing memo, for the test session: it lives in the engine now
(`passerelle.core.linkage.splink_parsing`, applied whenever the engine builds a model), and
the session's conftest applies it before any test, as before."""

from __future__ import annotations

from passerelle.core.linkage.splink_parsing import memoize_splink_parsing, original_splink_parsing

__all__ = ["memoize_splink_parsing", "original_splink_parsing"]
