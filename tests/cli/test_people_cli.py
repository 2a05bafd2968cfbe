"""The people commands: purge (a dry run by default), demo-data, token. Synthetic data only."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.test import Client
from typer.testing import CliRunner

from passerelle.cli.main import app
from passerelle.web.apps.directory.models import Organisation, stable_uuid
from passerelle.web.apps.people.models import Person

runner = CliRunner()


@pytest.fixture
def organisations(db: None) -> None:
    for slug in ("cpas-anderlecht", "duo-for-a-job", "bapa-bxl"):
        Organisation.objects.create(
            slug=slug, uuid=stable_uuid("organisation", slug), names={"fr": slug}, kind="ngo"
        )


def test_demo_data_makes_accounts_and_synthetic_files_once(
    organisations: None, settings: Any
) -> None:
    settings.DEBUG = True
    first = runner.invoke(app, ["demo-data", "--persons", "3"])
    assert first.exit_code == 0, first.output
    assert "anna.coordinator" in first.output
    assert Person.objects.count() == 9  # three caseworkers' organisations
    again = runner.invoke(app, ["demo-data", "--persons", "3"])
    assert again.exit_code == 0, again.output
    assert Person.objects.count() == 9
    client = Client()
    response = client.post(
        "/staff/login/", {"username": "anna.caseworker", "password": "demo-passerelle-2026"}
    )
    assert response.status_code == 302


def test_demo_data_refuses_production_like_settings(organisations: None) -> None:
    result = runner.invoke(app, ["demo-data"])
    assert result.exit_code == 2
    assert "DEBUG" in result.output


def test_purge_is_a_dry_run_unless_applied(organisations: None, settings: Any) -> None:
    settings.DEBUG = True
    runner.invoke(app, ["demo-data", "--persons", "1"])
    Person.objects.update(status="closed", closed_on=dt.date(2015, 1, 1))
    dry = runner.invoke(app, ["purge", "--format", "json"])
    assert dry.exit_code == 0, dry.output
    report = json.loads(dry.stdout)
    assert report["due"] == 3
    assert report["anonymised"] == 0
    assert report["dry_run"] is True
    assert not Person.objects.filter(status="anonymised").exists()
    applied = runner.invoke(app, ["purge", "--apply", "--format", "json"])
    assert json.loads(applied.stdout)["anonymised"] == 3
    assert Person.objects.filter(status="anonymised").count() == 3
    bad = runner.invoke(app, ["purge", "--retention-days", "-1"])
    assert bad.exit_code == 2
    assert "--retention-days" in bad.output


def test_token_prints_a_key_that_opens_the_api(organisations: None) -> None:
    result = runner.invoke(
        app, ["token", "cpas-anderlecht", "--name", "case system", "--scope", "persons:read"]
    )
    assert result.exit_code == 0, result.output
    key = result.stdout.strip().splitlines()[-1]
    response = Client().get("/api/v1/persons", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert response.status_code == 200
    bad = runner.invoke(app, ["token", "cpas-anderlecht", "--name", "x", "--scope", "all"])
    assert bad.exit_code == 2
    assert "persons:read" in bad.output
