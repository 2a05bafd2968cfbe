"""`passerelle evaluate` and `passerelle report` as a user runs them (synthetic data)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import numpy as np
import polars as pl
from typer.testing import CliRunner

from passerelle.cli.main import app
from passerelle.core.evaluation.synthetic import CohortParameters, generate_cohort
from passerelle.core.indicators.report import CSV_COLUMNS

runner = CliRunner()


def test_evaluate_json_on_synthetic_data_with_truth_and_love_plot(tmp_path: Path) -> None:
    svg = tmp_path / "love.svg"
    args = ["evaluate", "--programme", "mentoring", "--persons", "8000", "--seed", "2"]
    args += ["--bootstrap", "20", "--format", "json", "--love-plot", str(svg)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    methods = [item["method"] for item in data["estimates"]]
    assert methods == ["naive", "psm", "ipw", "aipw"]
    naive = data["estimates"][0]
    assert naive["effect"] > data["truth"]["ate"] > 0  # selection on motivation
    for item in data["estimates"]:
        assert item["ci_low"] <= item["effect"] <= item["ci_high"]
    assert {row["covariate"] for row in data["balance"]} >= {"education", "english"}
    assert svg.read_text(encoding="utf-8").startswith("<svg")


def test_evaluate_table_from_a_csv_input(tmp_path: Path) -> None:
    cohort = generate_cohort(CohortParameters(persons=6000, seed=4, motivation="observed"))
    path = tmp_path / "sample.csv"
    cohort.evaluation_sample().drop("y0", "y1").write_csv(path)
    result = runner.invoke(
        app,
        [
            "evaluate",
            "--input",
            str(path),
            "--bootstrap",
            "10",
            "--covariates",
            "education,english,motivation_score",
        ],
    )
    assert result.exit_code == 0, result.output
    for word in ("naive", "psm", "ipw", "aipw", "education"):
        assert word in result.stdout


def test_evaluate_errors_name_the_option_and_allowed_values(tmp_path: Path) -> None:
    result = runner.invoke(app, ["evaluate", "--programme", "yoga"])
    assert result.exit_code == 2
    assert "--programme" in result.output
    assert "mentoring" in result.output
    path = tmp_path / "bad.csv"
    pl.DataFrame({"treated": [0, 1, 3], "outcome": [0, 1, 0], "x": [1, 2, 3]}).write_csv(path)
    result = runner.invoke(app, ["evaluate", "--input", str(path), "--bootstrap", "10"])
    assert result.exit_code == 2
    said = " ".join(result.output.split())
    assert "treated: 3 on row 3 is not a binary value; allowed values: 0/1, true/false" in said


def _outside_file(path: Path, persons: int = 600, *, hole: bool = False) -> Path:
    """A CSV as an outside checker would bring it: yes/no treatment, earnings as the outcome,
    a text category, a true/false column, NA for a missing value."""
    rng = np.random.default_rng(8)
    age = rng.integers(18, 60, persons)
    city = rng.choice(["Brussels", "Liège", "Gent"], persons)
    took_part = rng.random(persons) < 1 / (1 + np.exp(-(age - 35) / 10 - (city == "Gent")))
    earnings = 1000 + 20 * age + 300 * took_part + rng.normal(0, 200, persons)
    frame = pl.DataFrame(
        {
            "id": [f"p{i}" for i in range(persons)],
            "programme": np.where(took_part, "yes", "no"),
            "earnings": earnings.round(2),
            "age": age.astype(float),
            "city": city,
            "married": rng.random(persons) < 0.4,
        }
    )
    if hole:
        frame = frame.with_columns(
            age=pl.when(pl.int_range(pl.len()) == 9).then(None).otherwise("age")
        )
    frame.write_csv(path, null_value="NA")
    return path


def test_evaluate_an_outside_file_as_csv_json_and_table(tmp_path: Path) -> None:
    path = _outside_file(tmp_path / "outside.csv")
    args = ["evaluate", "--input", str(path), "--treatment", "programme", "--outcome"]
    args += ["earnings", "--bootstrap", "20", "--seed", "3"]
    result = runner.invoke(app, [*args, "--format", "csv"])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [row["method"] for row in rows] == ["naive", "psm", "ipw", "aipw"]
    assert {row["outcome_kind"] for row in rows} == {"continuous"}
    for row in rows[1:]:
        assert row["estimand"] == "ATT"
        assert float(row["ci_low"]) <= 300 <= float(row["ci_high"])  # the effect built in
        assert int(row["n_treated"]) + int(row["n_control"]) == 600
        assert float(row["max_smd_after"]) < float(row["max_smd_before"])
    data = json.loads(runner.invoke(app, [*args, "--format", "json"]).stdout)
    assert data["outcome_kind"] == "continuous"
    assert data["e_value"] is None  # no risk ratio for earnings; JSON has no NaN
    said = {(note["code"], note["column"]) for note in data["notes"]}
    assert said == {("skipped", "id"), ("encoded", "city")}
    table = runner.invoke(app, args)
    assert table.exit_code == 0, table.output
    text = " ".join(table.stdout.split())
    assert "Input: city: text, one-hot encoded against the reference level" in text
    assert "Outcome: continuous" in text
    assert "Sensitivity (E-value)" not in text


def test_evaluate_refuses_a_missing_value_naming_the_row_or_drops_it(tmp_path: Path) -> None:
    path = _outside_file(tmp_path / "holes.csv", hole=True)
    args = ["evaluate", "--input", str(path), "--treatment", "programme", "--outcome"]
    args += ["earnings", "--bootstrap", "10"]
    refused = runner.invoke(app, args)
    assert refused.exit_code == 2
    assert "age: missing on row 10 (1 rows in all)" in " ".join(refused.output.split())
    dropped = runner.invoke(app, [*args, "--missing", "drop", "--format", "json"])
    assert dropped.exit_code == 0, dropped.output
    assert json.loads(dropped.stdout)["missing_rows"] == 1


def test_report_csv_and_json_suppress_small_cells(tmp_path: Path) -> None:
    args = ["report", "--programme", "tandem-internship", "--period", "2024", "--persons", "8000"]
    result = runner.invoke(app, [*args, "--format", "csv"])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert {row["section"] for row in rows} == {
        "beneficiaries",
        "outcomes",
        "waiting times",
        "referrals in",
        "referrals out",
    }
    for row in rows:
        if row["count"]:
            assert int(row["count"]) == 0 or int(row["count"]) >= 5
        if row["suppressed"] == "True":
            assert row["count"] == ""
            assert row["value"] == ""
    data = json.loads(runner.invoke(app, [*args, "--format", "json"]).stdout)
    assert data["period"] == ["2024-01-01", "2024-12-31"]
    assert any(row["suppressed"] for row in data["rows"])


def test_report_from_csv_files_and_errors(tmp_path: Path) -> None:
    cohort = generate_cohort(CohortParameters(persons=5000, seed=1))
    events, referrals = tmp_path / "events.csv", tmp_path / "referrals.csv"
    cohort.events.write_csv(events)
    cohort.referrals.write_csv(referrals)
    args = ["report", "--programme", "bapa-bxl-integration-pathway", "--period", "2023-Q2"]
    files = ["--events", str(events), "--referrals", str(referrals)]
    unkeyed = runner.invoke(app, [*args, *files])
    assert unkeyed.exit_code == 2
    assert "--cell-key-file: needed with --events" in unkeyed.output
    key = tmp_path / "cell.key"
    key.write_text("ab" * 32 + "\n")
    result = runner.invoke(app, [*args, *files, "--cell-key-file", str(key)])
    assert result.exit_code == 0, result.output
    assert "started in the period" in result.stdout
    ranged = runner.invoke(app, [*args[:-1], "2023-04-01:2023-06-30"])
    assert ranged.exit_code == 2
    assert "allowed values: YYYY, YYYY-Q1..YYYY-Q4" in ranged.output
    bad = runner.invoke(app, [*args[:-1], "2023-Q9"])
    assert bad.exit_code == 2
    assert "--period" in bad.output
    language = runner.invoke(app, [*args, "--language", "de"])
    assert language.exit_code == 2
    assert "allowed values: en, fr, nl, ar" in language.output
    half = runner.invoke(app, [*args, "--events", str(events)])
    assert half.exit_code == 2
    assert "--referrals" in half.output


def test_indicators_from_csv_inputs_write_suppressed_files(tmp_path: Path) -> None:
    cohort = generate_cohort(CohortParameters(persons=5000, seed=8))
    paths = {}
    for kind, frame in (
        ("persons", cohort.persons),
        ("events", cohort.events),
        ("referrals", cohort.referrals),
        ("capacity", cohort.capacity),
    ):
        paths[kind] = tmp_path / f"{kind}.csv"
        frame.write_csv(paths[kind])
    out = tmp_path / "out"
    args = ["indicators", str(out), "--as-of", "2025-12-31"]
    for kind, path in paths.items():
        args += [f"--{kind}-csv", str(path)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    written = {path.stem for path in out.glob("*.csv")}
    assert {
        "employment_by_cohort",
        "employment_by_programme",
        "time_to_first_job_by_sex",
    } <= written
    assert {"programme_outcomes", "referral_flows", "waiting_times", "capacity_used"} <= written
    flows = pl.read_csv(out / "referral_flows.csv")
    for path in out.glob("*.csv"):
        frame = pl.read_csv(path)
        assert "suppressed" in frame.columns
        if "count" in frame.columns:
            shown = frame.filter(~pl.col("suppressed"))["count"].drop_nulls()
            assert ((shown == 0) | (shown >= 5)).all(), path.name
    assert flows["count"].sum() > 0
    # The same people through the synthetic path give the same employment table.
    direct = runner.invoke(
        app, ["indicators", str(tmp_path / "direct"), "--persons", "5000", "--seed", "8"]
    )
    assert direct.exit_code == 0, direct.output
    synthetic = pl.read_csv(tmp_path / "direct" / "employment_by_sex.csv")
    assert set(synthetic["data_source"]) == {"synthetic"}  # said in the file itself
    assert synthetic.drop("data_source").equals(pl.read_csv(out / "employment_by_sex.csv"))
    missing = runner.invoke(app, ["indicators", str(out), "--events-csv", str(paths["events"])])
    assert missing.exit_code == 2
    assert "--persons-csv" in missing.output


def test_report_csv_and_table_are_written_from_the_same_rows() -> None:
    """`--format csv` is `core.indicators.report.report_csv` (the page's download too) and
    the terminal table writes each value as `ReportRow.cells` does."""
    args = ["report", "--programme", "mentoring", "--period", "2024", "--persons", "8000"]
    result = runner.invoke(app, [*args, "--format", "csv"])
    assert result.exit_code == 0, result.output
    reader = csv.DictReader(io.StringIO(result.stdout))
    assert tuple(reader.fieldnames or ()) == (*CSV_COLUMNS, "data_source")
    rows = list(reader)
    assert {row["data_source"] for row in rows} == {"synthetic"}
    assert {row["suppressed"] for row in rows} <= {"true", "false"}
    shares = [r for r in rows if r["unit"] == "share" and r["suppressed"] == "false"]
    assert shares
    table = runner.invoke(app, [*args, "--format", "table"], terminal_width=200)
    assert table.exit_code == 0, table.output
    for row in shares:
        assert f"{float(row['value']) * 100:.1f} %" in table.stdout


def test_evaluate_estimand_att_by_default_ate_on_request(tmp_path: Path) -> None:
    cohort = generate_cohort(CohortParameters(persons=6000, seed=4, motivation="observed"))
    path = tmp_path / "sample.csv"
    cohort.evaluation_sample().drop("y0", "y1").write_csv(path)
    args = ["evaluate", "--input", str(path), "--bootstrap", "10", "--format", "json"]
    default = json.loads(runner.invoke(app, args).stdout)
    ate = json.loads(runner.invoke(app, [*args, "--estimand", "ate"]).stdout)
    assert default["estimand"] == "att"
    assert [item["estimand"] for item in default["estimates"]] == ["difference", *["ATT"] * 3]
    assert ate["estimand"] == "ate"
    assert [item["estimand"] for item in ate["estimates"]] == ["difference", *["ATE"] * 3]
    assert ate["estimates"][0] == default["estimates"][0]  # the naive difference is the same
    assert ate["estimates"][3]["effect"] != default["estimates"][3]["effect"]
    assert ate["overlap"]["estimand"] == "ate"
    assert default["propensity"]["terms"] in {"linear", "squares", "splines"}
    table = runner.invoke(app, [*args[:-2], "--estimand", "ate"])
    assert table.exit_code == 0, table.output
    assert "ATE: average effect on everyone in the sample" in table.stdout
    assert "Propensity model:" in table.stdout
    assert "distinct non-participants used as matches" in table.stdout


def test_evaluate_bad_estimand_names_the_option_and_allowed_values() -> None:
    result = runner.invoke(app, ["evaluate", "--estimand", "atc", "--persons", "1000"])
    assert result.exit_code == 2
    assert "--estimand: 'atc'; allowed values: att, ate" in result.output
    result = runner.invoke(app, ["evaluate", "--propensity-terms", "cubic"])
    assert result.exit_code == 2
    message = " ".join(result.output.split())  # the console wraps long lines
    assert "--propensity-terms: 'cubic'; allowed values: auto, linear, squares, splines" in message


def test_evaluate_a_semicolon_file_with_decimal_commas_and_ja_nee(tmp_path: Path) -> None:
    """As a spreadsheet in Dutch writes it: `;` between cells, `,` before decimals, ja/nee."""
    rng = np.random.default_rng(1)
    x = rng.normal(size=300)
    took_part = rng.random(300) < 1 / (1 + np.exp(-x))
    wage = 2 * x + 1.5 * took_part + rng.normal(size=300)
    lines = ["deelname;loon;x"] + [
        f"{'ja' if t else 'nee'};{w:.3f};{v:.3f}".replace(".", ",")
        for t, w, v in zip(took_part, wage, x, strict=True)
    ]
    path = tmp_path / "nl.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    args = ["evaluate", "--input", str(path), "--treatment", "deelname", "--outcome", "loon"]
    result = runner.invoke(app, [*args, "--bootstrap", "20", "--format", "csv"])
    assert result.exit_code == 0, result.output
    rows = {row["method"]: row for row in csv.DictReader(io.StringIO(result.stdout))}
    assert rows["aipw"]["outcome_kind"] == "continuous"
    assert float(rows["aipw"]["ci_low"]) <= 1.5 <= float(rows["aipw"]["ci_high"])
    assert float(rows["naive"]["effect"]) > 2.5  # x drives both: the raw difference is biased
