"""`passerelle link-run`, `link-encode-files` and `import-outcomes` (synthetic encodings
only)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl
from tests.support.beneficiaries import parsed_for, synthetic_records
from tests.support.outcomes import IDENTITY, LOOKING, outcome_file, persons_on_platform, stranger
from tests.support.tasks import run_worker, stored_tasks  # noqa: F401 (fixtures)
from typer.testing import CliRunner

from passerelle.cli.main import app
from passerelle.web.apps.beneficiaries import services
from passerelle.web.apps.beneficiaries.models import (
    ClusterMember,
    EncodingsUploadJob,
    ImportedOutcome,
    LinkageRun,
    OutcomeImport,
)

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


def test_link_encode_files_no_wait_queues_the_page_s_job(
    organisations: Any,
    settings: Any,
    tmp_path: Path,
    run_worker: Any,  # noqa: F811 (the fixture)
) -> None:
    from passerelle.core.linkage import generate_key

    settings.LINKAGE_SECTOR_KEY_FILE = ""
    no_key = runner.invoke(app, ["link-encode-files", "cpas-anderlecht", "--no-wait"])
    assert no_key.exit_code == 2
    assert "PASSERELLE_LINKAGE_KEY_FILE" in no_key.output
    assert not EncodingsUploadJob.objects.exists()  # nothing queued without a key
    key_file = tmp_path / "sector.key"
    key_file.write_text(generate_key() + "\n")
    settings.LINKAGE_SECTOR_KEY_FILE = str(key_file)
    queued = runner.invoke(app, ["link-encode-files", "cpas-anderlecht", "--no-wait"])
    assert queued.exit_code == 0, queued.output
    job = EncodingsUploadJob.objects.get()
    assert f"/analysis/beneficiaries/share/uploads/{job.pk}/" in queued.output
    assert (job.from_person_files, job.requested_by_label, job.status) == (True, "cli", "queued")
    run_worker()
    job.refresh_from_db()
    assert (job.status, job.report) == ("done", {"records": 0, "participations": 0})


def test_import_outcomes_matches_reports_and_imports_a_file_once(
    outcome_run: LinkageRun, tmp_path: Path
) -> None:
    known = persons_on_platform(3).select("record_id", *IDENTITY)
    file = tmp_path / "outcomes.csv"
    file.write_bytes(outcome_file(pl.concat([known, stranger()]), [LOOKING] * 4))
    first = runner.invoke(app, ["import-outcomes", str(file)])  # with its progress bar
    assert first.exit_code == 0, first.output
    assert f"4 rows matched against linkage run {outcome_run.pk}; 3 outcomes stored" in first.output
    assert "Unmatched rows: 1 (4)" in first.output
    assert "Ambiguous rows (not stored): 0" in first.output
    again = runner.invoke(app, ["import-outcomes", str(file), "--format", "json"])
    assert again.exit_code == 0, again.output
    summary = json.loads(again.output)
    assert (summary["repeated"], summary["stored"], summary["unmatched_rows"]) == (True, 0, [4])
    assert ImportedOutcome.objects.count() == 3


def test_import_outcomes_names_the_column_and_the_allowed_values(
    outcome_run: LinkageRun, tmp_path: Path
) -> None:
    file = tmp_path / "outcomes.csv"
    file.write_bytes(outcome_file(persons_on_platform(1), [{**LOOKING, "situation": "retired"}]))
    result = runner.invoke(app, ["import-outcomes", str(file)])
    assert result.exit_code == 2
    assert "column situation, row 1: 'retired' is not a situation; allowed: employed" in " ".join(
        result.output.split()
    )
    missing = runner.invoke(app, ["import-outcomes", str(tmp_path / "nowhere.csv")])
    assert missing.exit_code == 2
    assert "cannot read" in missing.output
    assert not OutcomeImport.objects.exists()
