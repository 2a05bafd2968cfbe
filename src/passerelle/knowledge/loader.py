"""Load and validate the knowledge base: every file, every record, every reference.

An error names the file, the record and the field, and all problems are reported at once
so that a contributor can fix a data change in one go.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import itertools
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from passerelle.knowledge.model import (
    READER_LANGUAGES,
    Citation,
    EuMembership,
    Municipality,
    Organisation,
    Parameter,
    Partnership,
    Programme,
    ReaderCatalogue,
    ReaderText,
    SourceDocument,
    StatusPeriod,
)

KNOWLEDGE_DIR = Path(__file__).resolve().parent
READER_DIR = "reader"

_SafeLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# Which top-level key of a YAML file holds which kind of record.
_SECTIONS: dict[str, type[BaseModel]] = {
    "sources": SourceDocument,
    "organisations": Organisation,
    "programmes": Programme,
    "partnerships": Partnership,
    "municipalities": Municipality,
    "parameters": Parameter,
    "eu_membership": EuMembership,
}


@dataclass(frozen=True)
class Problem:
    file: str
    record: str
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}: {self.record}"
        if self.field:
            where += f": {self.field}"
        return f"{where}: {self.message}"


class KnowledgeError(ValueError):
    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        listing = "\n".join(f"  - {problem}" for problem in problems)
        super().__init__(f"{len(problems)} problem(s) in the knowledge base:\n{listing}")


@dataclass(frozen=True)
class Knowledge:
    """The whole knowledge base, validated, with indexes by id."""

    sources: Mapping[str, SourceDocument]
    organisations: Mapping[str, Organisation]
    programmes: Mapping[str, tuple[Programme, ...]]
    """Every version of a programme, oldest first."""
    partnerships: Mapping[str, Partnership]
    municipalities: Mapping[str, Municipality]
    parameters: Mapping[str, Parameter]
    eu_membership: Mapping[str, EuMembership]
    reader: Mapping[str, ReaderCatalogue] = field(default_factory=dict)
    """The plain texts for readers, by language (`reader/<language>.yaml`)."""
    _municipality_lookup: Mapping[str, str] = field(default_factory=dict, repr=False)

    def programme_on(self, programme_id: str, on: dt.date) -> Programme | None:
        """The version of a programme in force on a date, if any."""
        for version in self.programmes[programme_id]:
            if _in_period(on, version.valid_from, version.valid_to):
                return version
        return None

    def programme_latest(self, programme_id: str) -> Programme:
        return self.programmes[programme_id][-1]

    def municipality_id(self, name_or_postcode: str) -> str | None:
        """The municipality for a name in French or Dutch (any case or accents) or a
        Belgian postcode; None when unknown."""
        return self._municipality_lookup.get(_lookup_key(name_or_postcode))

    def is_eu_member(self, country: str, on: dt.date) -> bool:
        membership = self.eu_membership.get(country.upper())
        if membership is None:
            return False
        return membership.joined <= on and (membership.left is None or on < membership.left)

    def reader_text(self, kind: ReaderKind, record_id: str, language: str) -> ReaderEntry | None:
        """The plain text of a record in `language`, with what it is a translation of and
        whether a fluent reader reviewed it; None when that language lacks it."""
        catalogue = self.reader.get(language)
        text = catalogue.entry(kind, record_id) if catalogue else None
        if catalogue is None or text is None:
            return None
        reviewed = catalogue.reviewed if text.reviewed is None else text.reviewed
        return ReaderEntry(language, text, catalogue.translated_from, catalogue.method, reviewed)

    def missing_reader_texts(self) -> dict[str, dict[ReaderKind, list[str]]]:
        """For every public language, the organisations and programmes without a plain text
        in it (every record needs one, `check-knowledge` reports the gaps)."""
        wanted: dict[ReaderKind, list[str]] = {
            "organisations": sorted(self.organisations),
            "programmes": sorted(self.programmes),
        }
        missing: dict[str, dict[ReaderKind, list[str]]] = {}
        for language in READER_LANGUAGES:
            catalogue = self.reader.get(language)
            missing[language] = {
                kind: [
                    record_id
                    for record_id in ids
                    if catalogue is None or catalogue.entry(kind, record_id) is None
                ]
                for kind, ids in wanted.items()
            }
        return missing


ReaderKind = Literal["organisations", "programmes"]


@dataclass(frozen=True)
class ReaderEntry:
    language: str
    text: ReaderText
    translated_from: str | None
    """None for the original; otherwise the language it was translated from."""
    method: str
    reviewed: bool


def _in_period(on: dt.date, start: Any, end: Any) -> bool:
    return (start is None or start.first_day <= on) and (end is None or on < end.first_day)


def _lookup_key(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.strip().casefold())
    letters = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(letters.replace("-", " ").replace("'", " ").split())


@functools.cache
def load_knowledge(directory: Path | None = None) -> Knowledge:
    """Read and validate every YAML file under `directory` (the packaged knowledge base by
    default). Raises `KnowledgeError` listing every problem."""
    root = directory or KNOWLEDGE_DIR
    problems: list[Problem] = []
    records: dict[str, list[tuple[str, BaseModel]]] = defaultdict(list)
    for path in sorted(root.rglob("*.yaml")):
        relative = path.relative_to(root).as_posix()
        if relative.startswith(("cases/", f"{READER_DIR}/")):
            continue
        for section, _record_id, record_or_problem in _read_file(path, relative):
            if isinstance(record_or_problem, Problem):
                problems.append(record_or_problem)
            else:
                records[section].append((relative, record_or_problem))
    knowledge = _index(records, problems)
    reader = _read_reader(root, problems)
    knowledge = dataclasses.replace(knowledge, reader=reader)
    problems.extend(_check_references(knowledge, records))
    problems.extend(_check_reader(knowledge))
    if problems:
        raise KnowledgeError(problems)
    return knowledge


def _read_reader(root: Path, problems: list[Problem]) -> dict[str, ReaderCatalogue]:
    """`reader/<language>.yaml`: one catalogue of plain texts per language, its file named
    after its language."""
    catalogues: dict[str, ReaderCatalogue] = {}
    for path in sorted((root / READER_DIR).glob("*.yaml")):
        relative = path.relative_to(root).as_posix()
        try:
            data = yaml.load(path.read_text(encoding="utf-8"), Loader=_SafeLoader)  # noqa: S506
            catalogue = ReaderCatalogue.model_validate(data)
        except yaml.YAMLError as error:
            problems.append(Problem(relative, "(file)", "", f"not valid YAML: {error}"))
            continue
        except ValidationError as error:
            for detail in error.errors():
                location = ".".join(str(part) for part in detail["loc"])
                message = detail["msg"].removeprefix("Value error, ")
                problems.append(Problem(relative, "(file)", location, message))
            continue
        if path.stem != catalogue.language:
            language = catalogue.language
            message = f"the file of language {language!r} must be named {language}.yaml"
            problems.append(Problem(relative, "(file)", "language", message))
            continue
        catalogues[catalogue.language] = catalogue
    return catalogues


def _check_reader(knowledge: Knowledge) -> list[Problem]:
    """Plain texts name existing records, and a translation's original exists."""
    problems: list[Problem] = []
    known: dict[ReaderKind, Mapping[str, object]] = {
        "organisations": knowledge.organisations,
        "programmes": knowledge.programmes,
    }
    for language, catalogue in knowledge.reader.items():
        file = f"{READER_DIR}/{language}.yaml"
        if (
            catalogue.translated_from is not None
            and catalogue.translated_from not in knowledge.reader
        ):
            message = f"no {catalogue.translated_from}.yaml to translate from"
            problems.append(Problem(file, "(file)", "translated_from", message))
        for kind, ids in known.items():
            for record_id in getattr(catalogue, kind):
                if record_id not in ids:
                    singular = kind.removesuffix("s")
                    problems.append(
                        Problem(
                            file,
                            f"{singular} {record_id!r}",
                            kind,
                            f"unknown {singular} id {record_id!r}",
                        )
                    )
    return problems


def _read_file(path: Path, relative: str) -> Iterator[tuple[str, str, BaseModel | Problem]]:
    try:
        # _SafeLoader is PyYAML's safe loader (its C version when built): no arbitrary objects.
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_SafeLoader)  # noqa: S506
    except yaml.YAMLError as error:
        yield "", "", Problem(relative, "(file)", "", f"not valid YAML: {error}")
        return
    if data is None:
        return
    if not isinstance(data, dict):
        yield "", "", Problem(relative, "(file)", "", "expected a mapping of sections")
        return
    for section, items in data.items():
        model = _SECTIONS.get(section)
        if model is None:
            message = f"unknown section {section!r}; allowed: {', '.join(_SECTIONS)}"
            yield "", "", Problem(relative, "(file)", str(section), message)
            continue
        if not isinstance(items, list):
            yield "", "", Problem(relative, section, "", "expected a list of records")
            continue
        for position, item in enumerate(items):
            record_id = _record_name(section, item, position)
            try:
                yield section, record_id, model.model_validate(item)
            except ValidationError as error:
                for detail in error.errors():
                    location = ".".join(str(part) for part in detail["loc"])
                    message = detail["msg"].removeprefix("Value error, ")
                    yield section, record_id, Problem(relative, record_id, location, message)
            except ValueError as error:
                yield section, record_id, Problem(relative, record_id, "", str(error))


def _record_name(section: str, item: object, position: int) -> str:
    if isinstance(item, dict):
        for key in ("id", "country"):
            if isinstance(item.get(key), str):
                return f"{section[:-1] if section.endswith('s') else section} {item[key]!r}"
    return f"{section}[{position}]"


RecordT = TypeVar("RecordT", bound=BaseModel)


def _unique(
    records: Iterable[tuple[str, BaseModel]], kind: type[RecordT], problems: list[Problem]
) -> dict[str, RecordT]:
    index: dict[str, RecordT] = {}
    origin: dict[str, str] = {}
    for file, record in records:
        if not isinstance(record, kind):
            raise TypeError(f"record: expected kind, got {type(record).__name__}")
        key = str(getattr(record, "id", None) or getattr(record, "country", ""))
        if key in index:
            problems.append(
                Problem(
                    file,
                    f"{kind.__name__.lower()} {key!r}",
                    "id",
                    f"duplicate id, first defined in {origin[key]}",
                )
            )
            continue
        index[key] = record
        origin[key] = file
    return index


def _index(records: dict[str, list[tuple[str, BaseModel]]], problems: list[Problem]) -> Knowledge:
    programmes: dict[str, list[Programme]] = defaultdict(list)
    programme_files: dict[str, str] = {}
    for file, record in records["programmes"]:
        if not isinstance(record, Programme):
            raise TypeError(f"record: expected Programme, got {type(record).__name__}")
        programmes[record.id].append(record)
        programme_files.setdefault(record.id, file)
    ordered: dict[str, tuple[Programme, ...]] = {}
    for programme_id, versions in programmes.items():
        versions.sort(key=lambda p: p.valid_from.first_day if p.valid_from else dt.date.min)
        for earlier, later in itertools.pairwise(versions):
            if (
                earlier.valid_to is None
                or (
                    later.valid_from is not None
                    and later.valid_from.first_day < earlier.valid_to.first_day
                )
                or later.valid_from is None
            ):
                problems.append(
                    Problem(
                        programme_files[programme_id],
                        f"programme {programme_id!r}",
                        "valid_from",
                        "versions of this programme have overlapping validity periods",
                    )
                )
        ordered[programme_id] = tuple(versions)
    municipalities = _unique(records["municipalities"], Municipality, problems)
    lookup: dict[str, str] = {}
    for municipality in municipalities.values():
        keys = [
            municipality.names.fr,
            municipality.names.nl,
            municipality.names.en,
            municipality.id,
            *municipality.postcodes,
        ]
        for key in keys:
            lookup.setdefault(_lookup_key(key), municipality.id)
    return Knowledge(
        sources=_unique(records["sources"], SourceDocument, problems),
        organisations=_unique(records["organisations"], Organisation, problems),
        programmes=ordered,
        partnerships=_unique(records["partnerships"], Partnership, problems),
        municipalities=municipalities,
        parameters=_unique(records["parameters"], Parameter, problems),
        eu_membership=_unique(records["eu_membership"], EuMembership, problems),
        _municipality_lookup=lookup,
    )


def _citations(record: BaseModel, path: str = "") -> Iterator[tuple[str, Citation]]:
    """Every citation inside a record, with the field path that holds it."""
    for name in type(record).model_fields:
        value = getattr(record, name)
        here = f"{path}.{name}" if path else name
        items = value if isinstance(value, list) else [value]
        for position, item in enumerate(items):
            where = f"{here}[{position}]" if isinstance(value, list) else here
            if isinstance(item, Citation):
                yield where, item
            elif isinstance(item, BaseModel):
                yield from _citations(item, where)


def _check_references(
    knowledge: Knowledge, records: dict[str, list[tuple[str, BaseModel]]]
) -> list[Problem]:
    problems: list[Problem] = []

    def unknown(file: str, record: str, where: str, value: str, kind: str) -> None:
        problems.append(Problem(file, record, where, f"unknown {kind} id {value!r}"))

    organisations = knowledge.organisations
    for section, items in records.items():
        for file, record in items:
            name = _record_name(section, record.model_dump(include={"id", "country"}), 0)
            for where, citation in _citations(record):
                if citation.source not in knowledge.sources:
                    unknown(file, name, f"{where}.source", citation.source, "source")
            if isinstance(record, Organisation):
                for where, ids in (("funders", record.funders), ("founders", record.founders)):
                    for ref in ids:
                        if ref not in organisations:
                            unknown(file, name, where, ref, "organisation")
                if record.municipality and record.municipality not in knowledge.municipalities:
                    unknown(file, name, "municipality", record.municipality, "municipality")
                problems.extend(_check_history(file, name, record.status_history, organisations))
            elif isinstance(record, Programme):
                if record.organisation not in organisations:
                    unknown(file, name, "organisation", record.organisation, "organisation")
            elif isinstance(record, Partnership):
                for ref in record.members:
                    if ref not in organisations:
                        unknown(file, name, "members", ref, "organisation")
                for ref in record.programmes:
                    if ref not in knowledge.programmes:
                        unknown(file, name, "programmes", ref, "programme")
                for event in record.events:
                    refs: tuple[tuple[str, str | None], ...] = (
                        ("organiser", event.organiser),
                        ("venue", event.venue),
                    )
                    for where, event_ref in refs:
                        if event_ref is not None and event_ref not in organisations:
                            unknown(
                                file, name, f"events.{event.id}.{where}", event_ref, "organisation"
                            )
    return problems


def _check_history(
    file: str, name: str, history: list[StatusPeriod], organisations: Mapping[str, Organisation]
) -> list[Problem]:
    problems: list[Problem] = []
    for position, period in enumerate(history):
        if period.parent is not None and period.parent not in organisations:
            problems.append(
                Problem(
                    file,
                    name,
                    f"status_history[{position}].parent",
                    f"unknown organisation id {period.parent!r}",
                )
            )
    # A period lasts until its valid_to, or else until the next period begins.
    for position, (earlier, later) in enumerate(itertools.pairwise(history)):
        end = earlier.valid_to.first_day if earlier.valid_to else None
        if later.valid_from.first_day <= earlier.valid_from.first_day or (
            end is not None and later.valid_from.first_day < end
        ):
            problems.append(
                Problem(
                    file,
                    name,
                    f"status_history[{position + 1}].valid_from",
                    "periods overlap or are not in date order",
                )
            )
    return problems
