"""Views and API modules read person data only through people.access: they may not import
people.models (import-linter contract in pyproject.toml) nor reach the person models or their
related managers by any other road, which this test checks in their syntax trees."""

from __future__ import annotations

import ast
from pathlib import Path

WEB = Path(__file__).resolve().parents[3] / "src" / "passerelle" / "web"
PERSON_MODELS = {"Person", "PersonVersion", "Consent", "Disclosure"}
RELATED_MANAGERS = {"consents", "disclosures", "versions"}


def _thin_modules() -> list[Path]:
    return sorted(
        path
        for pattern in ("apps/*/views.py", "apps/*/api.py", "api.py")
        for path in WEB.glob(pattern)
    )


def _problems(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    problems = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "passerelle.web.apps.people.models":
            problems.append(f"{path.name}:{node.lineno} imports people.models")
        if isinstance(node, ast.Name) and node.id in PERSON_MODELS:
            problems.append(f"{path.name}:{node.lineno} uses {node.id}")
        if isinstance(node, ast.Attribute) and node.attr in RELATED_MANAGERS:
            problems.append(f"{path.name}:{node.lineno} reads .{node.attr}")
    return problems


def test_views_and_api_modules_go_through_access() -> None:
    modules = _thin_modules()
    assert any(path.parent.name == "people" for path in modules)
    problems = [problem for path in modules for problem in _problems(path)]
    assert not problems, problems


def test_the_check_catches_a_direct_query(tmp_path: Path) -> None:
    bad = tmp_path / "views.py"
    bad.write_text(
        "from passerelle.web.apps.people.models import Person\n"
        "def v(request, org):\n    return Person.objects.all(), org.person.consents.all()\n"
    )
    assert len(_problems(bad)) == 3
