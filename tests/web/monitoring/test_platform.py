"""The analysis side on the platform's own records: person files and referrals recorded
through the services show in the dashboard and the funder report (page, CSV, XLSX, PDF) at
the next view, in the scope of who looks; the synthetic cohort only in a demonstration,
which says so on every page and in every export; production refuses the demonstration.
Synthetic people only."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
from collections.abc import Callable, Iterator
from pathlib import Path

import polars as pl
import pytest
from django.contrib.auth.models import User
from django.core.checks import run_checks
from django.test import Client, override_settings
from django.utils import timezone, translation
from openpyxl import load_workbook
from pypdf import PdfReader
from tests.support.accounts import actor_of
from tests.support.people import synthetic_file
from tests.support.referrals import make_programme
from typer.testing import CliRunner

from passerelle.cli.main import app
from passerelle.web.apps.accounts.models import PlatformRole
from passerelle.web.apps.directory.models import Organisation, Partnership, stable_uuid
from passerelle.web.apps.monitoring import data
from passerelle.web.apps.people.services import consent_record, person_create
from passerelle.web.apps.referrals.services import referral_create, referral_transition

PARTICIPANTS = 7
"""Above the small-cell threshold (5) even after a perturbation of at most 2."""


@pytest.fixture(autouse=True)
def platform_records() -> Iterator[None]:
    with override_settings(PASSERELLE_DEMONSTRATION=False):
        yield


def _refer(users: dict[str, User], programme: object, n: int, *, through: str) -> list[object]:
    """`n` synthetic files at organisation a referred to `programme` (organisation b), moved
    by the services up to `through` (sent, accepted, started or completed with a job)."""
    sender, receiver = actor_of(users["cw_a"]), actor_of(users["cw_b"])
    referrals = []
    for index in range(n):
        file = synthetic_file(given=f"Test{index}", birth_date="2002-03-14")
        file["profile"]["migration_background"] = True  # eligible for Duo's mentoring
        person = person_create(actor=sender, data=file)
        consent_record(
            actor=sender,
            person_id=person.pk,
            purpose="referral",
            recipient=programme.organisation,  # type: ignore[attr-defined]
            fields=["identity", "contact", "profile"],
            given_on=timezone.localdate(),
        )
        referral = referral_create(
            actor=sender,
            person_id=person.pk,
            programme=programme,  # type: ignore[arg-type]
            planned_start=timezone.localdate() + dt.timedelta(days=7),
            fields=["identity", "contact", "profile"],
        )
        referral_transition(actor=sender, referral_id=referral.pk, action="send")
        steps = ["accept", "start", "complete"]
        for action in steps[: ["sent", "accepted", "started", "completed"].index(through)]:
            extra = {"outcome": "job_found"} if action == "complete" else {}
            referral_transition(actor=receiver, referral_id=referral.pk, action=action, **extra)
        referrals.append(referral)
    return referrals


@pytest.fixture
def users(make_user: Callable[..., User]) -> dict[str, User]:
    return {
        "cw_a": make_user("cw_a", "caseworker", "a"),
        "cw_b": make_user("cw_b", "caseworker", "b"),
        "co_b": make_user("co_b", "coordinator", "b"),
        "ad_a": make_user("ad_a", "org_admin", "a"),
        "ad_c": make_user("ad_c", "org_admin", "c"),
        "analyst": make_user("analyst", platform_role=PlatformRole.ANALYST),
    }


@pytest.fixture
def mentoring(organisations: dict[str, Organisation]) -> object:
    return make_programme(organisations["b"], "duo-for-a-job-mentoring")


def _report_rows(client: Client, programme: str, **query: str) -> list[dict[str, str]]:
    response = client.get(
        "/analysis/report.csv",
        {"programme": programme, "period": str(timezone.localdate().year), "language": "en"}
        | query,
    )
    assert response.status_code == 200, response.content
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert "data_source" not in rows[0]  # the platform's records: nothing synthetic
    return rows


STARTED, RECEIVED = 0, 6
"""Rows of the report: unique persons who started in the period; referrals received."""


def test_a_start_recorded_through_the_services_shows_in_the_next_report(
    users: dict[str, User], mentoring: object, login: Callable[[User], Client]
) -> None:
    referrals = _refer(users, mentoring, PARTICIPANTS, through="accepted")
    analyst = login(users["analyst"])
    before = _report_rows(analyst, "duo-for-a-job-mentoring")
    assert before[STARTED]["count"] in ("", "0")  # none started yet
    receiver = actor_of(users["cw_b"])
    for referral in referrals:
        referral_transition(actor=receiver, referral_id=referral.pk, action="start")  # type: ignore[attr-defined]
    after = _report_rows(analyst, "duo-for-a-job-mentoring")
    started = after[STARTED]
    # Perturbed by at most 2 (cell key), never stale: the seven starts are in this view.
    assert abs(int(started["count"]) - PARTICIPANTS) <= 2
    received = after[RECEIVED]
    assert abs(int(received["count"]) - PARTICIPANTS) <= 2


def test_completed_referrals_with_a_job_reach_the_dashboard(
    users: dict[str, User], mentoring: object, login: Callable[[User], Client]
) -> None:
    _refer(users, mentoring, PARTICIPANTS, through="completed")
    source = data.frames()
    assert not source.synthetic
    assert source.persons.height == PARTICIPANTS
    kinds = source.events["kind"].cast(str).value_counts().sort("kind")
    assert dict(kinds.iter_rows()) == {
        "job_start": PARTICIPANTS,
        "programme_end": PARTICIPANTS,
        "programme_start": PARTICIPANTS,
    }
    page = login(users["analyst"]).get("/analysis/")
    assert page.status_code == 200
    text = page.content.decode()
    assert 'class="synthetic"' not in text
    assert 'class="demonstration"' not in text
    flows = login(users["analyst"]).get("/analysis/csv/flows.csv").content.decode()
    (flow,) = list(csv.DictReader(io.StringIO(flows)))
    assert (flow["from_organisation"], flow["to_organisation"]) == (
        "cpas-anderlecht",
        "duo-for-a-job",
    )
    assert abs(int(flow["count"]) - PARTICIPANTS) <= 2  # referrals sent this year
    assert abs(int(flow["accepted"]) - PARTICIPANTS) <= 2


def test_an_empty_platform_shows_empty_figures_not_the_synthetic_cohort(
    users: dict[str, User], login: Callable[[User], Client]
) -> None:
    analyst = login(users["analyst"])
    for path in ("/analysis/", "/analysis/csv/flows.csv", "/analysis/evaluation/"):
        response = analyst.get(path)
        assert response.status_code == 200, path
        assert b"synthetic" not in response.content.lower(), path
    assert data.frames().persons.height == 0


def test_scopes_organisation_partnership_and_sector(
    users: dict[str, User],
    mentoring: object,
    organisations: dict[str, Organisation],
    login: Callable[[User], Client],
) -> None:
    _refer(users, mentoring, PARTICIPANTS, through="started")
    # Organisation c's administrator sees c's figures: none of a's and b's referrals.
    outsider = login(users["ad_c"])
    refused = outsider.get(
        "/analysis/report.csv", {"programme": "duo-for-a-job-mentoring", "language": "en"}
    )
    assert refused.status_code == 400  # not a programme of c's
    flows = outsider.get("/analysis/csv/flows.csv")
    assert flows.status_code == 200
    assert len(list(csv.DictReader(io.StringIO(flows.content.decode())))) == 0
    # a's administrator sees a's referrals sent.
    sender = login(users["ad_a"]).get("/analysis/csv/flows.csv")
    (row,) = list(csv.DictReader(io.StringIO(sender.content.decode())))
    assert row["from_organisation"] == "cpas-anderlecht"
    # b's coordinator: the partnership of b and c first, then b alone; nothing else.
    partnership = Partnership.objects.create(
        slug="bc-partnership",
        uuid=stable_uuid("partnership", "bc-partnership"),
        origin="knowledge",
        in_knowledge=True,
        names={"en": "bc", "fr": "bc", "nl": "bc"},
    )
    partnership.members.set([organisations["b"], organisations["c"]])
    coordinator = login(users["co_b"])
    page = coordinator.get("/analysis/")
    assert page.status_code == 200
    assert "partnership:bc-partnership" in page.content.decode()
    for scope in ("partnership:bc-partnership", "organisation:duo-for-a-job"):
        response = coordinator.get("/analysis/csv/flows.csv", {"scope": scope})
        (row,) = list(csv.DictReader(io.StringIO(response.content.decode())))
        assert abs(int(row["count"]) - PARTICIPANTS) <= 2
    refused = coordinator.get("/analysis/csv/flows.csv", {"scope": "sector"})
    assert refused.status_code == 400
    message = refused.content.decode()  # in the page's language, naming value and allowed
    assert "'sector'" in message
    assert "partnership:bc-partnership, organisation:duo-for-a-job" in message


def test_small_cells_stay_withheld_on_the_platforms_records(
    users: dict[str, User], mentoring: object, login: Callable[[User], Client]
) -> None:
    _refer(users, mentoring, 2, through="started")
    response = login(users["analyst"]).get("/analysis/csv/flows.csv")
    (row,) = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert row["suppressed"] == "true"
    assert row["count"] == ""
    assert row["accepted"] == ""


def _demonstration(client: Client, programme: str) -> dict[str, bytes]:
    query = {"programme": programme, "period": "2024", "language": "en"}
    return {
        "page": client.get("/analysis/").content,
        "csv": client.get("/analysis/csv/flows.csv").content,
        "report_csv": client.get("/analysis/report.csv", query).content,
        "xlsx": client.get("/analysis/report.xlsx", query).content,
        "pdf": client.get("/analysis/report.pdf", query).content,
        "home": client.get("/").content,
    }


def test_a_demonstration_says_so_on_every_page_and_export(
    users: dict[str, User], login: Callable[[User], Client]
) -> None:
    with override_settings(PASSERELLE_DEMONSTRATION=True):
        from passerelle.core.evaluation.synthetic import PROGRAMME_ORGANISATION

        got = _demonstration(login(users["analyst"]), sorted(PROGRAMME_ORGANISATION)[0])
    assert b'class="demonstration"' in got["page"]
    assert b'class="demonstration"' in got["home"]
    for key in ("csv", "report_csv"):
        rows = list(csv.DictReader(io.StringIO(got[key].decode())))
        assert rows, key
        assert all(row["data_source"] == "synthetic" for row in rows), key
    sheet = load_workbook(io.BytesIO(got["xlsx"])).active
    assert any("Synthetic" in str(cell.value) for row in sheet.iter_rows() for cell in row)
    first_page = PdfReader(io.BytesIO(got["pdf"])).pages[0].extract_text()
    assert "Synthetic" in first_page


def test_production_settings_refuse_the_demonstration() -> None:
    with override_settings(PASSERELLE_PRODUCTION=True, PASSERELLE_DEMONSTRATION=True):
        errors = [e for e in run_checks() if e.id == "monitoring.E001"]
    assert len(errors) == 1
    with override_settings(PASSERELLE_PRODUCTION=True, PASSERELLE_DEMONSTRATION=False):
        assert not [e for e in run_checks() if e.id == "monitoring.E001"]


def test_the_production_settings_module_refuses_it_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import importlib
    import sys

    from django.core.exceptions import ImproperlyConfigured

    monkeypatch.setenv("DJANGO_SECRET_KEY", "x" * 60)
    monkeypatch.setenv("PASSERELLE_DEMONSTRATION", "1")
    sys.modules.pop("passerelle.web.config.settings.production", None)
    with pytest.raises(ImproperlyConfigured, match="PASSERELLE_DEMONSTRATION"):
        importlib.import_module("passerelle.web.config.settings.production")
    sys.modules.pop("passerelle.web.config.settings.production", None)


def test_the_cli_report_and_indicators_read_the_platforms_records(
    users: dict[str, User], mentoring: object, tmp_path: Path
) -> None:
    _refer(users, mentoring, PARTICIPANTS, through="completed")
    year = str(timezone.localdate().year)
    command = ["report", "--platform", "--programme", "duo-for-a-job-mentoring"]
    result = CliRunner().invoke(app, [*command, "--period", year, "--format", "csv"])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert "data_source" not in rows[0]
    assert abs(int(rows[STARTED]["count"]) - PARTICIPANTS) <= 2
    unknown = CliRunner().invoke(
        app, ["report", "--platform", "--programme", "nope", "--period", year]
    )
    assert unknown.exit_code != 0
    assert "--programme" in unknown.output
    result = CliRunner().invoke(app, ["indicators", str(tmp_path), "--platform"])
    assert result.exit_code == 0, result.output
    outcomes = pl.read_csv(tmp_path / "programme_outcomes.csv")
    assert "data_source" not in outcomes.columns


def test_the_cli_marks_synthetic_exports(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["indicators", str(tmp_path), "--persons", "1000"])
    assert result.exit_code == 0, result.output
    files = sorted(tmp_path.glob("*.csv"))
    assert files
    for path in files:
        assert set(pl.read_csv(path)["data_source"].to_list()) <= {"synthetic"}, path.name


def test_the_evaluation_page_counts_who_is_followed_and_waits_for_enough(
    users: dict[str, User], mentoring: object, login: Callable[[User], Client]
) -> None:
    _refer(users, mentoring, PARTICIPANTS, through="completed")
    analyst = login(users["analyst"])
    page = analyst.get("/analysis/evaluation/", {"programme": "duo-for-a-job-mentoring"})
    assert page.status_code == 200
    text = page.content.decode()
    assert "synthetic" not in text.lower()
    assert "<table" not in text  # nobody followed 12 months yet: no estimate
    result = data.platform_evaluation(data.SECTOR, "duo-for-a-job-mentoring")
    assert (result.treated, result.controls, result.evaluation) == (0, 0, None)
    unknown = analyst.get("/analysis/evaluation/", {"programme": "nope"})
    assert unknown.status_code == 400


def test_the_evaluation_page_says_why_the_estimators_refused_the_records(
    users: dict[str, User],
    mentoring: object,
    login: Callable[[User], Client],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from passerelle.core.evaluation.estimators import SEPARATED_BY
    from passerelle.web.apps.monitoring import evaluations, views

    _refer(users, mentoring, PARTICIPANTS, through="completed")
    refused = data.PlatformEvaluation(
        "duo-for-a-job-mentoring",
        60,
        30,
        30,
        None,
        refused="treated: perfect separation by french_or_dutch alone: ...",
        reason=SEPARATED_BY[True],
        reason_params=(("covariates", "french_or_dutch"),),
    )
    # As the queue stores it (the records that separate are the versions' tests' business).
    shown = evaluations.EvaluationShown(refused, timezone.now(), computing=False)
    monkeypatch.setattr(evaluations, "platform_evaluation_shown", lambda *_args: shown)
    analyst = login(users["analyst"])
    page = analyst.get("/analysis/evaluation/", {"programme": "duo-for-a-job-mentoring"})
    text = page.content.decode()
    # The staff's default language, French: the reason translated, the covariate named.
    assert "les estimateurs ont refusé ces enregistrements, car les covariables" in text
    assert "french_or_dutch à elles seules séparent les participants" in text
    assert "<table" not in text
    for language, words in (("nl", "alleen scheiden de deelnemers"), ("ar", "وحدها تفصل")):
        with translation.override(language):
            assert words in views.refusal_of(refused)
    # A reason the estimators gave only in English (or a result stored before reasons).
    assert views.refusal_of(dataclasses.replace(refused, reason="")) == refused.refused
