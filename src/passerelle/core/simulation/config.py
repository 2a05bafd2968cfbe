"""The simulation's inputs: model assumptions (with the calibrated parameters) and scenarios.

Both are YAML validated with pydantic (`extra="forbid"`); a bad file raises
`SimulationConfigError` with one line per problem naming the file and the field. Scenarios
live beside the engine (`core/simulation/scenarios/`), not in the knowledge base: the
knowledge base holds sourced facts (every record must cite a source and the loader
validates every YAML file under it), a scenario is a counterfactual.
"""

from __future__ import annotations

import datetime as dt
import functools
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

SIMULATION_DIR = Path(__file__).resolve().parent
SCENARIO_DIR = SIMULATION_DIR / "scenarios"
ASSUMPTIONS_FILE = SIMULATION_DIR / "assumptions.yaml"
BASELINE = "baseline"

ParameterScalar = bool | int | float | str | list[str] | dict[str, int] | None


class SimulationConfigError(ValueError):
    """A bad assumptions or scenario file; `problems` holds one line per field."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ProgrammeAssumption(_Strict):
    """A programme of the simulation: one or more programmes of the knowledge base."""

    key: Annotated[str, Field(pattern=r"^[a-z_]+$")]
    knowledge_programmes: Annotated[list[str], Field(min_length=1)]
    group: str
    """Programmes of one group are alternatives for coordinated routing."""
    per_year: Annotated[float, Field(ge=0)]
    """Starts a year when the knowledge base records no capacity (an assumption)."""
    share_for_newcomers: Annotated[float, Field(gt=0, le=1)] = 1.0
    """The share of places that goes to asylum seekers and protected persons."""
    duration_months: Annotated[int, Field(ge=1, le=36)]
    uptake: Annotated[float, Field(ge=0, le=1)]
    """The probability that an eligible newcomer is referred to (or asks for) it."""
    language_gain: Annotated[float, Field(ge=0, le=1)] = 0.0
    employment_effect: Annotated[float, Field(ge=0)] = 0.0
    """Hazard multiplier 1 + effect x (1 - ease) during and after the programme."""
    recognition: bool = False
    placement: bool = False
    """Employer placements: a participant starts a job at the end with `placement_rate`."""
    age_between: tuple[int, int] | None = None
    informal_age_between: tuple[int, int] | None = None
    """Informal routing (by age, as the article describes): the age band sent here."""
    needs_pathway: bool = False
    needs_right_to_work: bool = False
    needs_protection: bool = True
    needs_english_and_education: bool = False
    needs_foreign_diploma: bool = False
    informal_share: Annotated[float, Field(ge=0, le=1)] = 1.0
    """Informal routing between alternatives of a group: the share sent here."""


class Calibrated(_Strict):
    """Parameters fitted by `passerelle simulate --calibrate` (see docs/simulation.md)."""

    base_hazard: Annotated[float, Field(gt=0, lt=1)]
    language_growth: Annotated[float, Field(ge=0, lt=1)]
    programme_effect_scale: Annotated[float, Field(ge=0)]
    monthly_separation: Annotated[float, Field(gt=0, lt=1)]
    """Jobs end at this monthly rate."""


ASSUMPTION = "assumption"


class Provenance(_Strict):
    """Where a figure of the model comes from: `source` names it (the seed article's
    paragraph, the knowledge base, the calibration), or is `assumption` when no source gives
    it; `reason` says in one line why the value was chosen or how the source is read."""

    source: Annotated[str, Field(min_length=1)]
    reason: Annotated[str, Field(min_length=1)]

    @property
    def is_assumption(self) -> bool:
        return self.source == ASSUMPTION


PROGRAMME_FIGURES = (
    "per_year",
    "share_for_newcomers",
    "duration_months",
    "uptake",
    "language_gain",
    "employment_effect",
    "age_between",
    "informal_age_between",
    "informal_share",
)
"""A programme's figures that need a provenance (when set)."""


class Assumptions(_Strict):
    start: dt.date
    months: Annotated[int, Field(ge=1, le=1080)]
    applications_per_year_default: Annotated[float, Field(gt=0)]
    brussels_share: Annotated[float, Field(gt=0, le=1)]
    decision_months_mean: Annotated[float, Field(ge=1)]
    outcome_shares: dict[Literal["refugee", "subsidiary_protection", "no_permit"], float]
    age_mean_over_18: Annotated[float, Field(gt=0)]
    higher_education_share: Annotated[float, Field(ge=0, le=1)]
    english_share: Annotated[float, Field(ge=0, le=1)]
    language_at_arrival_beta: tuple[float, float]
    language_effect: float
    recognition_effect: float
    with_permit_factor: Annotated[float, Field(ge=0, le=1)]
    placement_rate: Annotated[float, Field(ge=0, le=1)]
    waiting_abandon_months: Annotated[int, Field(ge=1)]
    """People leave a waiting list after this many months."""
    subsidised_admission_share: Annotated[float, Field(ge=0, le=1)] = 1.0
    calibrated: Calibrated
    programmes: Annotated[list[ProgrammeAssumption], Field(min_length=1)]
    provenance: dict[str, Provenance] = Field(default_factory=dict)
    """Figure path (`brussels_share`, `calibrated.base_hazard`, `programmes.duo.per_year`;
    `programmes.*.uptake` for every programme) to where it comes from."""

    def figure_paths(self) -> list[str]:
        """Every figure of the model that needs a provenance, as a dotted path."""
        skip = {"start", "months", "calibrated", "programmes", "provenance"}
        paths = [name for name in type(self).model_fields if name not in skip]
        paths += [f"calibrated.{name}" for name in Calibrated.model_fields]
        for programme in self.programmes:
            paths += [
                f"programmes.{programme.key}.{name}"
                for name in PROGRAMME_FIGURES
                if getattr(programme, name) is not None
            ]
        return paths

    def provenance_of(self, path: str) -> Provenance | None:
        found = self.provenance.get(path)
        if found is None and path.startswith("programmes."):
            _, _key, name = path.split(".", 2)
            found = self.provenance.get(f"programmes.*.{name}")
        return found

    def figure_value(self, path: str) -> Any:
        parts = path.split(".")
        if parts[0] == "programmes":
            programme = next(p for p in self.programmes if p.key == parts[1])
            return getattr(programme, parts[2])
        node: Any = self
        for part in parts:
            node = getattr(node, part)
        return node

    @model_validator(mode="after")
    def _every_figure_says_where_it_comes_from(self) -> Assumptions:
        if not self.provenance:
            return self
        missing = [path for path in self.figure_paths() if self.provenance_of(path) is None]
        if missing:
            raise ValueError("provenance: no source or assumption for " + ", ".join(missing))
        return self

    @model_validator(mode="after")
    def _shares(self) -> Assumptions:
        total = sum(self.outcome_shares.values())
        if abs(total - 1) > 1e-6:
            raise ValueError(f"outcome_shares: must add up to 1, not {total:g}")
        keys = [p.key for p in self.programmes]
        if len(set(keys)) != len(keys):
            raise ValueError("programmes: keys must be unique")
        return self


class ParameterChange(_Strict):
    """OpenFisca-style update of a dated parameter: `value` from `valid_from` (until
    `valid_to`, when the value in force before is restored)."""

    id: Annotated[str, Field(pattern=r"^[a-z0-9_.]+$")]
    valid_from: dt.date
    valid_to: dt.date | None = None
    value: ParameterScalar

    @model_validator(mode="after")
    def _period(self) -> ParameterChange:
        if self.valid_to is not None and self.valid_to <= self.valid_from:
            raise ValueError("valid_to: must be after valid_from")
        return self


class CapacityChange(_Strict):
    """A change to a programme's places from a date: a factor, a number of starts a year,
    and/or keeping the programme open when its organisation stops (`operating: true`)."""

    programme: str
    valid_from: dt.date
    valid_to: dt.date | None = None
    factor: Annotated[float, Field(ge=0)] | None = None
    per_year: Annotated[float, Field(ge=0)] | None = None
    operating: bool | None = None

    @model_validator(mode="after")
    def _something(self) -> CapacityChange:
        if self.factor is None and self.per_year is None and self.operating is None:
            raise ValueError("one of factor, per_year or operating is required")
        if self.factor is not None and self.per_year is not None:
            raise ValueError("factor and per_year: give one, not both")
        if self.valid_to is not None and self.valid_to <= self.valid_from:
            raise ValueError("valid_to: must be after valid_from")
        return self


class Settings(_Strict):
    routing: Literal["informal", "coordinated"] = "informal"
    """informal: referrals follow characteristics (age, language) and wait where sent;
    coordinated: referrals go to the alternative of the group with room."""
    admission: Literal["first_come", "easy_cases_first"] = "first_come"
    """easy_cases_first: organisations paid by dossier count admit the easiest cases."""


class ScenarioText(_Strict):
    title: str
    description: str


class Scenario(_Strict):
    name: Annotated[str, Field(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$")]
    title: str
    description: str
    parameters: list[ParameterChange] = []
    capacities: list[CapacityChange] = []
    settings: Settings = Settings()
    sources: list[str] = []
    """Where the counterfactual comes from (bibliography ids or a sentence)."""
    translations: dict[Literal["fr", "nl", "ar"], ScenarioText] = {}
    """The title and description in other languages (the English above is the reference;
    the scenario page shows the English, marked, where a language is missing)."""


def _problems(error: ValidationError, where: str) -> list[str]:
    lines = []
    for item in error.errors():
        place = ".".join(str(part) for part in item["loc"]) or "(file)"
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "literal_error":
            message = f"{message} (got {item.get('input')!r})"
        lines.append(f"{where}: {place}: {message}")
    return lines


def _read_yaml(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise SimulationConfigError([f"{path}: {error.strerror}"]) from error
    except yaml.YAMLError as error:
        raise SimulationConfigError([f"{path}: not valid YAML: {error}"]) from error


def scenario_from_data(data: object, where: str = "scenario") -> Scenario:
    try:
        return Scenario.model_validate(data)
    except ValidationError as error:
        raise SimulationConfigError(_problems(error, where)) from error


def load_scenario_file(path: Path) -> Scenario:
    scenario = scenario_from_data(_read_yaml(path), path.name)
    if path.stem != scenario.name:
        raise SimulationConfigError([f"{path.name}: name: must be the file name {path.stem!r}"])
    return scenario


@functools.cache
def load_assumptions(path: Path = ASSUMPTIONS_FILE) -> Assumptions:
    try:
        return Assumptions.model_validate(_read_yaml(path))
    except ValidationError as error:
        raise SimulationConfigError(_problems(error, path.name)) from error


def scenario_names(directory: Path = SCENARIO_DIR) -> list[str]:
    return sorted(path.stem for path in directory.glob("*.yaml"))


def load_scenario(name: str, directory: Path = SCENARIO_DIR) -> Scenario:
    """A shipped scenario by name, or a YAML file by path; `baseline` changes nothing."""
    if name == BASELINE:
        return Scenario(name=BASELINE, title="Baseline", description="The rules as they were.")
    path = Path(name)
    if path.suffix in (".yaml", ".yml") and path.exists():
        return load_scenario_file(path)
    candidate = directory / f"{name}.yaml"
    if not candidate.exists():
        allowed = ", ".join([BASELINE, *scenario_names(directory)])
        raise SimulationConfigError([f"scenario: unknown scenario {name!r}; allowed: {allowed}"])
    return load_scenario_file(candidate)


def with_assumption(assumptions: Assumptions, path: str, value: float) -> Assumptions:
    """A copy with one numeric assumption changed, by dotted path: `with_permit_factor`,
    `calibrated.base_hazard`, `programmes.<key>.per_year`. Validated like the file."""
    data = assumptions.model_dump()
    parts = path.split(".")
    node: Any = data
    for position, part in enumerate(parts[:-1]):
        if isinstance(node, list):
            matches = [item for item in node if item.get("key") == part]
            if not matches:
                keys = ", ".join(item["key"] for item in node)
                raise SimulationConfigError(
                    [f"--sweep: {path}: unknown programme {part!r}; allowed: {keys}"]
                )
            node = matches[0]
        elif isinstance(node, dict) and part in node:
            node = node[part]
        else:
            where = ".".join(parts[: position + 1])
            raise SimulationConfigError([f"--sweep: {path}: unknown assumption {where!r}"])
    last = parts[-1]
    if not isinstance(node, dict) or last not in node or not isinstance(node[last], int | float):
        raise SimulationConfigError([f"--sweep: {path}: not a numeric assumption"])
    node[last] = value
    try:
        return Assumptions.model_validate(data)
    except ValidationError as error:
        raise SimulationConfigError(_problems(error, f"--sweep {path}={value:g}")) from error
