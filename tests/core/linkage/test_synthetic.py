"""The synthetic population: how names spread over people (realistic against narrow)."""

from __future__ import annotations

import ast
import hashlib
import random
from collections import Counter
from pathlib import Path

import polars as pl
import pytest

from passerelle.core.linkage import synthetic
from passerelle.core.linkage.synthetic import ORIGINS, NameSpread, Origin, _given, generate


def _origin(name: str) -> Origin:
    return next(origin for origin in ORIGINS if origin.name == name)


def test_narrow_names_come_from_the_commonest_lists_evenly() -> None:
    syria = _origin("Syria")
    rng = random.Random(1)
    drawn = Counter(_given(syria, "m", rng, "narrow") for _ in range(20_000))
    assert set(drawn) <= set(syria.given_m)
    assert max(drawn.values()) < 2 * min(drawn.values())  # about 1/39 each


def test_realistic_names_follow_zipf_and_reach_beyond_the_commonest() -> None:
    syria = _origin("Syria")
    rng = random.Random(1)
    drawn = Counter(_given(syria, "m", rng, "realistic") for _ in range(20_000))
    first, second = syria.given_m[:2]
    # half the draws from the commonest names, by Zipf's law: the first twice the second
    assert drawn.most_common(1)[0][0] == first
    assert 1.6 < drawn[first] / drawn[second] < 2.4
    beyond = sum(n for name, n in drawn.items() if name not in syria.given_m)
    assert 0.4 < beyond / 20_000 < 0.6
    formed = sum(n for name, n in drawn.items() if name.startswith("Abdul") or "-Eddin" in name)
    assert formed > 0.1 * 20_000  # Abd al-... and ...ad-Din names, as Syrians form them


def _unique_full_names(records: pl.DataFrame) -> float:
    people = records.group_by("person_id").agg(
        pl.col("given_name").first().str.to_lowercase(),
        pl.col("surname").first().str.to_lowercase(),
    )
    namesakes = people.group_by("given_name", "surname").len()
    return float((namesakes["len"] == 1).sum() / people.height)


def test_realistic_names_give_fewer_namesakes_than_narrow_ones() -> None:
    # at 100 000 records, where namesakes start to weigh (spelling variants aside)
    narrow = generate(100_000, seed=3, names="narrow")
    realistic = generate(100_000, seed=3, names="realistic")
    assert realistic.height == narrow.height == 100_000
    assert _unique_full_names(realistic) > _unique_full_names(narrow) + 0.05
    assert generate(2_000, seed=3).equals(generate(2_000, seed=3))  # deterministic per seed


# The population of seed 2026 as the generator made it while its name lists were Python
# (sha256 of the CSV), before they moved to data/synthetic_names.yaml: the same bytes.
_POPULATION_SHA256 = {
    "realistic": "3329302ac170b3f1856a9c6798adad4fb3570f33ba9b2d6e09ef4115b7445dee",
    "narrow": "775de4aac721821a7711b3825e4aa2c0b3694010b265590914fceee52b59c044",
}


@pytest.mark.parametrize("names", ["realistic", "narrow"])
def test_the_name_lists_in_data_give_the_same_population_byte_for_byte(names: NameSpread) -> None:
    csv = generate(5_000, seed=2026, names=names).write_csv()
    assert hashlib.sha256(csv.encode()).hexdigest() == _POPULATION_SHA256[names]


def test_name_lists_are_data_loaded_once_not_code() -> None:
    source = Path(synthetic.__file__).read_text(encoding="utf-8")
    texts = {
        node.value
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    }
    names = {name for names in synthetic._name_lists().values() for name in names}
    assert len(names) > 1_000
    # Abdi: the Somali form of Abd the code joins to a divine attribute; "": no Flemish head
    assert texts & names == {"", "Abdi"}
    assert synthetic._name_lists() is synthetic._name_lists()
    assert synthetic._name_lists()["flemish_heads"][0] == "Van "  # quoted spaces kept
