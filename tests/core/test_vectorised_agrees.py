"""The scalar explainer and the vectorised evaluator are two readings of one definition:
on random profiles and dates they must give the same status for every programme and the
same derived facts."""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from passerelle.core.profile import Profile, profile_from_data
from passerelle.core.rules.options import options
from passerelle.core.rules.vectorised import evaluate_population, population_frame
from passerelle.knowledge.criteria import LEGAL_STATUSES
from passerelle.knowledge.dates import anniversary
from passerelle.knowledge.loader import Knowledge, load_knowledge

DAYS = st.dates(min_value=dt.date(1950, 1, 1), max_value=dt.date(2030, 12, 31))
# Dates clustered around the boundaries where the rules change.
BOUNDARIES = [
    dt.date(2013, 7, 1),
    dt.date(2015, 3, 30),
    dt.date(2015, 11, 9),
    dt.date(2019, 1, 1),
    dt.date(2020, 2, 1),
    dt.date(2022, 3, 4),
    dt.date(2022, 6, 1),
]
NEAR_BOUNDARY = st.builds(
    lambda base, shift: base + dt.timedelta(days=shift),
    st.sampled_from(BOUNDARIES),
    st.integers(min_value=-400, max_value=400),
)
ON = st.one_of(
    st.dates(min_value=dt.date(2010, 1, 1), max_value=dt.date(2035, 12, 31)), NEAR_BOUNDARY
)
MUNICIPALITIES = ["schaerbeek", "Molenbeek-Saint-Jean", "1000", "1050", "1930", "4000", "Jette"]
LEVELS = ["A1", "A2", "B1", "B2", "C1", "C2"]


def _maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(st.none(), strategy)


def _procedure_events(
    draw: st.DrawFn, status: str | None, application: dt.date | None
) -> dict[str, Any]:
    """The asylum procedure's dated events, in a possible order, clustered around the end
    of the four-month waiting period."""
    events: dict[str, Any] = {}
    if application is None or status not in (
        "asylum_seeker",
        "no_permit",
        "refugee",
        "subsidiary_protection",
    ):
        return events
    if not draw(st.booleans()):
        return events
    subsequent = draw(_maybe(st.booleans()))
    events["subsequent_application"] = subsequent
    start = application
    if subsequent and draw(st.booleans()):
        start = application + dt.timedelta(days=draw(st.integers(0, 200)))
        events["admissibility_date"] = start
    if draw(st.booleans()):
        refusal = start + dt.timedelta(
            days=draw(st.one_of(st.integers(100, 140), st.integers(0, 600)))
        )
        events["asylum_refusal_date"] = refusal
        if draw(st.booleans()):
            lodged = refusal + dt.timedelta(days=draw(st.integers(0, 30)))
            events["appeal_lodged_date"] = lodged
            if status != "asylum_seeker" and draw(st.booleans()):
                events["appeal_refusal_date"] = lodged + dt.timedelta(
                    days=draw(st.integers(0, 400))
                )
    return events


@st.composite
def profiles(draw: st.DrawFn) -> Profile:
    birth = draw(_maybe(st.dates(min_value=dt.date(1950, 1, 1), max_value=dt.date(2012, 12, 31))))
    floor = birth or dt.date(1950, 1, 1)
    arrival = draw(
        _maybe(st.dates(min_value=max(floor, dt.date(2005, 1, 1)), max_value=dt.date(2030, 1, 1)))
    )
    after_arrival = arrival or floor
    application = draw(
        _maybe(
            st.builds(lambda days: after_arrival + dt.timedelta(days=days), st.integers(0, 2000))
        )
    )
    # Asylum seekers and refugees carry most of the dated rules: draw them more often.
    status = draw(
        _maybe(
            st.one_of(
                st.sampled_from(["asylum_seeker", "refugee", "subsidiary_protection"]),
                st.sampled_from(LEGAL_STATUSES),
            )
        )
    )
    procedure = _procedure_events(draw, status, application)
    decision = None
    if status not in (None, "asylum_seeker") and draw(st.booleans()):
        start = max(
            [application or after_arrival]
            + [day for day in procedure.values() if isinstance(day, dt.date)]
        )
        decision = start + dt.timedelta(days=draw(st.integers(0, 1500)))
    registration = draw(
        _maybe(
            st.builds(lambda days: after_arrival + dt.timedelta(days=days), st.integers(0, 3000))
        )
    )
    if registration and decision and status in ("refugee", "subsidiary_protection"):
        # The first registration with a permit of more than three months follows the decision.
        registration = max(registration, decision)
    languages = draw(
        _maybe(
            st.dictionaries(
                st.sampled_from(["fr", "nl", "en", "ar"]), st.sampled_from(LEVELS), max_size=3
            )
        )
    )
    data = {
        "birth_date": birth,
        "nationality": draw(
            _maybe(st.sampled_from(["SY", "AF", "ER", "GB", "HR", "FR", "MA", "NO", "CH", "RO"]))
        ),
        "legal_status": status,
        "asylum_application_date": application,
        "asylum_decision_date": decision,
        **procedure,
        "family_of_eea_swiss_citizen": draw(_maybe(st.booleans())),
        "integration_certificate": draw(_maybe(st.booleans())),
        "integration_other_exemption": draw(_maybe(st.booleans())),
        "residence_permit_months": draw(_maybe(st.sampled_from([0, 3, 4, 12, 60]))),
        "labour_market_access": draw(_maybe(st.sampled_from(["unlimited", "limited", "none"]))),
        "arrival_in_belgium": arrival,
        "first_registration_brussels": registration,
        "municipality": draw(_maybe(st.sampled_from(MUNICIPALITIES))),
        "languages": languages,
        "education_isced": draw(_maybe(st.integers(0, 8))),
        "migration_background": draw(_maybe(st.booleans())),
    }
    return profile_from_data(
        {k: v.isoformat() if isinstance(v, dt.date) else v for k, v in data.items()}
    )


def _scalar_row(profile: Profile, on: dt.date, knowledge: Knowledge) -> dict[str, str]:
    result = options(profile, on, knowledge)
    row = {
        name: fact.value if fact.value is not None else "unknown"
        for name, fact in result.rights.items()
    }
    for option in result.programmes:
        # The vectorised path answers on the date: "eligible from a later date" is "not now".
        row[option.id] = "not_eligible" if option.status == "eligible_from" else option.status
    return row


def _near_personal_boundaries(people: list[Profile]) -> st.SearchStrategy[dt.date]:
    """Dates just around a person's own boundaries: birthdays, the end of the waiting
    period, three years after arrival, the decision."""
    anchors = [
        (day, unit)
        for person in people
        for day, unit in (
            (person.birth_date, "years"),
            (person.asylum_application_date, "months"),
            (person.arrival_in_belgium, "years"),
            (person.asylum_decision_date, "days"),
            (person.first_registration_brussels, "days"),
            (person.asylum_refusal_date, "days"),
            (person.appeal_lodged_date, "days"),
            (person.appeal_refusal_date, "days"),
            (person.admissibility_date, "days"),
        )
        if day is not None
    ]
    if not anchors:
        return ON

    def shifted(anchor: tuple[dt.date, str], amount: int, days: int) -> dt.date:
        day, unit = anchor
        if unit == "years":
            day = anniversary(day, years=amount)
        elif unit == "months":
            day = anniversary(day, months=4 if amount < 18 else 6)
        return min(max(day + dt.timedelta(days=days), dt.date(2010, 1, 1)), dt.date(2035, 12, 31))

    return st.builds(
        shifted,
        st.sampled_from(anchors),
        st.sampled_from([3, 4, 6, 18, 30, 31, 65]),
        st.integers(min_value=-2, max_value=2),
    )


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(people=st.lists(profiles(), min_size=1, max_size=6), data=st.data())
def test_scalar_and_vectorised_evaluators_agree(people: list[Profile], data: st.DataObject) -> None:
    near = _near_personal_boundaries(people)
    on = data.draw(st.one_of(near, near, ON), label="on")
    knowledge = load_knowledge()
    frame = evaluate_population(population_frame(people), on, knowledge)
    for profile, vector_row in zip(people, frame.iter_rows(named=True), strict=True):
        assert _scalar_row(profile, on, knowledge) == vector_row, profile
