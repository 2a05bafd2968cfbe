"""The shape of the code: no import cycle among passerelle's modules, and no module that
borrows a private name (`_name`) of another package.

Read with the standard library's `ast`, without importing anything: every `import` counts,
at module level and inside functions alike (an import deferred into a function to dodge a
cycle is still a cycle), except those under `if TYPE_CHECKING:`, which never run.
import-linter (pyproject.toml) enforces the layers between packages; this test catches
cycles inside a layer, which its contracts do not see.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from pathlib import Path

SOURCE = Path(__file__).resolve().parents[1] / "src"


def modules_under(root: Path) -> dict[str, Path]:
    """Module name -> file, for every .py file of the packages under `root`."""
    found = {}
    for path in sorted(root.rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _import_nodes(node: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.If) and _is_type_checking(child.test):
            yield from (n for s in child.orelse for n in _import_nodes_of(s))
            continue
        yield from _import_nodes_of(child)


def _import_nodes_of(node: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    if isinstance(node, ast.Import | ast.ImportFrom):
        yield node
    else:
        yield from _import_nodes(node)


def _absolute(module: str, path: Path, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    base = package[: len(package) - (node.level - 1)]
    return ".".join([*base, *([node.module] if node.module else [])])


def imports_of(module: str, path: Path) -> Iterator[tuple[str, str | None]]:
    """(imported module, imported name or None) for every import the module runs."""
    for node in _import_nodes(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, None
        else:
            source = _absolute(module, path, node)
            for alias in node.names:
                yield source, alias.name


def import_graph(modules: Mapping[str, Path]) -> dict[str, set[str]]:
    """Which of `modules` each of them imports (a `from package import module` counts as
    importing the module)."""
    graph: dict[str, set[str]] = {}
    for module, path in modules.items():
        targets = set()
        for source, name in imports_of(module, path):
            if name is not None and f"{source}.{name}" in modules:
                targets.add(f"{source}.{name}")
            elif source in modules:
                targets.add(source)
        targets.discard(module)
        graph[module] = targets
    return graph


def cycles(graph: Mapping[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, successors = work[-1]
            step = next(successors, None)
            if step is not None:
                if step not in index:
                    index[step] = low[step] = len(index)
                    stack.append(step)
                    on_stack.add(step)
                    work.append((step, iter(sorted(graph.get(step, ())))))
                elif step in on_stack:
                    low[node] = min(low[node], index[step])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return sorted(found)


def borrowed_private_names(modules: Mapping[str, Path]) -> list[str]:
    """`importer: module._name` for each private name imported from another package."""
    borrowed = []
    for module, path in modules.items():
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        for source, name in imports_of(module, path):
            if name is None or not name.startswith("_") or not source.startswith("passerelle"):
                continue
            source_package = (
                source
                if source in modules and modules[source].name == ("__init__.py")
                else source.rpartition(".")[0]
            )
            if source_package != package and name not in ("_", "__version__"):
                borrowed.append(f"{module}: {source}.{name}")
    return sorted(borrowed)


def test_no_import_cycle() -> None:
    found = cycles(import_graph(modules_under(SOURCE)))
    assert found == [], "import cycles:\n" + "\n".join(" <-> ".join(c) for c in found)


def test_no_package_borrows_another_ones_private_names() -> None:
    assert borrowed_private_names(modules_under(SOURCE)) == []


def _package(root: Path, files: Mapping[str, str]) -> dict[str, Path]:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return modules_under(root)


def test_the_checks_find_what_they_look_for(tmp_path: Path) -> None:
    """A deferred import that closes a loop is a cycle; an import under TYPE_CHECKING is
    not; a private name from another package is borrowed, one from a sibling is not."""
    modules = _package(
        tmp_path,
        {
            "passerelle/__init__.py": "",
            "passerelle/a/__init__.py": "",
            "passerelle/a/one.py": "from passerelle.a import two\n",
            "passerelle/a/two.py": "def f():\n    from passerelle.a.one import x\n",
            "passerelle/a/three.py": (
                "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                "    from passerelle.b.four import _hidden\n"
                "from . import _sibling\n"
            ),
            "passerelle/a/_sibling.py": "",
            "passerelle/b/__init__.py": "",
            "passerelle/b/four.py": "from ..a.three import y\nfrom passerelle.a.one import _z\n",
        },
    )
    assert cycles(import_graph(modules)) == [["passerelle.a.one", "passerelle.a.two"]]
    assert borrowed_private_names(modules) == ["passerelle.b.four: passerelle.a.one._z"]


SETTINGS = SOURCE / "passerelle" / "web" / "config" / "settings"


def settings_read(modules: Mapping[str, Path]) -> dict[str, str]:
    """Setting name -> the first module that reads it (`settings.NAME` or `getattr(settings,
    "NAME", ...)`), outside the settings package."""
    read: dict[str, str] = {}
    for module, path in modules.items():
        if path.is_relative_to(SETTINGS):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            name = None
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id == "settings"
                and node.attr.isupper()
            ):
                name = node.attr
            elif (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "getattr"
                and len(node.args) >= 2
                and isinstance(node.args[0], ast.Name)
                and node.args[0].id == "settings"
                and isinstance(node.args[1], ast.Constant)
            ):
                name = str(node.args[1].value)
            if name is not None:
                read.setdefault(name, module)
    return read


def declared_settings(path: Path) -> set[str]:
    names = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
        names.update(t.id for t in targets if isinstance(t, ast.Name) and t.id.isupper())
    return names


def test_every_setting_the_code_reads_is_declared_in_the_base_settings() -> None:
    """A setting read with a default nowhere declared (the small-cell threshold was) hides a
    rule from whoever configures the platform: each one is in base.py with its comment, or
    is Django's own."""
    from django.conf import global_settings

    declared = declared_settings(SETTINGS / "base.py") | set(dir(global_settings))
    missing = {
        name: module
        for name, module in settings_read(modules_under(SOURCE)).items()
        if name not in declared
    }
    assert missing == {}
