"""Tests share factories and helpers through `tests/support/` only: no test module (nor a
conftest) imports another test module or a conftest, where an import runs the other
module's tests' set-up and ties two files' fixtures together (issue 20)."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent

KNOWN = {
    # The browser fixtures' own helpers (the CSP listener, a new context) stay in their
    # conftest, which pytest loads for every browser test anyway.
    ("browser/test_security.py", "tests.browser.conftest"),
}


def _imported_test_modules(path: Path) -> set[str]:
    """The test modules and conftests `path` imports, as dotted names."""
    package = ".".join(path.relative_to(TESTS.parent).with_suffix("").parts[:-1])
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if not isinstance(node, ast.ImportFrom):
            continue
        module = node.module or ""
        if node.level:
            base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
            module = f"{base}.{module}" if module else base
        last = module.rsplit(".", 1)[-1]
        if module.startswith("tests.") and (last.startswith("test_") or last == "conftest"):
            found.add(module)
    return found


def test_no_test_module_imports_another() -> None:
    found = {
        (str(path.relative_to(TESTS)), module)
        for path in TESTS.rglob("*.py")
        for module in _imported_test_modules(path)
    }
    assert found - KNOWN == set()
    assert KNOWN - found == set(), "a known exception is gone: remove it from KNOWN"
