"""The facts read a situation through the `FactSource` protocol and import nothing of it, not
even for type checking: the situation asks the facts for its derived fields, and an import
back closed a loop (issue 20's facts <-> situation)."""

from __future__ import annotations

import ast
import datetime as dt
from pathlib import Path

import passerelle.core.rules.facts as facts
from passerelle.core.profile import Profile
from passerelle.core.rules.situation import Situation
from passerelle.knowledge.loader import load_knowledge


def _imported_modules(path: Path) -> set[str]:
    modules: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            modules.add(node.module)
        elif isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
    return modules


def test_the_facts_import_nothing_of_the_situation() -> None:
    imported = _imported_modules(Path(facts.__file__))
    assert "passerelle.core.rules.situation" not in imported
    assert "passerelle.core.rules.fields" in imported  # the walk does see the imports


def test_a_situation_is_what_the_facts_read() -> None:
    profile = Profile(legal_status="refugee")
    situation = Situation(profile, load_knowledge())
    fact = facts.fact_on(situation, "right_to_work", dt.date(2025, 1, 1))
    assert fact.value == "yes"
    assert situation.cached_fact(("right_to_work", dt.date(2025, 1, 1))) is fact
