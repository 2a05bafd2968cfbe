"""The independent test population: its own names, its own romanisation and FEBRL/GeCo-style
corruptions, and nothing shared with the engine's generator or tables."""

from __future__ import annotations

import ast
import datetime as dt
import random
from pathlib import Path

import polars as pl
import pytest

from passerelle.core.linkage import synthetic_independent
from passerelle.core.linkage.features import parse_birth_date
from passerelle.core.linkage.synthetic import generate
from passerelle.core.linkage.synthetic_independent import (
    CorruptionModel,
    generate_independent,
    romanise,
)


@pytest.fixture(scope="module")
def population() -> pl.DataFrame:
    return generate_independent(20_000, seed=5)


def test_same_columns_as_the_own_generator_exact_size_and_deterministic(
    population: pl.DataFrame,
) -> None:
    assert population.columns == generate(10, seed=1).columns
    assert population.height == 20_000
    assert population["record_id"].n_unique() == population.height
    assert generate_independent(3_000, seed=5).equals(generate_independent(3_000, seed=5))
    sizes = population.group_by("person_id").len()["len"]
    assert sizes.min() == 1
    assert sizes.max() == 5


def test_imports_nothing_of_the_engine_or_its_generator() -> None:
    source = Path(synthetic_independent.__file__).read_text(encoding="utf-8")
    imported = {
        node.module or ""
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.ImportFrom)
    }
    assert not {module for module in imported if module.startswith(".")}  # no relative import
    assert not any("linkage" in module for module in imported)
    # its names come from its own file only
    assert "independent_population.yaml" in source
    assert "name_variants" not in source


def test_one_name_romanised_by_rules_in_several_systems() -> None:
    rng = random.Random(3)
    model = CorruptionModel()
    spellings = {
        romanise("yUsuf", "arabic", system, model, rng)
        for system in ("english", "french", "german", "dutch")
        for _ in range(10)
    }
    # English Yusuf/Yoosuf, French Youssouf, German Jusuf, Dutch Joesoef
    assert {"Yusuf", "Jusuf"} <= spellings
    assert any(spelling.startswith("Joe") for spelling in spellings)
    assert any("ou" in spelling for spelling in spellings)
    assert romanise("Diallo", "latin", "latin", model, rng) == "Diallo"


def _share(population: pl.DataFrame, condition: pl.Expr) -> float:
    return population.filter(condition).height / population.height


def test_error_kinds_of_the_literature_at_their_rates(population: pl.DataFrame) -> None:
    date = pl.col("birth_date")
    missing = _share(population, date == "")
    year_only = _share(population, date.str.contains(r"^\d{4}$"))
    placeholder = _share(population, date.str.contains(r"^(\d{4}-01-01|01[/.]01[/.]\d{4})$"))
    empty_name = _share(population, (pl.col("given_name") == "") | (pl.col("surname") == ""))
    # each a few percent: present, and not the bulk of the data
    for share in (missing, year_only, placeholder, empty_name):
        assert 0.005 < share < 0.15, (missing, year_only, placeholder, empty_name)
    # given and family names swapped: a person's given name found as another record's surname
    people = population.group_by("person_id").agg("given_name", "surname")
    swapped = sum(
        1
        for given, surname in people.select("given_name", "surname").iter_rows()
        if len(given) > 1 and set(given) & set(surname) - {""}
    )
    assert swapped > 0.01 * people.height


def test_a_year_off_by_one_never_makes_an_impossible_date() -> None:
    # 29 February 1992 moved to 1991 or 1993 would not exist: the year stays
    person = synthetic_independent._Person(
        person_id=1,
        origin=synthetic_independent._origins()[0],
        sex="f",
        given="fATima",
        family=["al-Hasan"],
        birth=dt.date(1992, 2, 29),
        placeholder=False,
        postcode="1000",
        phone="0470000000",
        system="english",
    )
    for seed in range(50):
        text = synthetic_independent._render_date(person, ["year"], random.Random(seed))
        assert parse_birth_date(text) is not None, text


def test_the_errors_injected_are_recorded_without_changing_the_data() -> None:
    plain = generate_independent(2_000, seed=7)
    annotated = generate_independent(2_000, seed=7, with_errors=True)
    assert "errors" not in plain.columns
    assert annotated.drop("errors").equals(plain)  # recording draws nothing
    kinds = set(annotated["errors"].str.split(" ").explode().to_list())
    assert {"birth_date:missing", "names:swap", "given:keyboard", "phone:none"} <= kinds
    assert any(kind.startswith("system:") for kind in kinds)
    # what a record says was injected is what it shows
    missing = annotated.filter(pl.col("errors").str.contains("birth_date:missing"))
    assert missing.height > 0
    assert (missing["birth_date"] == "").all()
    emptied = annotated.filter(pl.col("errors").str.contains("postcode:missing"))
    assert (emptied["postcode"] == "").all()
