"""The packaged knowledge base loads cleanly, and broken data is refused with an error that
names the file, the record and the field."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from pydantic import ValidationError

from passerelle.knowledge.loader import KNOWLEDGE_DIR, Knowledge, KnowledgeError, load_knowledge
from passerelle.knowledge.model import Programme, StatusPeriod

REQUIRED_ORGANISATIONS = {
    "actiris",
    "bapa-bxl",
    "bapa-via",
    "duo-for-a-job",
    "feb-vbo-refugee-taskforce",
    "tandem",
    "european-volunteer-centre",
    "bon",
    "cire",
    "convivial",
    "sampa",
    "caritas",
    "be-face",
    "lire-et-ecrire",
    "het-punt",
    "cocof",
    "cocom",
}
REQUIRED_PROGRAMMES = {
    "bapa-bxl-integration-pathway",
    "bapa-via-integration-pathway",
    "bon-civic-integration",
    "duo-for-a-job-mentoring",
    "tandem-internship",
    "feb-vbo-employer-guide",
    "actiris-job-support",
    "cire-diploma-recognition",
}


def test_the_landscape_has_every_organisation_and_programme_the_brief_names(
    knowledge: Knowledge,
) -> None:
    assert set(knowledge.organisations) >= REQUIRED_ORGANISATIONS
    cpas = {oid for oid in knowledge.organisations if oid.startswith("cpas-")}
    assert len(cpas) == 19
    assert {f"cpas-{m}" for m in knowledge.municipalities} == cpas
    assert set(knowledge.programmes) >= REQUIRED_PROGRAMMES
    assert len(knowledge.municipalities) == 19


def test_the_integration_pathway_modules_are_described(knowledge: Knowledge) -> None:
    for programme_id in ("bapa-bxl-integration-pathway", "bapa-via-integration-pathway"):
        modules = {module.id for module in knowledge.programme_latest(programme_id).modules}
        assert len(modules) == 3, modules


def test_tandem_internships_are_two_weeks_in_english_with_25_euros_a_day(
    knowledge: Knowledge,
) -> None:
    tandem = knowledge.programme_latest("tandem-internship")
    assert tandem.duration is not None
    assert (tandem.duration.value, tandem.duration.unit) == (2, "weeks")
    assert tandem.languages == ["en"]
    assert tandem.cost is not None
    assert (tandem.cost.amount_eur, tandem.cost.per) == (25, "day")


def test_every_postcode_belongs_to_one_municipality(knowledge: Knowledge) -> None:
    postcodes = [code for m in knowledge.municipalities.values() for code in m.postcodes]
    assert len(postcodes) == len(set(postcodes))


def _copy_knowledge(tmp_path: Path) -> Path:
    target = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE_DIR, target, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    return target


def _problems(directory: Path) -> list[str]:
    load_knowledge.cache_clear()
    try:
        with pytest.raises(KnowledgeError) as caught:
            load_knowledge(directory)
    finally:
        load_knowledge.cache_clear()
    return [str(problem) for problem in caught.value.problems]


def _append(directory: Path, relative: str, text: str) -> None:
    path = directory / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as handle:
        handle.write(text)


def test_a_record_without_a_source_is_refused(tmp_path: Path) -> None:
    directory = _copy_knowledge(tmp_path)
    _append(
        directory,
        "landscape/extra.yaml",
        """
organisations:
  - id: unsourced-org
    names: {fr: Sans source, nl: Zonder bron, en: Without source}
    kind: non_profit
""",
    )
    problems = _problems(directory)
    assert any(
        p.startswith("landscape/extra.yaml: organisation 'unsourced-org': sources")
        for p in problems
    ), problems


def test_a_citation_of_an_unknown_source_is_refused(tmp_path: Path) -> None:
    directory = _copy_knowledge(tmp_path)
    _append(
        directory,
        "landscape/extra.yaml",
        """
organisations:
  - id: badly-cited
    names: {fr: X, nl: X, en: X}
    kind: non_profit
    sources: [{source: no-such-source, paragraph: 3}]
""",
    )
    problems = _problems(directory)
    assert (
        "landscape/extra.yaml: organisation 'badly-cited': sources[0].source: unknown "
        "source id 'no-such-source'" in problems
    )


def test_references_to_unknown_ids_are_refused(tmp_path: Path) -> None:
    directory = _copy_knowledge(tmp_path)
    _append(
        directory,
        "landscape/extra.yaml",
        """
programmes:
  - id: orphan-programme
    organisation: no-such-org
    names: {fr: X, nl: X, en: X}
    categories: [training]
    description: {en: A programme of an organisation that does not exist}
    sources: [{source: brussels-studies-article, paragraph: 1}]
partnerships:
  - id: phantom-partnership
    names: {en: X}
    formal: false
    members: [actiris, ghost-org]
    purpose: {en: X}
    sources: [{source: brussels-studies-article, paragraph: 1}]
""",
    )
    problems = _problems(directory)
    assert any(
        "programme 'orphan-programme': organisation: unknown organisation id 'no-such-org'" in p
        for p in problems
    ), problems
    assert any(
        "partnership 'phantom-partnership': members: unknown organisation id 'ghost-org'" in p
        for p in problems
    ), problems


def test_overlapping_validity_periods_are_refused(tmp_path: Path) -> None:
    directory = _copy_knowledge(tmp_path)
    _append(
        directory,
        "landscape/extra.yaml",
        """
programmes:
  - id: versioned-programme
    organisation: actiris
    names: {fr: X, nl: X, en: X}
    categories: [training]
    description: {en: First version}
    valid_from: 2016-01-01
    valid_to: 2019-01-01
    sources: [{source: brussels-studies-article, paragraph: 1}]
  - id: versioned-programme
    organisation: actiris
    names: {fr: X, nl: X, en: X}
    categories: [training]
    description: {en: "Second version, starting before the first ends"}
    valid_from: 2018-06-01
    sources: [{source: brussels-studies-article, paragraph: 1}]
organisations:
  - id: time-traveller
    names: {fr: X, nl: X, en: X}
    kind: non_profit
    status_history:
      - status: active
        valid_from: 2015
        valid_to: 2018
        sources: [{source: brussels-studies-article, paragraph: 1}]
      - status: dormant
        valid_from: 2017-06
        sources: [{source: brussels-studies-article, paragraph: 1}]
    sources: [{source: brussels-studies-article, paragraph: 1}]
""",
    )
    problems = _problems(directory)
    assert any(
        "programme 'versioned-programme': valid_from: versions of this programme have "
        "overlapping validity periods" in p
        for p in problems
    ), problems
    assert any(
        "organisation 'time-traveller': status_history[1].valid_from: periods overlap" in p
        for p in problems
    ), problems


def test_bad_criteria_name_the_place_and_the_allowed_values(tmp_path: Path) -> None:
    directory = _copy_knowledge(tmp_path)
    _append(
        directory,
        "landscape/extra.yaml",
        """
programmes:
  - id: badly-specified
    organisation: actiris
    names: {fr: X, nl: X, en: X}
    categories: [training]
    description: {en: X}
    eligibility:
      all:
        - {field: age, between: [18, 30]}
        - {field: legal_status, in: [refugee, tourist]}
    sources: [{source: brussels-studies-article, paragraph: 1}]
""",
    )
    problems = _problems(directory)
    assert any(
        "programme 'badly-specified': eligibility" in p
        and "eligibility.all[1].in[1]: 'tourist' is not allowed for 'legal_status'; allowed: "
        "asylum_seeker"
        in p
        for p in problems
    ), problems


def test_bad_yaml_and_unknown_sections_are_reported(tmp_path: Path) -> None:
    directory = _copy_knowledge(tmp_path)
    _append(directory, "landscape/broken.yaml", "organisations: [unclosed\n")
    _append(directory, "landscape/odd.yaml", "recipes: []\n")
    problems = _problems(directory)
    assert any(p.startswith("landscape/broken.yaml: (file): not valid YAML") for p in problems)
    assert any("landscape/odd.yaml: (file): recipes: unknown section" in p for p in problems)


def test_criteria_round_trip_through_their_yaml_form(knowledge: Knowledge) -> None:
    from passerelle.knowledge.criteria import criterion_to_data, parse_criterion

    criteria = [
        version.eligibility
        for versions in knowledge.programmes.values()
        for version in versions
        if version.eligibility is not None
    ]
    assert criteria
    for criterion in criteria:
        assert parse_criterion(criterion_to_data(criterion)) == criterion


@pytest.mark.parametrize(
    ("record", "fields"),
    [
        (StatusPeriod, {"status": "active"}),
        (
            Programme,
            {
                "id": "short-lived",
                "organisation": "actiris",
                "names": {"fr": "X", "nl": "X", "en": "X"},
                "categories": ["training"],
                "description": {"en": "X"},
            },
        ),
    ],
)
@pytest.mark.parametrize(("valid_from", "valid_to"), [("2018-03", "2018-03"), ("2018", "2017-12")])
def test_a_validity_that_ends_before_it_starts_is_refused(
    record: type[StatusPeriod | Programme],
    fields: dict[str, object],
    valid_from: str,
    valid_to: str,
) -> None:
    data = {**fields, "sources": [{"source": "brussels-studies-article", "paragraph": 1}]}
    record.model_validate({**data, "valid_from": valid_from, "valid_to": "2018-04"})
    with pytest.raises(ValidationError, match="valid_to: must be after valid_from"):
        record.model_validate({**data, "valid_from": valid_from, "valid_to": valid_to})
