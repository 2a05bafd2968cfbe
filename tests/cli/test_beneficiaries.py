"""`passerelle link-run` and `link-encode-files` (synthetic encodings only)."""

from __future__ import annotations

import json
from typing import Any

import polars as pl
from tests.support.beneficiaries import parsed_for, synthetic_records
from typer.testing import CliRunner

from passerelle.cli.main import app
from passerelle.web.apps.beneficiaries import services
from passerelle.web.apps.beneficiaries.models import ClusterMember, LinkageRun

runner = CliRunner()


def test_link_run_links_and_summarises(
    organisations: Any,
    programmes: Any,
) -> None:
    records = synthetic_records(300, seed=5)
    for key in "abc":
        services.encodings_replace(
            organisation=organisations[key],
            parsed=parsed_for(records.filter(pl.col("org") == key), programmes[key].slug),
            source="upload",
        )
    result = runner.invoke(app, ["link-run", "--format", "json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["records"] == 300
    assert summary["organisations"] == 3
    assert summary["persons"] < 300
    assert ClusterMember.objects.filter(run_id=summary["run"]).count() == 300


def test_link_run_fails_with_one_line(db: None) -> None:
    result = runner.invoke(app, ["link-run"])
    assert result.exit_code == 2
    assert "records: 0 encoded records" in result.output
    assert LinkageRun.objects.get().status == "failed"
    bad = runner.invoke(app, ["link-run", "--review-low", "0.7", "--threshold", "0.6"])
    assert bad.exit_code == 2
    assert "thresholds" in bad.output


def test_link_encode_files_names_a_missing_organisation_or_key(
    organisations: Any,
    settings: Any,
) -> None:
    unknown = runner.invoke(app, ["link-encode-files", "nowhere"])
    assert unknown.exit_code == 2
    assert "nowhere" in unknown.output
    settings.LINKAGE_SECTOR_KEY_FILE = ""
    no_key = runner.invoke(app, ["link-encode-files", "cpas-anderlecht"])
    assert no_key.exit_code == 2
    assert "PASSERELLE_LINKAGE_KEY_FILE" in no_key.output
