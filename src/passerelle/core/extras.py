"""The heavy engines are optional extras of the package (pyproject.toml,
`[project.optional-dependencies]`): the web server and the CLI import each only in the
function that needs it, through `require`, so that an installation without an extra starts
and serves everything else, and says which extra to install where one is missing
(docs/operations.md, "Installing")."""

from __future__ import annotations

import importlib
import importlib.util
from types import ModuleType

EXTRAS: dict[str, tuple[str, ...]] = {
    "linkage": ("splink", "duckdb"),
    "simulation": ("dask", "distributed"),
    "evaluation": ("sklearn",),
    "matching": ("ortools",),
}
"""Each extra and the top-level modules it brings (as pyproject.toml declares them)."""


class ExtraMissingError(ModuleNotFoundError):
    """A feature needs an optional extra that is not installed."""

    def __init__(self, extra: str, module: str) -> None:
        self.extra = extra
        self.module = module
        super().__init__(
            f"this needs the optional '{extra}' extra (module {module} is not installed): "
            f"pip install 'passerelle[{extra}]'",
            name=module,
        )


def require(module: str, extra: str) -> ModuleType:
    """`module`, imported; ExtraMissingError naming `extra` when it is not installed."""
    if extra not in EXTRAS:
        raise ValueError(f"extra: got {extra!r}; allowed: {', '.join(sorted(EXTRAS))}")
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as error:
        missing = (error.name or module).split(".")[0]
        if missing in EXTRAS[extra]:
            raise ExtraMissingError(extra, missing) from error
        raise


def extra_of(error: BaseException) -> str | None:
    """The extra whose absence caused `error` (an import of one of its modules), or None."""
    if isinstance(error, ExtraMissingError):
        return error.extra
    if isinstance(error, ModuleNotFoundError) and error.name:
        top = error.name.split(".")[0]
        for extra, modules in EXTRAS.items():
            if top in modules:
                return extra
    return None


def installed(extra: str) -> bool:
    """Whether every module of `extra` can be imported (without importing it)."""
    for module in EXTRAS[extra]:
        try:
            if importlib.util.find_spec(module) is None:
                return False
        except ImportError:  # an import hook that refuses it says as much
            return False
    return True
