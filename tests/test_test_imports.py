"""Tests share factories and helpers through `tests/support/` only: no test module (nor a
conftest) imports another test module or a conftest, where an import runs the other
module's tests' set-up and ties two files' fixtures together (issue 20)."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent

KNOWN = {
    # The browser tests' helpers (log in, choose a language, axe) still live in their test
    # modules; they move to tests/support/browser.py once the accessibility work on those
    # files is merged.
    ("browser/test_beneficiaries.py", "tests.browser.test_public_pages"),
    ("browser/test_beneficiaries.py", "tests.browser.test_staff_pages"),
    ("browser/test_error_pages.py", "tests.browser.test_public_pages"),
    ("browser/test_error_pages.py", "tests.browser.test_staff_pages"),
    ("browser/test_matching.py", "tests.browser.test_public_pages"),
    ("browser/test_matching.py", "tests.browser.test_staff_pages"),
    ("browser/test_referral_loop.py", "tests.browser.test_staff_pages"),
    ("browser/test_security.py", "tests.browser.conftest"),
    ("browser/test_staff_pages.py", "tests.browser.test_public_pages"),
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
