"""Gap analysis: each candidate's obstacle lifts when the dated parameters say it does."""

from __future__ import annotations

import datetime as dt

from passerelle.core.matching.gaps import gap_analysis, sentences, svg_chart
from passerelle.core.matching.model import Person, Slot, persons_frame, slots_frame
from passerelle.core.profile import profile_from_data
from passerelle.knowledge.loader import load_knowledge

ON = dt.date(2019, 6, 1)


def _person(person_id: str, **fields: object) -> Person:
    profile = {
        "birth_date": "1990-01-01",
        "nationality": "SY",
        "legal_status": "refugee",
        "asylum_application_date": "2015-01-10",
        "asylum_decision_date": "2015-10-01",
        "languages": {"fr": "B1"},
    }
    for key in ("legal_status", "asylum_application_date", "languages"):
        if key in fields:
            profile[key] = fields.pop(key)  # type: ignore[assignment]
    if profile["legal_status"] == "asylum_seeker":
        profile.pop("asylum_decision_date")
    return Person(id=person_id, profile=profile_from_data(profile), occupation="5120", **fields)  # type: ignore[arg-type]


def test_obstacles_lift_with_the_dated_parameters() -> None:
    knowledge = load_knowledge()
    per_level = knowledge.parameters["skills.language_course.months_per_cefr_level"]
    recognition = knowledge.parameters["skills.diploma_recognition.months"]
    assert per_level.value_on(ON).value == 6  # type: ignore[union-attr]
    assert recognition.value_on(ON).value == 6  # type: ignore[union-attr]
    persons = [
        _person("ready"),
        # Applied 2019-03-01: may work from 2019-07-01 (four months), so from +3 months.
        _person("waiting", legal_status="asylum_seeker", asylum_application_date="2019-03-01"),
        # French A2 where B1 is required: one level, six months of course.
        _person("a2", languages={"fr": "A2"}),
        # French A1: two levels, twelve months.
        _person("a1", languages={"fr": "A1"}),
        _person("foreign", diploma_isced=4, diploma_foreign=True, diploma_recognised=False),
        _person("licence", driving_licence=False),
    ]
    vacancy = Slot(
        id="cook",
        start_date=ON,
        occupation="5120",
        languages={"fr": "B1"},
        recognition_required=True,
        capacity=3,
    )
    report = gap_analysis(persons_frame(persons[:5]), slots_frame([vacancy]), ON)
    (gap,) = report.vacancies
    assert gap.candidates == 5
    assert gap.qualifying == {0: 1, 3: 2, 6: 4, 12: 5}
    assert gap.blockers[0] == {
        "right_to_work": 1,
        "language": 2,
        "recognition": 1,
        "diploma": 0,
        "licence": 0,
    }
    assert gap.blockers[12]["language"] == 0
    text = sentences(report)["cook"]
    assert "1 of 5 candidates could start now" in text
    assert "4 in 6 months" in text
    assert "language for 2" in text

    driving = Slot(id="courier", start_date=ON, occupation="5120", driving_licence_required=True)
    report = gap_analysis(persons_frame(persons), slots_frame([driving]), ON)
    (gap,) = report.vacancies
    assert gap.qualifying[12] == 0  # a licence is not projected; nobody here has one
    assert gap.blockers[12]["licence"] == 6
    svg = svg_chart(report)
    assert svg.startswith("<svg")
    assert "courier" in svg
