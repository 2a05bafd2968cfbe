"""The matching engine on instances whose answer is known: brute force on tiny instances,
capacities, hard constraints checked by the scalar rules engine, reasons for everyone."""

from __future__ import annotations

import datetime as dt
import itertools

import numpy as np
import polars as pl
import pytest

from passerelle.core.matching.engine import MATCHED, match
from passerelle.core.matching.explain import explain, explanations
from passerelle.core.matching.model import Kind, Person, Slot, persons_frame, slots_frame
from passerelle.core.matching.pairs import Options
from passerelle.core.matching.solve import _greedy_loop, solve_flow, solve_greedy
from passerelle.core.matching.synthetic import synthetic_round
from passerelle.core.profile import profile_from_data
from passerelle.core.rules.options import rights
from passerelle.knowledge.criteria import cefr_rank

ON = dt.date(2019, 6, 1)
START = dt.date(2019, 6, 15)


def _brute_force(
    person: np.ndarray,
    slot: np.ndarray,
    weight: np.ndarray,
    person_capacity: np.ndarray,
    slot_capacity: np.ndarray,
) -> int:
    best = 0
    for chosen in itertools.product((False, True), repeat=person.size):
        mask = np.array(chosen, dtype=bool)
        if (np.bincount(person[mask], minlength=person_capacity.size) > person_capacity).any():
            continue
        if (np.bincount(slot[mask], minlength=slot_capacity.size) > slot_capacity).any():
            continue
        best = max(best, int(weight[mask].sum()))
    return best


@pytest.mark.parametrize("seed", range(25))
def test_flow_is_optimal_against_brute_force(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n_persons, n_slots = int(rng.integers(2, 6)), int(rng.integers(1, 4))
    pairs = [(p, s) for p in range(n_persons) for s in range(n_slots) if rng.random() < 0.6]
    if not pairs:
        pairs = [(0, 0)]
    person = np.array([p for p, _ in pairs], dtype=np.int32)
    slot = np.array([s for _, s in pairs], dtype=np.int32)
    weight = rng.integers(1, 100, person.size).astype(np.int64)
    person_capacity = rng.integers(1, 3, n_persons).astype(np.int64)
    slot_capacity = rng.integers(1, 3, n_slots).astype(np.int64)
    chosen = solve_flow(person, slot, weight, person_capacity, slot_capacity)
    assert (np.bincount(person[chosen], minlength=n_persons) <= person_capacity).all()
    assert (np.bincount(slot[chosen], minlength=n_slots) <= slot_capacity).all()
    assert int(weight[chosen].sum()) == _brute_force(
        person, slot, weight, person_capacity, slot_capacity
    )
    rank = rng.permutation(n_persons)
    greedy = solve_greedy(person, slot, weight, person_capacity, slot_capacity, rank)
    assert int(weight[greedy].sum()) <= int(weight[chosen].sum())


@pytest.mark.parametrize("seed", range(10))
def test_vectorised_greedy_is_first_come_first_served(seed: int) -> None:
    """Deferred acceptance with one priority order equals the sequential loop."""
    rng = np.random.default_rng(seed)
    n_persons, n_slots = 60, 15
    pairs = {
        (int(p), int(s))
        for p, s in zip(rng.integers(0, n_persons, 300), rng.integers(0, n_slots, 300), strict=True)
    }
    person = np.array([p for p, _ in sorted(pairs)], dtype=np.int32)
    slot = np.array([s for _, s in sorted(pairs)], dtype=np.int32)
    weight = rng.integers(1, 1000, person.size).astype(np.int64)
    slot_capacity = rng.integers(1, 4, n_slots).astype(np.int64)
    ones = np.ones(n_persons, dtype=np.int64)
    rank = rng.permutation(n_persons)
    vectorised = solve_greedy(person, slot, weight, ones, slot_capacity, rank)
    order = np.lexsort((-weight, rank[person]))
    loop = _greedy_loop(
        person, slot, order, ones, slot_capacity.copy(), np.zeros(person.size, bool)
    )
    assert (vectorised == loop).all()


@pytest.fixture(scope="module")
def synthetic() -> tuple[pl.DataFrame, pl.DataFrame]:
    return synthetic_round(3000, slots_per_person=0.2, seed=11)


@pytest.fixture(scope="module")
def synthetic_result(synthetic: tuple[pl.DataFrame, pl.DataFrame]):  # type: ignore[no-untyped-def]
    persons, slots = synthetic
    return match(persons, slots, Kind.vacancy, ON, Options(block_digits=4))


def test_sparse_candidates_about_fifty_per_person(synthetic_result) -> None:  # type: ignore[no-untyped-def]
    per_person = synthetic_result.pair_count / synthetic_result.persons.height
    assert 30 <= per_person <= 70
    assert (
        synthetic_result.pair_count
        < synthetic_result.persons.height * synthetic_result.slots.height / 5
    )


def test_capacities_respected(synthetic_result) -> None:  # type: ignore[no-untyped-def]
    result = synthetic_result
    per_slot = result.assignments.group_by("slot_id").len()
    capacity = per_slot.join(result.slots.select("slot_id", "capacity"), on="slot_id")
    assert (capacity["len"] <= capacity["capacity"]).all()
    assert result.assignments["person_id"].is_unique().all()
    assert result.placed > 0


def test_flow_beats_or_equals_greedy(synthetic_result) -> None:  # type: ignore[no-untyped-def]
    result = synthetic_result
    assert result.solver_objective >= result.greedy_solver_objective
    assert result.greedy_placed > 0
    assert result.objective == pytest.approx(
        result.assignments["probability"].sum(), abs=0.01 * result.placed
    )


def test_hard_constraints_hold_for_every_match(synthetic_result) -> None:  # type: ignore[no-untyped-def]
    """Checked independently: the scalar rules engine for the right to work on the start
    date, the CEFR levels and the licence from the input."""
    result = synthetic_result
    joined = (
        result.assignments.select("person_id", "slot_id")
        .join(result.persons, on="person_id")
        .join(result.slots, on="slot_id", suffix="_slot")
    )
    assert joined.height == result.placed
    for row in joined.head(300).iter_rows(named=True):
        data = {
            key: (value.isoformat() if isinstance(value, dt.date) else value)
            for key in (
                "birth_date",
                "nationality",
                "legal_status",
                "asylum_application_date",
                "asylum_decision_date",
                "residence_permit_months",
                "labour_market_access",
                "arrival_in_belgium",
                "first_registration_brussels",
            )
            if (value := row[key]) is not None
        }
        facts = rights(profile_from_data(data), row["start_date"])
        assert facts["right_to_work"].value in ("yes", "with_permit"), row["person_id"]
        alternatives = [
            (row[f"lang_{i}"], row[f"level_{i}"]) for i in (1, 2, 3) if row[f"lang_{i}"]
        ]
        assert any((row.get(f"language_{code}") or 0) >= level for code, level in alternatives)
        if row["driving_licence_required"]:
            assert row["driving_licence"]
        if row["recognition_required"] and row["diploma_foreign"]:
            assert row["diploma_recognised"]
    no_right = result.outcomes.filter(pl.col("reason") == "rules")
    assert no_right.height > 0
    assert no_right["slot_id"].null_count() == no_right.height


def test_every_person_has_an_explanation(synthetic) -> None:  # type: ignore[no-untyped-def]
    persons, slots = synthetic
    persons, slots = persons.head(300), slots.head(40)
    result = match(persons, slots, Kind.vacancy, ON, Options(block_digits=2))
    texts = explanations(result)
    assert set(texts) == set(persons["person_id"])
    assert all(texts.values())
    reasons = set(result.outcomes["reason"])
    assert MATCHED in reasons
    assert len(reasons) >= 3


def _profile(**fields: object) -> object:
    return profile_from_data(
        {
            "birth_date": "1995-01-01",
            "nationality": "SY",
            "arrival_in_belgium": "2015-01-01",
            "migration_background": True,
            **fields,
        }
    )


def _person(person_id: str, **fields: object) -> Person:
    profile_fields = {
        k: fields.pop(k)
        for k in list(fields)
        if k
        in (
            "legal_status",
            "asylum_application_date",
            "asylum_decision_date",
            "languages",
            "birth_date",
        )
    }
    profile_fields.setdefault("legal_status", "refugee")
    profile_fields.setdefault("asylum_application_date", "2015-01-10")
    if profile_fields["legal_status"] == "refugee":
        profile_fields.setdefault("asylum_decision_date", "2015-10-01")
    profile_fields.setdefault("languages", {"fr": "B2"})
    return Person(id=person_id, profile=_profile(**profile_fields), occupation="5120", **fields)  # type: ignore[arg-type]


def _cook(**fields: object) -> Slot:
    return Slot(
        id=str(fields.pop("id", "cook")),
        start_date=START,
        occupation="5120",
        municipality="ixelles",
        languages={"fr": "B1"},
        **fields,  # type: ignore[arg-type]
    )


def test_reasons_name_the_date_and_the_levels() -> None:
    persons = [
        _person("waiting", legal_status="asylum_seeker", asylum_application_date="2019-03-01"),
        _person("a2", languages={"fr": "A2"}),
        _person("ok"),
    ]
    result = match(persons_frame(persons), slots_frame([_cook(capacity=3)]), Kind.vacancy, ON)
    assert explain(result, "waiting") == ["closest offer cook: no right to work before 1 July 2019"]
    assert explain(result, "a2") == ["closest offer cook: French A2 where B1 is required"]
    assert explain(result, "ok")[0].startswith("matched with cook")
    assert result.outcomes.filter(pl.col("person_id") == "ok")["slot_id"].item() == "cook"


def test_every_failed_constraint_is_named_in_the_blockers_order() -> None:
    """Language, diploma, licence and availability fail at once: one term each, in that
    order, the first one as the closest offer's reason; a constraint that holds (the right
    to work, the recognition) is not named."""
    from passerelle.core.matching.explain import explanation_terms

    late = _person(
        "late",
        languages={"fr": "A2"},
        diploma_isced=2,
        driving_licence=False,
        available_from=START + dt.timedelta(days=90),
    )
    slot = _cook(driving_licence_required=True, diploma_isced_required=4)
    result = match(persons_frame([late]), slots_frame([slot]), Kind.vacancy, ON)
    terms = explanation_terms(result, "late")
    assert terms[0]["code"] == "closest"
    reasons = [terms[0]["params"]["reason"], *terms[1:]]
    assert reasons == [
        {"code": "language", "params": {"language": "fr", "rank": 2, "required": 3}},
        {"code": "diploma", "params": {"level": 2, "required": 4}},
        {"code": "licence", "params": {}},
        {
            "code": "availability",
            "params": {"date": "2019-09-13", "days": 30, "start": "2019-06-15"},
        },
    ]


def test_programme_eligibility_for_mentoring_names_the_age() -> None:
    persons = [_person("young", birth_date="1998-01-01"), _person("older", birth_date="1980-01-01")]
    mentor = Slot(
        id="mentor", start_date=START, occupation="5120", languages={"fr": "A2"}, capacity=2
    )
    result = match(persons_frame(persons), slots_frame([mentor]), Kind.mentoring, ON)
    assert result.outcomes.filter(pl.col("reason") == MATCHED)["person_id"].to_list() == ["young"]
    text = explain(result, "older")[0]
    assert "duo-for-a-job-mentoring" in text
    assert "between 18 and 30" in text


def test_capacity_reason_and_waiting_priority() -> None:
    # Same fit except the wish; the other has waited two years.
    persons = [
        _person("fits", wish="5120", waiting_since=dt.date(2019, 5, 1)),
        _person("waited", wish="9412", waiting_since=dt.date(2017, 6, 1)),
    ]
    frames = persons_frame(persons), slots_frame([_cook()])
    plain = match(*frames, Kind.vacancy, ON)
    assert plain.assignments["person_id"].to_list() == ["fits"]
    assert plain.outcomes.filter(pl.col("person_id") == "waited")["reason"].item() == "capacity"
    priority = match(*frames, Kind.vacancy, ON, Options(waiting_priority=True))
    assert priority.assignments["person_id"].to_list() == ["waited"]
    # First come, first served gives the place to the one waiting longest.
    assert plain.greedy_placed == 1
    assert plain.greedy_objective < plain.objective


def test_minimum_score_and_balance_across_organisations() -> None:
    persons = [_person(f"a{i}", wish="5120", organisation="org-a") for i in range(4)] + [
        _person(f"b{i}", wish="9412", organisation="org-b") for i in range(4)
    ]
    frames = persons_frame(persons), slots_frame([_cook(capacity=4)])
    plain = match(*frames, Kind.vacancy, ON)
    assert sorted(plain.assignments["person_id"]) == ["a0", "a1", "a2", "a3"]
    balanced = match(*frames, Kind.vacancy, ON, Options(balance_organisations=True))
    counts = balanced.assignments["person_id"].str.slice(0, 1).value_counts()
    assert dict(counts.iter_rows()) == {"a": 2, "b": 2}
    strict = match(*frames, Kind.vacancy, ON, Options(min_score=70))
    assert set(strict.outcomes.filter(pl.col("reason") == "below_min_score")["person_id"]) == {
        "b0",
        "b1",
        "b2",
        "b3",
    }
    assert all(score >= 70 for score in strict.assignments["fit"])


def test_cefr_ranks_follow_the_criteria_language() -> None:
    frame = persons_frame([_person("x", languages={"fr": "B1", "nl": "A2"})])
    assert frame["language_fr"].item() == cefr_rank("B1")
    assert frame["language_nl"].item() == cefr_rank("A2")


def test_a_person_may_take_several_slots_up_to_their_capacity() -> None:
    persons = [_person("two", capacity=2), _person("one")]
    slots = [_cook(id="cook-1"), _cook(id="cook-2"), _cook(id="cook-3")]
    result = match(persons_frame(persons), slots_frame(slots), Kind.vacancy, ON)
    per_person = dict(result.assignments.group_by("person_id").len().iter_rows())
    assert per_person == {"two": 2, "one": 1}
    assert result.assignments["slot_id"].is_unique().all()
    assert result.greedy_placed == 3
    assert len([s for s in explain(result, "two") if s.startswith("matched with")]) == 2


def test_a_round_without_slots_explains_itself() -> None:
    persons = persons_frame([_person("alone")])
    result = match(persons, slots_frame([]), Kind.vacancy, ON)
    assert result.placed == 0
    assert result.unmatched_by_reason() == {"no_candidate": 1}
    assert "no vacancy offer" in explain(result, "alone")[0]


def test_a_mentor_is_matched_on_the_best_of_all_their_occupations() -> None:
    """A mentor who was a waiter (5131), a cook (5120) and a lawyer (2611): every code
    pairs, and each pair is scored on the code that fits the person best."""
    from dataclasses import replace

    cook = _person("cook")  # occupation 5120
    persons = [
        cook,
        replace(cook, id="lawyer", occupation="2611"),
        replace(cook, id="bricklayer", occupation="7112"),
    ]
    mentor = Slot(
        id="mentor",
        start_date=START,
        occupation="5131",
        other_occupations=("5120", "2611"),
        languages={"fr": "A2"},
        capacity=3,
    )
    result = match(
        persons_frame(persons), slots_frame([mentor]), Kind.vacancy, ON, Options(block_digits=2)
    )
    rows = {row["person_id"]: row for row in result.assignments.iter_rows(named=True)}
    assert set(rows) == {"cook", "lawyer"}
    # 5120 against 5131 shares two digits (12.5 points), against 5120 all four (25).
    assert rows["cook"]["occupation"] == 25.0
    assert rows["cook"]["occupation_code"] == "5120"
    assert rows["lawyer"]["occupation"] == 25.0
    assert rows["lawyer"]["occupation_code"] == "2611"
    assert "occupation +25 (ISCO 2611 and 2611)" in explain(result, "lawyer")
    assert result.outcomes.filter(pl.col("person_id") == "bricklayer")["reason"].item() == (
        "no_candidate"
    )
    # Only the first code, as before: the lawyer has no candidate and the cook half the term.
    first_only = match(
        persons_frame(persons),
        slots_frame([Slot(id="mentor", start_date=START, occupation="5131", capacity=3)]),
        Kind.vacancy,
        ON,
    )
    assert first_only.assignments.filter(pl.col("person_id") == "cook")["occupation"].item() == (
        12.5
    )
    assert "lawyer" not in first_only.assignments["person_id"].to_list()


def test_explanations_are_terms_rendered_in_the_reader_language() -> None:
    from passerelle.core.i18n import LOCALE_DIR, language_of
    from passerelle.core.matching.explain import explanation_terms, render

    persons = [
        _person("waiting", legal_status="asylum_seeker", asylum_application_date="2019-03-01"),
        _person("a2", languages={"fr": "A2"}),
        _person("ok"),
    ]
    result = match(persons_frame(persons), slots_frame([_cook(capacity=3)]), Kind.vacancy, ON)
    terms = {p.id: explanation_terms(result, p.id, languages=("fr", "nl")) for p in persons}
    assert terms["a2"] == [
        {
            "code": "closest",
            "params": {
                "slot": "cook",
                "reason": {
                    "code": "language",
                    "params": {"language": "fr", "rank": 2, "required": 3},
                },
            },
        }
    ]
    assert terms["waiting"][0]["params"]["reason"] == {
        "code": "no_right_to_work_before",
        "params": {"date": "2019-07-01"},
    }
    import json

    assert json.loads(json.dumps(terms)) == terms  # plain JSON
    english = {key: [render(t) for t in value] for key, value in terms.items()}
    assert english == {p.id: explain(result, p.id) for p in persons}
    assert render("stored as text") == "stored as text"
    if not (LOCALE_DIR / "fr" / "LC_MESSAGES" / "django.mo").exists():
        pytest.skip("catalogues not compiled (make messages)")
    with language_of("fr"):
        french = render(terms["a2"][0])
    with language_of("nl"):
        dutch = render(terms["a2"][0])
    assert french.startswith("offre la plus proche cook")
    assert french.endswith("Français A2 alors que le niveau B1 est exigé")
    assert dutch.startswith("dichtstbijzijnde aanbod cook: Frans A2")


def test_the_rules_reasons_are_kept_in_every_language_asked() -> None:
    from passerelle.core.i18n import LOCALE_DIR, language_of
    from passerelle.core.matching.explain import explanation_terms, render

    persons = [_person("older", birth_date="1980-01-01")]
    mentor = Slot(id="mentor", start_date=START, occupation="5120", languages={"fr": "A2"})
    result = match(persons_frame(persons), slots_frame([mentor]), Kind.mentoring, ON)
    (item,) = explanation_terms(result, "older", languages=("en", "fr", "nl"))
    rules = item["params"]["reason"]
    assert rules["code"] == "not_eligible"
    assert rules["params"]["programme"] == "duo-for-a-job-mentoring"
    assert set(rules["params"]["reasons"]) == {"en", "fr", "nl"}
    assert "between 18 and 30" in " ".join(rules["params"]["reasons"]["en"])
    assert render(item) == explain(result, "older")[0]
    if not (LOCALE_DIR / "fr" / "LC_MESSAGES" / "django.mo").exists():
        pytest.skip("catalogues not compiled (make messages)")
    with language_of("fr"):
        french = render(item)
    with language_of("nl"):
        dutch = render(item)
    assert french != dutch
    assert " ".join(rules["params"]["reasons"]["fr"]) in french
    assert " ".join(rules["params"]["reasons"]["nl"]) in dutch


def test_mentors_csv_reads_other_occupations(tmp_path: object) -> None:
    from pathlib import Path

    from passerelle.core.matching.csvinput import MatchingInputError, read_slots

    path = Path(str(tmp_path)) / "mentors.csv"
    path.write_text(
        "slot_id,occupation,other_occupations,start_date\n"
        "M-anne,5131,5120 2611,2019-06-15\nM-bart,2512,,2019-06-15\n",
        encoding="utf-8",
    )
    anne, bart = read_slots(path)
    assert anne.other_occupations == ("5120", "2611")
    assert bart.other_occupations == ()
    path.write_text(
        "slot_id,other_occupations,start_date\nM-anne,5120 26110,2019-06-15\n", encoding="utf-8"
    )
    with pytest.raises(MatchingInputError, match="row 2, column other_occupations"):
        read_slots(path)


def test_persons_csv_reads_the_asylum_procedure_and_refuses_impossible_orders(
    tmp_path: object,
) -> None:
    from pathlib import Path

    from passerelle.core.matching.csvinput import MatchingInputError, read_persons

    path = Path(str(tmp_path)) / "persons.csv"
    header = (
        "person_id,legal_status,asylum_application_date,asylum_refusal_date,"
        "appeal_lodged_date,subsequent_application,integration_certificate\n"
    )
    path.write_text(
        header + "P1,asylum_seeker,2019-03-12,2019-07-13,2019-08-05,false,true\n",
        encoding="utf-8",
    )
    (person,) = read_persons(path)
    assert person.profile.appeal_lodged_date == dt.date(2019, 8, 5)
    assert person.profile.subsequent_application is False
    assert person.profile.integration_certificate is True
    path.write_text(
        header + "P1,asylum_seeker,2019-03-12,2019-07-13,2019-08-05,maybe,\n", encoding="utf-8"
    )
    with pytest.raises(MatchingInputError, match="row 2, column subsequent_application"):
        read_persons(path)
    path.write_text(
        header + "P1,asylum_seeker,2019-03-12,2019-07-13,2019-07-01,false,\n", encoding="utf-8"
    )
    with pytest.raises(MatchingInputError, match="row 2, column appeal_lodged_date"):
        read_persons(path)
