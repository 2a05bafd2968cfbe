"""Functions stay short: none over LIMIT lines (from its `def` to its last line), but
today's longer ones listed in LONG_FUNCTIONS, which may shrink and may not grow.

Read with the standard library's `ast`, without importing anything. Migrations are generated
code and do not count. A function that grows past LIMIT is split by what it does (issue 20,
docs/architecture.md, "Long functions"); one listed here that falls to LIMIT or below leaves
the list, so that it cannot grow back unnoticed.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

SOURCE = Path(__file__).resolve().parents[1] / "src"
LIMIT = 60

# Measured on 7 December 2026, after issue 20's splitting (61 functions over 60 lines before,
# the longest 234). Most of those left are engines' numeric kernels; the Typer commands name
# their options as option types (cli/common.py, cli/evaluation.py) instead of filling the
# signature.
LONG_FUNCTIONS = {
    "passerelle/core/linkage/features.py::plaintext_features": 74,
    "passerelle/core/linkage/pairs.py::score_pairs": 91,
    "passerelle/core/linkage/relearn.py::relearn": 69,
    "passerelle/core/linkage/synthetic.py::generate": 94,
    "passerelle/web/apps/directory/situation.py::situation_result": 87,
}


def _functions(node: ast.AST, prefix: str) -> Iterator[tuple[str, int]]:
    """(qualified name, lines) of every function under `node`, nested ones included."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            name = f"{prefix}.{child.name}" if prefix else child.name
            if not isinstance(child, ast.ClassDef):
                yield name, (child.end_lineno or child.lineno) - child.lineno + 1
            yield from _functions(child, name)
        else:
            yield from _functions(child, prefix)


def long_functions(root: Path, limit: int) -> dict[str, int]:
    """`path::qualified.name` -> lines, for every function of `root` over `limit` lines."""
    found = {}
    for path in sorted(root.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        key = path.relative_to(root).as_posix()
        for name, lines in _functions(ast.parse(path.read_text(encoding="utf-8")), ""):
            if lines > limit:
                found[f"{key}::{name}"] = lines
    return found


def test_the_measure_counts_a_function_from_its_def_to_its_last_line() -> None:
    tree = ast.parse(
        "def outer():\n    x = 1\n\n    def inner():\n        return x\n    return inner\n"
    )
    assert dict(_functions(tree, "")) == {"outer": 6, "outer.inner": 2}


def test_no_function_is_longer_than_the_limit_or_than_it_was() -> None:
    found = long_functions(SOURCE, LIMIT)
    new = {key: lines for key, lines in found.items() if key not in LONG_FUNCTIONS}
    grown = {
        key: f"{LONG_FUNCTIONS[key]} -> {lines}"
        for key, lines in found.items()
        if key in LONG_FUNCTIONS and lines > LONG_FUNCTIONS[key]
    }
    assert not new, f"over {LIMIT} lines: split them by what they do: {new}"
    assert not grown, f"longer than they were: {grown}"


def test_the_list_names_only_functions_still_over_the_limit() -> None:
    found = long_functions(SOURCE, LIMIT)
    gone = sorted(set(LONG_FUNCTIONS) - set(found))
    assert not gone, f"now {LIMIT} lines or fewer (or renamed): remove from LONG_FUNCTIONS: {gone}"
