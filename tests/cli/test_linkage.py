"""`passerelle encode` and `passerelle dedupe` round trips, and their errors."""

from __future__ import annotations

from pathlib import Path

import polars as pl
from typer.testing import CliRunner

from passerelle.cli.main import app
from passerelle.core.linkage.evaluate import pairwise_quality
from passerelle.core.linkage.synthetic import generate

runner = CliRunner()


def test_dedupe_plaintext_and_encoded_round_trip(tmp_path: Path) -> None:
    records = generate(1_500, seed=3)
    source = tmp_path / "records.csv"
    records.write_csv(source)
    out = tmp_path / "clusters.csv"
    result = runner.invoke(app, ["dedupe", str(source), "--out", str(out), "--threshold", "0.8"])
    assert result.exit_code == 0, result.output
    clusters = pl.read_csv(out, infer_schema=False)
    assert clusters.columns == ["record_id", "cluster_id"]
    assert sorted(clusters["record_id"]) == sorted(records["record_id"])
    assert pairwise_quality(clusters, records).f1 > 0.75
    assert "persons" in result.output

    key = tmp_path / "sector.key"
    encoded = tmp_path / "encoded.csv"
    result = runner.invoke(
        app, ["encode", str(source), "--key-file", str(key), "--new-key", "--out", str(encoded)]
    )
    assert result.exit_code == 0, result.output
    assert "given_name" not in encoded.read_text().splitlines()[0]
    private_out = tmp_path / "private.csv"
    result = runner.invoke(
        app, ["dedupe", str(encoded), "--encoded", "--out", str(private_out), "-f", "json"]
    )
    assert result.exit_code == 0, result.output
    private = pl.read_csv(private_out, infer_schema=False)
    assert pairwise_quality(private, records).f1 > 0.7


def test_errors_name_the_field(tmp_path: Path) -> None:
    source = tmp_path / "bad.csv"
    source.write_text("record_id,given_name,surname,birth_date,postcode\n1,A,B,1990-01-02,1000\n")
    result = runner.invoke(app, ["dedupe", str(source), "--out", str(tmp_path / "o.csv")])
    assert result.exit_code == 2
    assert "phone" in result.output
    source.write_text("record_id,given_name,surname,birth_date,postcode,phone\n1,A,B,soon,1000,\n")
    result = runner.invoke(app, ["dedupe", str(source), "--out", str(tmp_path / "o.csv")])
    assert result.exit_code == 2
    assert "birth_date" in result.output
    key = tmp_path / "k.key"
    key.write_text("not a key\n")
    result = runner.invoke(
        app, ["encode", str(source), "--key-file", str(key), "--out", str(tmp_path / "e.csv")]
    )
    assert result.exit_code == 2
    assert "key file" in result.output
