"""passerelle.core.extras: a missing optional engine is named by its extra."""

from __future__ import annotations

import importlib.abc
import sys
from collections.abc import Iterator
from importlib.machinery import ModuleSpec
from typing import Any

import pytest

from passerelle.core.extras import ExtraMissingError, extra_of, installed, require


class _Absent(importlib.abc.MetaPathFinder):
    def find_spec(self, name: str, path: Any, target: Any = None) -> ModuleSpec | None:
        if name.split(".")[0] == "sklearn":
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None


@pytest.fixture
def without_sklearn() -> Iterator[None]:
    saved = {name: module for name, module in sys.modules.items() if name.startswith("sklearn")}
    for name in saved:
        del sys.modules[name]
    finder = _Absent()
    sys.meta_path.insert(0, finder)
    yield
    sys.meta_path.remove(finder)
    sys.modules.update(saved)


def test_a_missing_module_names_its_extra(without_sklearn: None) -> None:
    with pytest.raises(ExtraMissingError) as raised:
        require("sklearn.linear_model", "evaluation")
    assert raised.value.extra == "evaluation"
    assert "pip install 'passerelle[evaluation]'" in str(raised.value)
    assert extra_of(raised.value) == "evaluation"
    assert not installed("evaluation")


def test_an_installed_module_is_returned_and_a_plain_error_stays_plain() -> None:
    assert require("ortools.graph.python.min_cost_flow", "matching").SimpleMinCostFlow
    assert installed("matching")
    assert extra_of(ModuleNotFoundError("No module named 'nothing'", name="nothing")) is None
    assert extra_of(ModuleNotFoundError("No module named 'duckdb'", name="duckdb")) == "linkage"
    with pytest.raises(ValueError, match="extra: got 'gpu'; allowed: evaluation, linkage"):
        require("json", "gpu")


def test_an_estimator_without_scikit_learn_says_which_extra(without_sklearn: None) -> None:
    from passerelle.core.evaluation import estimators

    with pytest.raises(ExtraMissingError, match=r"passerelle\[evaluation\]"):
        estimators._logistic_regression()
