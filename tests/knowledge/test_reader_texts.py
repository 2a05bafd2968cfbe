"""The plain texts for readers (`knowledge/reader/`): every organisation and programme has one
in every public language, each file says whether it is the original or a translation, from
which language and whether a fluent reader reviewed it; broken files are refused with the
file, record and field named; `check-knowledge` reports what is missing."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from passerelle.cli import main as cli
from passerelle.knowledge.loader import KNOWLEDGE_DIR, KnowledgeError, load_knowledge
from passerelle.knowledge.model import READER_LANGUAGES

runner = CliRunner()
PHONE = re.compile(r"\+?\d[\d /.-]{6,}\d")


def _copy(tmp_path: Path) -> Path:
    target = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE_DIR, target, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    return target


def _edit(directory: Path, language: str, change: object) -> None:
    path = directory / "reader" / f"{language}.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)  # type: ignore[operator]
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


def test_every_record_has_a_plain_text_in_every_public_language() -> None:
    knowledge = load_knowledge()
    missing = knowledge.missing_reader_texts()
    assert set(missing) == set(READER_LANGUAGES)
    for language, kinds in missing.items():
        assert kinds == {"organisations": [], "programmes": []}, language


def test_the_original_and_the_translations_say_what_they_are() -> None:
    knowledge = load_knowledge()
    original = knowledge.reader["en"]
    assert (original.translated_from, original.method) == (None, "written")
    for language in set(READER_LANGUAGES) - {"en"}:
        catalogue = knowledge.reader[language]
        assert (catalogue.translated_from, catalogue.method) == ("en", "machine"), language
    # Nothing here has been read by a fluent reader yet, and the data says so.
    entry = knowledge.reader_text("programmes", "tandem-internship", "ti")
    assert entry is not None
    assert (entry.translated_from, entry.method, entry.reviewed) == ("en", "machine", False)
    assert all(not catalogue.reviewed for catalogue in knowledge.reader.values())


def test_plain_texts_invent_no_contact_details() -> None:
    """How to apply points to the website the record gives, or says to contact the
    organisation: no telephone number or street address appears that the records lack."""
    knowledge = load_knowledge()
    for catalogue in knowledge.reader.values():
        for kind in ("organisations", "programmes"):
            for record_id, text in getattr(catalogue, kind).items():
                for value in (text.summary, text.for_whom, text.how_to_apply):
                    assert not PHONE.search(value), (catalogue.language, record_id, value)
                    assert "@" not in value, (catalogue.language, record_id)
                    assert "http" not in value, (catalogue.language, record_id)


def test_a_translation_from_its_own_language_is_refused(tmp_path: Path) -> None:
    directory = _copy(tmp_path)
    _edit(directory, "uk", lambda data: data.update(translated_from="uk"))
    with pytest.raises(KnowledgeError, match=r"reader/uk.yaml: \(file\): translated_from"):
        load_knowledge(directory)


def test_a_plain_text_for_an_unknown_record_is_refused(tmp_path: Path) -> None:
    directory = _copy(tmp_path)
    _edit(
        directory,
        "ps",
        lambda data: data["programmes"].update(
            {"no-such-programme": {"summary": "x", "for_whom": "y", "how_to_apply": "z"}}
        ),
    )
    with pytest.raises(KnowledgeError, match="unknown programme id 'no-such-programme'"):
        load_knowledge(directory)


def test_a_plain_text_without_a_summary_is_refused(tmp_path: Path) -> None:
    directory = _copy(tmp_path)
    _edit(directory, "ti", lambda data: data["organisations"]["tandem"].pop("summary"))
    with pytest.raises(KnowledgeError, match=r"organisations\.tandem\.summary: Field required"):
        load_knowledge(directory)


def test_a_file_named_after_another_language_is_refused(tmp_path: Path) -> None:
    directory = _copy(tmp_path)
    (directory / "reader" / "uk.yaml").rename(directory / "reader" / "ps2.yaml")
    with pytest.raises(KnowledgeError, match=r"must be named uk\.yaml"):
        load_knowledge(directory)


def test_check_knowledge_reports_missing_translations_and_fails_only_when_strict(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    directory = _copy(tmp_path)
    _edit(directory, "fa-af", lambda data: data["programmes"].pop("tandem-internship"))
    monkeypatch.setattr(cli, "load_knowledge", lambda: load_knowledge(directory))

    result = runner.invoke(cli.app, ["check-knowledge", "--format", "json"])
    assert result.exit_code == 0, result.output
    rows = {row["language"]: row for row in json.loads(result.stdout)["translations"]}
    assert rows["fa-af"]["missing"] == 1
    assert rows["fa-af"]["missing_ids"] == ["programme tandem-internship"]
    assert rows["uk"]["missing"] == 0
    assert rows["en"]["translated from"] == "original"
    assert rows["uk"]["unreviewed"] == rows["uk"]["present"] > 0

    table = runner.invoke(cli.app, ["check-knowledge"])
    assert table.exit_code == 0
    assert "missing in fa-af: programme tandem-internship" in table.output

    strict = runner.invoke(cli.app, ["check-knowledge", "--strict-translations"])
    assert strict.exit_code == 1


def test_check_knowledge_passes_strict_on_the_packaged_base() -> None:
    result = runner.invoke(cli.app, ["check-knowledge", "--strict-translations"])
    assert result.exit_code == 0, result.output
    assert "Plain texts for readers, per language" in result.output
