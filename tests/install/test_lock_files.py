"""The lock files (requirements/*.lock) that `make test`, CI and `make demo` install from
stay in step with pyproject.toml: every dependency of the install they serve is pinned, at a
version that pyproject allows, with its hashes. After a change of the dependencies,
`make lock` writes them again (docs/operations.md, "Installing")."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

PROJECT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((PROJECT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
LOCKS = {"base": (), "demo": ("demo",), "dev": ("dev",)}
"""Each lock file and the extras it installs beside the dependencies."""
PIN = re.compile(r"^([A-Za-z0-9_.\-]+)(?:\[[^\]]*\])?==([^\s;\\]+)", re.MULTILINE)


def _requirements(extras: tuple[str, ...]) -> list[Requirement]:
    """The project's requirements with these extras, its own extras followed."""
    wanted = [Requirement(text) for text in PYPROJECT["dependencies"]]
    seen: set[str] = set()
    todo = list(extras)
    while todo:
        extra = todo.pop()
        if extra in seen:
            continue
        seen.add(extra)
        for text in PYPROJECT["optional-dependencies"][extra]:
            requirement = Requirement(text)
            if canonicalize_name(requirement.name) == "passerelle":
                todo.extend(requirement.extras)
            else:
                wanted.append(requirement)
    return wanted


def _pins(lock: str) -> dict[str, str]:
    text = (PROJECT / "requirements" / f"{lock}.lock").read_text(encoding="utf-8")
    return {canonicalize_name(name): version for name, version in PIN.findall(text)}


@pytest.mark.parametrize("lock", sorted(LOCKS))
def test_every_dependency_is_pinned_at_an_allowed_version(lock: str) -> None:
    pins = _pins(lock)
    for requirement in _requirements(LOCKS[lock]):
        if requirement.marker is not None and not requirement.marker.evaluate():
            continue
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{lock}.lock: {requirement.name} is not pinned: run `make lock`"
        assert requirement.specifier.contains(pins[name], prereleases=True), (
            f"{lock}.lock: {requirement.name}=={pins[name]} is outside {requirement.specifier}:"
            " run `make lock`"
        )


@pytest.mark.parametrize("lock", sorted(LOCKS))
def test_every_pin_carries_its_hashes(lock: str) -> None:
    text = (PROJECT / "requirements" / f"{lock}.lock").read_text(encoding="utf-8")
    blocks = re.split(r"\n(?=[A-Za-z0-9])", text.split("\n", 2)[2])
    assert len(blocks) == len(_pins(lock))
    for block in blocks:
        assert "--hash=sha256:" in block, f"{lock}.lock: no hash for {block.split()[0]}"


def test_the_server_lock_leaves_the_heavy_engines_out() -> None:
    base, demo = _pins("base"), _pins("demo")
    for heavy in (
        "splink",
        "duckdb",
        "dask",
        "distributed",
        "scikit-learn",
        "ortools",
    ):
        assert heavy not in base
        assert heavy in demo
    assert len(base) < len(demo) < len(_pins("dev"))
