"""The command line as a user runs it: JSON shapes, tables, and clear errors."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from passerelle.cli.main import app

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
runner = CliRunner()


def _json(*args: str) -> object:
    result = runner.invoke(app, [*args, "--format", "json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_options_json_shape_and_the_asylum_seekers_right_to_work() -> None:
    data = _json("options", str(EXAMPLES / "profile-asylum-seeker.json"), "--on", "2018-06-01")
    assert isinstance(data, dict)
    assert data["on"] == "2018-06-01"
    right = data["rights"]["right_to_work"]
    assert right["value"] == "with_permit"
    assert (right["from"], right["next_value"]) == ("2019-01-01", "yes")
    assert right["reasons"]
    assert right["sources"]
    assert {"value", "from", "reasons", "sources"} <= set(data["rights"]["integration_pathway"])
    programmes = {item["id"]: item for item in data["programmes"]}
    for item in programmes.values():
        assert {"id", "organisation", "status", "from", "missing", "reasons", "sources"} <= set(
            item
        )
        assert item["status"] in {"eligible", "not_eligible", "eligible_from", "unknown"}
    assert programmes["tandem-internship"]["status"] == "eligible"
    assert programmes["bapa-bxl-integration-pathway"]["status"] == "not_eligible"


def test_options_says_from_which_date_a_programme_opens() -> None:
    data = _json("options", str(EXAMPLES / "profile-asylum-seeker.json"), "--on", "2018-03-01")
    assert isinstance(data, dict)
    rights = data["rights"]["right_to_work"]
    assert (rights["value"], rights["from"], rights["next_value"]) == (
        "no",
        "2018-05-12",
        "with_permit",
    )
    actiris = next(p for p in data["programmes"] if p["id"] == "actiris-job-support")
    assert actiris["status"] == "eligible_from"
    assert actiris["from"] == "2018-05-12"


def test_rights_alone() -> None:
    data = _json("rights", str(EXAMPLES / "profile-refugee.json"), "--on", "2019-06-01")
    assert isinstance(data, dict)
    assert set(data) == {"right_to_work", "integration_pathway"}
    assert data["right_to_work"]["value"] == "yes"
    assert data["integration_pathway"]["value"] == "eligible"


def test_orgs_on_a_date() -> None:
    data = _json("orgs", "--on", "2019-01-01")
    assert isinstance(data, list)
    by_id = {item["id"]: item for item in data}
    assert by_id["feb-vbo-refugee-taskforce"]["status"] == "dormant"
    assert by_id["tandem"] == {
        "id": "tandem",
        "name": by_id["tandem"]["name"],
        "status": "part_of",
        "parent": "european-volunteer-centre",
    }
    before = _json("orgs", "--on", "2011-06-01")
    assert isinstance(before, list)
    assert {item["id"]: item["status"] for item in before}["duo-for-a-job"] == "not_yet_founded"


def test_tables_are_the_default() -> None:
    result = runner.invoke(
        app, ["options", str(EXAMPLES / "profile-refugee.json"), "--on", "2019-06-01"]
    )
    assert result.exit_code == 0, result.output
    assert "Programmes on 1 June 2019" in result.stdout
    assert "right_to_work" in result.stdout


def test_check_knowledge_reports_a_valid_base() -> None:
    data = _json("check-knowledge")
    assert isinstance(data, dict)
    assert data["ok"] is True
    assert data["counts"]["organisations"] >= 17 + 19


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"birth_date": "1990-31-12"}', "birth_date: got '1990-31-12'; expected a date"),
        ('{"colour": "red"}', "colour: unknown field; allowed: birth_date"),
        ("not json", "is not valid JSON"),
    ],
)
def test_bad_profiles_end_with_a_message_naming_the_field(
    tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "profile.json"
    path.write_text(content, encoding="utf-8")
    result = runner.invoke(app, ["options", str(path), "--on", "2019-01-01"])
    assert result.exit_code == 2
    assert message in " ".join(result.stderr.split())
    assert "Traceback" not in result.output


def test_bad_dates_and_dates_outside_the_rules_are_refused() -> None:
    profile = str(EXAMPLES / "profile-refugee.json")
    result = runner.invoke(app, ["rights", profile, "--on", "01/02/2019"])
    assert result.exit_code == 2
    assert "--on: '01/02/2019' is not a date; expected YYYY-MM-DD" in result.stderr
    result = runner.invoke(app, ["rights", profile, "--on", "2005-01-01"])
    assert result.exit_code == 2
    assert "on: 2005-01-01 is outside the dates the rules cover" in " ".join(result.stderr.split())


def test_a_missing_profile_file() -> None:
    result = runner.invoke(app, ["rights", "/nonexistent/profile.json"])
    assert result.exit_code == 2
    assert "does not exist" in result.stderr


def test_the_table_hides_local_services_of_other_municipalities_unless_asked() -> None:
    profile = str(EXAMPLES / "profile-refugee.json")
    short = runner.invoke(app, ["options", profile, "--on", "2019-06-01"], env={"COLUMNS": "200"})
    assert short.exit_code == 0, short.output
    assert "cpas-molenbeek-saint-jean-socio-professional-integration" in short.stdout
    assert "cpas-uccle-socio-professional-integration" not in short.stdout
    assert "18 local services of other municipalities not shown" in short.stdout
    full = runner.invoke(
        app, ["options", profile, "--on", "2019-06-01", "--all"], env={"COLUMNS": "200"}
    )
    assert "cpas-uccle-socio-professional-integration" in full.stdout


def test_the_table_groups_unrecorded_programmes_under_ask_with_a_contact(tmp_path: Path) -> None:
    # A refugee in Schaerbeek: SAMPA (Molenbeek residents only) is not open; BON records no
    # condition, so the table says to ask BON and gives its website (issue 18, item 1).
    profile = json.loads((EXAMPLES / "profile-refugee.json").read_text(encoding="utf-8"))
    path = tmp_path / "profile.json"
    path.write_text(json.dumps({**profile, "municipality": "schaerbeek"}), encoding="utf-8")
    result = runner.invoke(
        app, ["options", str(path), "--on", "2019-06-01", "--all"], env={"COLUMNS": "250"}
    )
    assert result.exit_code == 0, result.output
    blocks = re.split(r"\n[├└].*\n", result.stdout)
    rows = {block.split("│")[1].strip(): block for block in blocks if block.count("│") > 4}
    assert "not open" in rows["sampa-newcomer-support"]
    assert "no conditions recorded" in rows["bon-civic-integration"]
    assert "contact: https://www.bon.be" in result.stdout
    data = _json("options", str(path), "--on", "2019-06-01")
    assert isinstance(data, dict)
    groups = {item["id"]: item["group"] for item in data["programmes"]}
    assert groups["sampa-newcomer-support"] == "not_eligible"
    assert groups["bon-civic-integration"] == "ask"
