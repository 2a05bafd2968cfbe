"""Three honest groups (issue 18, item 1): "open now" only for programmes whose recorded
conditions were checked; a local service closed to the person's municipality and a programme
with no recorded conditions are never "open now"."""

from __future__ import annotations

import datetime as dt

from passerelle.core.profile import profile_from_data
from passerelle.core.rules.options import OPTION_GROUPS, Options, options, options_json
from passerelle.knowledge.loader import load_knowledge

ON = dt.date(2020, 3, 2)


def _options(**data: object) -> Options:
    return options(profile_from_data(data), ON)


def _refugee(municipality: str) -> Options:
    return _options(
        legal_status="refugee",
        asylum_application_date="2018-02-01",
        asylum_decision_date="2019-04-10",
        birth_date="1985-07-14",
        nationality="AF",
        arrival_in_belgium="2018-01-20",
        first_registration_brussels="2019-05-06",
        municipality=municipality,
    )


def _group(result: Options, programme_id: str) -> str:
    return next(option.group for option in result.programmes if option.id == programme_id)


def test_sampa_is_not_open_to_a_refugee_in_schaerbeek() -> None:
    result = _refugee("schaerbeek")
    sampa = next(option for option in result.programmes if option.id == "sampa-newcomer-support")
    assert sampa.group == "not_eligible"
    assert sampa.local_elsewhere
    assert [c.field for c in sampa.conditions] == ["municipality"]


def test_sampa_is_checked_and_open_to_a_refugee_in_molenbeek() -> None:
    assert _group(_refugee("Sint-Jans-Molenbeek"), "sampa-newcomer-support") == "eligible"


def test_a_programme_with_no_recorded_conditions_is_to_ask_not_open_now() -> None:
    knowledge = load_knowledge()
    unrecorded = {
        programme_id
        for programme_id in knowledge.programmes
        if knowledge.programme_latest(programme_id).eligibility is None
    }
    assert "bon-civic-integration" in unrecorded
    asylum_seeker = _options(
        legal_status="asylum_seeker",
        asylum_application_date="2019-11-04",
        birth_date="1999-02-18",
        nationality="SO",
        arrival_in_belgium="2019-10-30",
        municipality="Anderlecht",
    )
    assert asylum_seeker.rights["integration_pathway"].value == "not_eligible"
    for option in asylum_seeker.programmes:
        if option.id in unrecorded and option.status != "not_eligible":
            assert option.group == "ask", option.id
            assert not option.conditions_recorded
        if option.group == "eligible":
            assert option.conditions_recorded, option.id
            assert option.conditions, option.id
            assert all(c.outcome is not False for c in option.conditions), option.id
    assert _group(asylum_seeker, "bon-civic-integration") == "ask"
    assert _group(asylum_seeker, "bapa-bxl-integration-pathway") == "not_eligible"


def test_a_later_date_and_missing_answers_share_one_group() -> None:
    # Four months after the application the asylum seeker may work: Actiris opens on a date;
    # Duo for a Job depends on the migration background, not answered.
    result = _options(
        legal_status="asylum_seeker",
        asylum_application_date="2019-11-04",
        birth_date="1999-02-18",
        nationality="SO",
        arrival_in_belgium="2019-10-30",
        municipality="Anderlecht",
    )
    by_id = {option.id: option for option in result.programmes}
    assert by_id["actiris-job-support"].status == "eligible_from"
    assert by_id["actiris-job-support"].group == "later"
    assert by_id["duo-for-a-job-mentoring"].status == "unknown"
    assert by_id["duo-for-a-job-mentoring"].group == "later"
    assert {option.group for option in result.programmes} == set(OPTION_GROUPS)


def test_the_json_carries_the_group() -> None:
    data = options_json(_refugee("schaerbeek"), load_knowledge())
    groups = {item["id"]: item["group"] for item in data["programmes"]}
    assert groups["sampa-newcomer-support"] == "not_eligible"
    assert groups["bon-civic-integration"] == "ask"
