"""`passerelle simulate` writes its CSV and charts and fails clearly on bad input."""

from __future__ import annotations

from pathlib import Path

import polars as pl
from typer.testing import CliRunner

from passerelle.cli.main import app

runner = CliRunner()


def test_simulate_writes_csv_and_charts(tmp_path: Path) -> None:
    out = tmp_path / "third"
    result = runner.invoke(
        app,
        [
            "simulate",
            "--scenario", "third-bapa",
            "--replications", "2",
            "--persons", "3000",
            "--months", "84",
            "--seed", "1",
            "--scheduler", "synchronous",
            "--out", str(out),
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    for name in (
        "monthly.csv",
        "indicators.png",
        "indicators.svg",
        "difference.png",
        "difference.svg",
    ):
        assert (out / name).stat().st_size > 0
    table = pl.read_csv(out / "monthly.csv")
    assert {"month", "indicator", "mean", "low", "high", "diff_mean"} <= set(table.columns)
    rates = table.filter(pl.col("indicator") == "employment_rate")
    assert rates.height == 84
    assert (
        (rates["low"] <= rates["mean"] + 1e-12) & (rates["mean"] <= rates["high"] + 1e-12)
    ).all()
    assert "in work" in result.output


def test_simulate_list_and_errors() -> None:
    listed = runner.invoke(app, ["simulate", "--list", "--format", "json"])
    assert listed.exit_code == 0
    assert "no-2019-reform" in listed.output
    bad = runner.invoke(app, ["simulate", "--scenario", "nope", "--scheduler", "synchronous"])
    assert bad.exit_code == 2
    assert "scenario: unknown scenario 'nope'" in bad.output
