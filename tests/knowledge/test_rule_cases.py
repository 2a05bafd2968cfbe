"""Run the YAML rule cases of knowledge/cases/ (in the style of OpenFisca's YAML tests).

A case gives a profile, a date and what is expected; only the keys it gives are checked:

    - name: asylum seeker the day the waiting period ends (2019 rules)
      on: 2019-05-12
      profile: {legal_status: asylum_seeker, asylum_application_date: 2019-01-12}
      expect:
        rights:
          right_to_work: {value: "yes"}
        programmes:
          tandem-internship: {status: eligible}
        organisations:
          feb-vbo-refugee-taskforce: {status: dormant}
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import yaml

from passerelle.core.landscape import organisation_status_on
from passerelle.core.profile import profile_from_data
from passerelle.core.rules.options import options, options_json
from passerelle.knowledge.loader import KNOWLEDGE_DIR, load_knowledge

CASES_DIR = KNOWLEDGE_DIR / "cases"


def _load_cases() -> list[Any]:
    cases = []
    for path in sorted(CASES_DIR.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for case in data.get("cases", []):
            # YAML 1.1 reads a bare `on:` key as the boolean true; accept both spellings.
            if True in case:
                case["on"] = case.pop(True)
            cases.append(pytest.param(case, id=f"{path.stem}: {case['name']}"))
    return cases


CASES = _load_cases()


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_jsonable(item) for item in value]
    return value


def test_there_are_enough_cases() -> None:
    assert len(CASES) >= 40


@pytest.mark.parametrize("case", CASES)
def test_rule_case(case: dict[str, Any]) -> None:
    knowledge = load_knowledge()
    on = case["on"]
    expect = case["expect"]
    if "profile" in case:
        profile = profile_from_data(_jsonable(case["profile"]))
        result = options_json(options(profile, on, knowledge), knowledge)
        for name, expected in expect.get("rights", {}).items():
            actual = result["rights"][name]
            for key, value in _jsonable(expected).items():
                assert actual[key] == value, f"rights.{name}.{key}: {actual}"
        programmes = {item["id"]: item for item in result["programmes"]}
        for programme_id, expected in expect.get("programmes", {}).items():
            actual = programmes[programme_id]
            for key, value in _jsonable(expected).items():
                if key == "missing":
                    assert set(actual[key]) == set(value), f"{programme_id}.{key}: {actual}"
                else:
                    assert actual[key] == value, f"{programme_id}.{key}: {actual}"
    for organisation_id, expected in expect.get("organisations", {}).items():
        status = organisation_status_on(knowledge.organisations[organisation_id], on)
        actual = {"status": status.status, "parent": status.parent}
        for key, value in expected.items():
            assert actual[key] == value, f"{organisation_id}.{key}: {actual}"
