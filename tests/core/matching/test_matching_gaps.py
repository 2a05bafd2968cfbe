"""Gap analysis: each candidate's obstacle lifts when the dated parameters say it does."""

from __future__ import annotations

import datetime as dt

from passerelle.core.matching.gaps import gap_analysis, sentences, svg_chart
from passerelle.core.matching.model import Kind, Person, Slot, persons_frame, slots_frame
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


def _newcomer(person_id: str, born: str, status: str, english: str) -> Person:
    profile = profile_from_data(
        {
            "birth_date": born,
            "nationality": "SY",
            "legal_status": status,
            "asylum_application_date": "2015-01-10",
            "asylum_decision_date": "2015-10-01",
            "arrival_in_belgium": "2015-01-01",
            "migration_background": True,
            "languages": {"en": english, "fr": "A2"},
        }
    )
    return Person(id=person_id, profile=profile, occupation="2422")


def test_internship_offers_are_analysed_on_their_dates() -> None:
    """Tandem's eligibility (refugees and asylum seekers) and the working language, asked on
    the offer's first day; the mentoring age range (18 to 30) shows that the rules are asked
    on the offer's dates, not today."""
    persons = [
        _newcomer("ready", "1990-01-01", "refugee", "B2"),
        _newcomer("english_b1", "1990-01-01", "refugee", "B1"),
        _newcomer("protected", "1990-01-01", "subsidiary_protection", "C1"),
    ]
    offer = Slot(
        id="policy-internship",
        start_date=dt.date(2019, 10, 1),
        occupation="2422",
        languages={"en": "B2"},
        capacity=2,
    )
    report = gap_analysis(persons_frame(persons), slots_frame([offer]), ON, kind=Kind.internship)
    (gap,) = report.vacancies
    assert gap.candidates == 3
    assert gap.qualifying == {0: 1, 3: 1, 6: 2, 12: 2}
    assert gap.blockers[0] == {
        "right_to_work": 1,  # here: Tandem's eligibility, which the status never meets
        "language": 1,
        "recognition": 0,
        "diploma": 0,
        "licence": 0,
    }
    assert gap.blockers[12]["right_to_work"] == 1
    text = sentences(report)["policy-internship"]
    assert "programme eligibility on the dates for 1" in text
    assert "right to work" not in text
    assert "programme eligibility on the dates" in svg_chart(report)

    # 30 today, 31 on the mentor's first day: not eligible for Duo's mentoring then.
    turning = _newcomer("turning_31", "1988-08-01", "refugee", "B2")
    mentor = Slot(id="mentor", start_date=dt.date(2019, 10, 1), occupation="2422")
    report = gap_analysis(persons_frame([turning]), slots_frame([mentor]), ON, kind=Kind.mentoring)
    assert report.vacancies[0].qualifying[0] == 0
    assert report.vacancies[0].blockers[0]["right_to_work"] == 1
    # As a vacancy, asked on today's date: a refugee has the right to work.
    report = gap_analysis(persons_frame([turning]), slots_frame([mentor]), ON)
    assert report.vacancies[0].qualifying[0] == 1


def test_record_keys_give_each_count_the_cell_key_of_its_candidates() -> None:
    """The cell keys that perturb the published counts (core.disclosure): each is the sum of
    the keys of exactly the candidates the count holds."""
    from passerelle.core.disclosure import cell_key, record_key

    persons = [
        _person("ready"),
        _person("waiting", legal_status="asylum_seeker", asylum_application_date="2019-03-01"),
        _person("a2", languages={"fr": "A2"}),
        _person("a1", languages={"fr": "A1"}),
        _person("foreign", diploma_isced=4, diploma_foreign=True, diploma_recognised=False),
    ]
    keys = {p.id: record_key(p.id, b"test secret") for p in persons}
    vacancy = Slot(id="cook", start_date=ON, occupation="5120", languages={"fr": "B1"},
                   recognition_required=True, capacity=3)  # fmt: skip
    frame = persons_frame(persons)
    report = gap_analysis(
        frame, slots_frame([vacancy]), ON, record_keys=[keys[i] for i in frame["person_id"]]
    )
    (gap,) = report.vacancies
    assert gap.keys is not None
    assert gap.keys["candidates"] == cell_key(keys.values())
    assert gap.keys["qualifying_0"] == keys["ready"]  # only "ready" qualifies now
    assert gap.keys["qualifying_3"] == cell_key([keys["ready"], keys["waiting"]])
    assert gap.keys["language_0"] == cell_key([keys["a2"], keys["a1"]])
    rows = report.to_frame()
    assert rows["candidates_key"].to_list() == [cell_key(keys.values())] * 4
    assert gap_analysis(frame, slots_frame([vacancy]), ON).vacancies[0].keys is None
