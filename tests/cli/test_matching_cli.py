"""`passerelle match` and `passerelle gaps` as a user runs them, and their input errors."""

from __future__ import annotations

import csv
import json
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from typer.testing import CliRunner

from passerelle.cli.main import app

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "matching"
runner = CliRunner()


@pytest.mark.parametrize(
    ("kind", "slots_file"),
    [("vacancy", "vacancies.csv"), ("mentoring", "mentors.csv"), ("internship", "internships.csv")],
)
def test_match_round_trip(tmp_path: Path, kind: str, slots_file: str) -> None:
    out = tmp_path / "matches.csv"
    result = runner.invoke(
        app,
        [
            "match",
            "--kind",
            kind,
            "--input",
            str(EXAMPLE),
            "--out",
            str(out),
            "--on",
            "2019-06-01",
            "--format",
            "json",
        ],
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    with out.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    with (EXAMPLE / "persons.csv").open(encoding="utf-8") as handle:
        persons = [row["person_id"] for row in csv.DictReader(handle)]
    with (EXAMPLE / slots_file).open(encoding="utf-8") as handle:
        capacity = {row["slot_id"]: int(row["capacity"]) for row in csv.DictReader(handle)}
    assert [row["person_id"] for row in rows] == persons
    assert all(row["explanation"] for row in rows)
    matched = [row for row in rows if row["status"] == "matched"]
    assert summary["matched"] == len(matched)
    assert sum(summary["unmatched_by_reason"].values()) == len(rows) - len(matched)
    for slot_id, places in capacity.items():
        assert sum(row["slot_id"] == slot_id for row in matched) <= places
    assert summary["objective_expected_placements"] >= summary["greedy_expected_placements"]


def test_match_example_reasons(tmp_path: Path) -> None:
    out = tmp_path / "m.csv"
    result = runner.invoke(
        app,
        [
            "match",
            "--kind",
            "vacancy",
            "--input",
            str(EXAMPLE),
            "--out",
            str(out),
            "--on",
            "2019-06-01",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "uplift over greedy" in result.stdout
    with out.open(encoding="utf-8") as handle:
        rows = {row["person_id"]: row for row in csv.DictReader(handle)}
    assert "no right to work before 1 July 2019" in rows["A02"]["explanation"]
    assert "French A2 where B1 is required" in rows["A02"]["explanation"]
    assert rows["A06"]["status"] == "unmatched"


def test_gaps_prints_and_draws(tmp_path: Path) -> None:
    svg = tmp_path / "gaps.svg"
    result = runner.invoke(
        app,
        [
            "gaps",
            "--input",
            str(EXAMPLE),
            "--on",
            "2019-06-01",
            "--svg",
            str(svg),
            "--format",
            "json",
        ],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    electrician = next(v for v in data["vacancies"] if v["slot_id"] == "V-electrician")
    assert electrician["qualifying"] == {"0": 0, "3": 0, "6": 1, "12": 1}
    assert ET.fromstring(svg.read_text(encoding="utf-8")).tag.endswith("svg")


def _broken(tmp_path: Path, file: str, old: str, new: str) -> Path:
    directory = tmp_path / "round"
    shutil.copytree(EXAMPLE, directory)
    path = directory / file
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return directory


@pytest.mark.parametrize(
    ("file", "old", "new", "expected"),
    [
        ("persons.csv", "2019-03-15", "15/03/2019", "persons.csv, row 3, column waiting_since"),
        ("persons.csv", "fr:A2 en:B2", "french", "persons.csv, row 3, column languages"),
        ("persons.csv", "Anderlecht", "Anderlect", "persons.csv, row 4, column municipality"),
        (
            "persons.csv",
            "diploma_recognised",
            "diploma_ok",
            "persons.csv, row 1, column diploma_ok",
        ),
        ("vacancies.csv", "fr:B1|nl:B1", "fr:B7", "vacancies.csv, row 2, column languages"),
        ("vacancies.csv", ",2,fr", ",0,fr", "vacancies.csv, row 2, column capacity"),
        ("vacancies.csv", "V-courier", "V-cook", "vacancies.csv, row 3, column slot_id"),
    ],
)
def test_input_errors_name_file_row_and_column(
    tmp_path: Path, file: str, old: str, new: str, expected: str
) -> None:
    directory = _broken(tmp_path, file, old, new)
    result = runner.invoke(
        app,
        [
            "match",
            "--kind",
            "vacancy",
            "--input",
            str(directory),
            "--out",
            str(tmp_path / "m.csv"),
            "--on",
            "2019-06-01",
        ],
    )
    assert result.exit_code == 2
    assert expected in result.output.replace("\n", " ")
    assert not (tmp_path / "m.csv").exists()


def test_missing_file(tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        [
            "match",
            "--kind",
            "mentoring",
            "--input",
            str(tmp_path),
            "--out",
            str(tmp_path / "m.csv"),
        ],
    )
    assert result.exit_code == 2
    assert "persons.csv" in result.output


@pytest.mark.parametrize(
    ("option", "value", "expected"),
    [("--min-score", "120", "--min-score"), ("--block-digits", "5", "--block-digits")],
)
def test_bad_options(tmp_path: Path, option: str, value: str, expected: str) -> None:
    result = runner.invoke(
        app,
        [
            "match",
            "--kind",
            "vacancy",
            "--input",
            str(EXAMPLE),
            "--out",
            str(tmp_path / "m.csv"),
            option,
            value,
        ],
    )
    assert result.exit_code == 2
    assert expected in result.output


def test_gaps_of_internship_offers(tmp_path: Path) -> None:
    args = ["gaps", "--input", str(EXAMPLE), "--on", "2019-06-01", "--format", "json"]
    result = runner.invoke(app, [*args, "--kind", "internship"])
    assert result.exit_code == 0, result.output
    offers = json.loads(result.stdout)["vacancies"]
    internships = (EXAMPLE / "internships.csv").read_text(encoding="utf-8").splitlines()
    assert {o["slot_id"] for o in offers} == {line.split(",")[0] for line in internships[1:]}
    for offer in offers:
        assert offer["candidates"] >= offer["qualifying"]["0"]
        assert offer["qualifying"]["12"] >= offer["qualifying"]["0"]
    refused = runner.invoke(app, [*args, "--kind", "mentoring"])
    assert refused.exit_code == 2
    assert "--kind" in refused.output
