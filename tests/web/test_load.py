"""`passerelle load`: idempotent, updates changed records, never deletes user records."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from passerelle.knowledge.loader import KNOWLEDGE_DIR, Knowledge, load_knowledge
from passerelle.web.apps.directory.models import Organisation, Origin, Programme, stable_uuid
from passerelle.web.apps.directory.services import LoadReport, knowledge_load

pytestmark = pytest.mark.django_db


def test_the_first_load_creates_every_record(
    loaded_directory: LoadReport, knowledge: Knowledge
) -> None:
    assert loaded_directory.created["organisation"] == len(knowledge.organisations)
    assert loaded_directory.created["programme"] == len(knowledge.programmes)
    assert Programme.objects.count() == len(knowledge.programmes)
    tandem = Programme.objects.get(slug="tandem-internship")
    assert tandem.uuid == stable_uuid("programme", "tandem-internship")
    assert tandem.organisation.slug == "tandem"
    assert tandem.eligibility == {"field": "legal_status", "in": ["refugee", "asylum_seeker"]}


def test_a_second_load_changes_nothing(loaded_directory: LoadReport, knowledge: Knowledge) -> None:
    before = {p.slug: p.updated_at for p in Programme.objects.all()}
    report = knowledge_load(knowledge=knowledge)
    assert not report.changed
    assert report.unchanged["programme"] == len(knowledge.programmes)
    assert {p.slug: p.updated_at for p in Programme.objects.all()} == before


def _knowledge_copy(tmp_path: Path) -> Path:
    target = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE_DIR, target, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    return target


def test_a_changed_record_updates_its_row_and_a_removed_one_is_kept(
    loaded_directory: LoadReport, tmp_path: Path
) -> None:
    directory = _knowledge_copy(tmp_path)
    programmes = directory / "landscape" / "programmes.yaml"
    text = programmes.read_text(encoding="utf-8")
    assert "      en: Tandem internships\n" in text
    assert "  - id: sampa-newcomer-support\n" in text
    programmes.write_text(
        text.replace("      en: Tandem internships\n", "      en: Two-week internships\n").replace(
            "  - id: sampa-newcomer-support\n", "  - id: sampa-newcomer-desk\n"
        ),
        encoding="utf-8",
    )
    # The plain texts for readers name the programme too: a renamed id is renamed there.
    for reader in (directory / "reader").glob("*.yaml"):
        renamed = reader.read_text(encoding="utf-8").replace(
            "  sampa-newcomer-support:\n", "  sampa-newcomer-desk:\n"
        )
        reader.write_text(renamed, encoding="utf-8")
    load_knowledge.cache_clear()
    try:
        changed = load_knowledge(directory)
    finally:
        load_knowledge.cache_clear()
    report = knowledge_load(knowledge=changed)
    assert report.created == {"programme": 1}
    assert report.updated == {"programme": 1}
    assert report.retired == {"programme": 1}
    assert Programme.objects.get(slug="tandem-internship").names["en"] == "Two-week internships"
    retired = Programme.objects.get(slug="sampa-newcomer-support")
    assert retired.in_knowledge is False  # kept, only hidden from public lists
    assert Programme.objects.get(slug="sampa-newcomer-desk").in_knowledge


def test_records_typed_in_by_users_are_never_touched(
    loaded_directory: LoadReport, knowledge: Knowledge
) -> None:
    Organisation.objects.filter(slug="sampa").update(origin=Origin.USER, names={"en": "Edited"})
    user_org = Organisation.objects.create(
        slug="new-neighbourhood-service",
        uuid=stable_uuid("organisation", "x"),
        origin=Origin.USER,
        names={"en": "A service added by an organisation"},
        kind="non_profit",
    )
    report = knowledge_load(knowledge=knowledge)
    assert "organisation sampa" in report.kept_user_records
    assert Organisation.objects.get(slug="sampa").names == {"en": "Edited"}
    assert Organisation.objects.filter(pk=user_org.pk).exists()


def test_the_load_command(transactional_db: None) -> None:
    from passerelle.cli.main import app

    runner = CliRunner()
    first = runner.invoke(app, ["load", "--format", "json", "--no-migrate"])
    assert first.exit_code == 0, first.output
    second = runner.invoke(app, ["load", "--format", "json", "--no-migrate"])
    assert second.exit_code == 0, second.output
    assert '"created": {}' in second.stdout
    assert '"updated": {}' in second.stdout


def test_the_export_hsds_command(transactional_db: None, tmp_path: Path) -> None:
    from passerelle.cli.main import app

    runner = CliRunner()
    assert runner.invoke(app, ["load", "--no-migrate"]).exit_code == 0
    result = runner.invoke(app, ["export-hsds", str(tmp_path / "hsds")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "hsds" / "datapackage.json").is_file()
    assert len(list((tmp_path / "hsds" / "services").glob("*.json"))) == Programme.objects.count()
    refused = runner.invoke(app, ["export-hsds", str(tmp_path / "x"), "--language", "xx"])
    assert refused.exit_code == 2
    assert "language: 'xx' is not one of" in refused.stderr


def test_a_user_event_and_a_user_organiser_survive_a_load(
    loaded_directory: LoadReport, knowledge: Knowledge
) -> None:
    from passerelle.web.apps.directory.models import Event

    event = Event.objects.filter(origin=Origin.KNOWLEDGE).first()
    assert event is not None
    Event.objects.filter(pk=event.pk).update(origin=Origin.USER, names={"en": "Our own"})
    Organisation.objects.filter(slug=event.organiser.slug).update(origin=Origin.USER)
    report = knowledge_load(knowledge=knowledge)  # must not fail
    event.refresh_from_db()
    assert (event.origin, event.names) == (Origin.USER, {"en": "Our own"})
    assert any(event.organiser.slug in line for line in report.kept_user_records)


def test_a_change_to_an_organisation_reaches_its_programmes(
    loaded_directory: LoadReport, tmp_path: Path
) -> None:
    directory = _knowledge_copy(tmp_path)
    cpas = directory / "landscape" / "cpas.yaml"
    text = cpas.read_text(encoding="utf-8")
    assert 'fr: "CPAS d\'Anderlecht"' in text
    cpas.write_text(
        text.replace('fr: "CPAS d\'Anderlecht"', 'fr: "CPAS Anderlecht-Centre"'), encoding="utf-8"
    )
    load_knowledge.cache_clear()
    try:
        changed = load_knowledge(directory)
    finally:
        load_knowledge.cache_clear()
    knowledge_load(knowledge=changed)
    programme = Programme.objects.get(slug="cpas-anderlecht-socio-professional-integration")
    assert "anderlecht-centre" in programme.search_text


def test_events_of_a_removed_partnership_are_retired(
    loaded_directory: LoadReport, knowledge: Knowledge
) -> None:
    from dataclasses import replace

    from passerelle.web.apps.directory.models import Event

    with_events = next(p for p in knowledge.partnerships.values() if p.events)
    without = replace(
        knowledge,
        partnerships={k: v for k, v in knowledge.partnerships.items() if k != with_events.id},
    )
    report = knowledge_load(knowledge=without)
    assert report.retired["event"] == len(with_events.events)
    assert not Event.objects.filter(
        slug__in=[e.id for e in with_events.events], in_knowledge=True
    ).exists()


def test_the_load_command_can_queue_the_load_for_the_worker(
    transactional_db: None, settings: Any, knowledge: Knowledge
) -> None:
    from django_tasks_db.models import DBTaskResult

    from passerelle.cli.main import app
    from passerelle.web.apps.directory.tasks import knowledge_base_load

    settings.PASSERELLE_TASK_BACKEND = "database"
    queued = CliRunner().invoke(app, ["load", "--no-wait", "--no-migrate", "--format", "json"])
    assert queued.exit_code == 0, queued.output
    assert '"status": "queued"' in queued.stdout
    task = DBTaskResult.objects.get()
    assert task.task_path.endswith("directory.tasks.knowledge_base_load")
    assert not Programme.objects.exists()  # nothing loaded until the worker runs it
    report = knowledge_base_load.call()  # what the worker runs
    assert report["created"]["programme"] == len(knowledge.programmes)
    assert knowledge_base_load.call()["created"] == {}  # run again: nothing changes
