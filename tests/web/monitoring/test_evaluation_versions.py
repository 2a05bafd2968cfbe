"""The platform evaluation on the platform's own records: person files, referrals, starts,
completions and follow-ups recorded through the services on their days (the clock of
`passerelle demo-activity`), an effect built into the records, and the covariates read as
the files were on each person's index date (their versions), not as they are today.
Synthetic people only."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

import polars as pl
import pytest
from django.contrib.auth.models import User
from django.test import override_settings
from django.utils import timezone
from tests.support.accounts import actor_of
from tests.support.followups import consent_to_referral_and_follow_up
from tests.support.people import synthetic_file
from tests.support.referrals import make_programme

from passerelle.cli.demo_activity import SimulatedClock
from passerelle.core.evaluation import EvaluationInputError, evaluate_programme
from passerelle.core.indicators.platform import EVALUATION_COVARIATES, evaluation_sample
from passerelle.web.apps.directory.models import Organisation
from passerelle.web.apps.followups.models import FollowUp
from passerelle.web.apps.followups.services import follow_up_record
from passerelle.web.apps.monitoring import data, versions
from passerelle.web.apps.monitoring.selectors import SECTOR
from passerelle.web.apps.people.services import person_create, person_update
from passerelle.web.apps.referrals.services import referral_create, referral_transition

MENTORING = "duo-for-a-job-mentoring"
COURSE = "language-course"
BUILT_IN_EFFECT = 0.5
"""Within each French level, the mentored find a job 50 points more often than the others."""
DESIGN = {
    # (mentored, French level): (persons, of whom employed at the 6-month follow-up)
    (True, "A1"): (4, 3),
    (True, "B1"): (16, 16),
    (False, "A1"): (16, 4),
    (False, "B1"): (4, 2),
}
"""The mentored are mostly at B1, the others mostly at A1, and B1 finds work more often:
the raw difference (19/20 - 6/20 = 0.65) overstates the effect on participants (0.5 at each
level, so 0.5 whatever their mix). 20 in each arm: the page's minimum (`MINIMUM_GROUP`)."""


@pytest.fixture(autouse=True)
def platform_records() -> Iterator[None]:
    with override_settings(PASSERELLE_DEMONSTRATION=False, MONITORING_BOOTSTRAP=50):
        yield


def _life(
    clock: SimulatedClock,
    actors: dict[str, Any],
    programmes: dict[str, Any],
    case: tuple[bool, str, int, int, bool],
    start: dt.date,
) -> Any:
    """One person's file and referral, each step on its day: file opened, referred to
    mentoring (or to the language course), accepted, started, completed three months later;
    the situation recorded at the 6-month follow-up. The mentored learn French (C1) the month
    after they start, a change of the file after the treatment."""
    mentored, level, index, position, employed = case
    clock.set(start - dt.timedelta(days=60))
    file = synthetic_file(given=f"Test{index}", birth_date=f"{1997 + position % 4}-05-01")
    file["profile"]["languages"] = {"ti": "C2", "fr": level}
    file["profile"]["migration_background"] = True
    sender, receiver = actors["a"], actors["b" if mentored else "c"]
    person = person_create(actor=sender, data=file)
    programme = programmes[MENTORING if mentored else COURSE]
    consent_to_referral_and_follow_up(
        sender, person, programme.organisation, clock.day, follow_up_fields=("contact",)
    )
    clock.set(start - dt.timedelta(days=10))
    referral = referral_create(
        actor=sender,
        person_id=person.pk,
        programme=programme,
        planned_start=start,
        fields=["identity", "contact", "profile"],
    )
    steps = [(-10, sender, "send", {}), (-5, receiver, "accept", {}), (0, receiver, "start", {})]
    steps.append((91, receiver, "complete", {"outcome": "finished"}))
    for days, actor, action, extra in steps:
        clock.set(start + dt.timedelta(days=days))
        referral_transition(actor=actor, referral_id=referral.pk, action=action, **extra)
    if mentored:
        clock.set(start + dt.timedelta(days=30))
        file["profile"]["languages"] = {"ti": "C2", "fr": "C1"}
        person_update(actor=sender, person_id=person.pk, data=file, expected_version=1)
    follow_up = FollowUp.objects.filter(referral=referral).order_by("due_on").first()
    assert follow_up is not None
    clock.set(follow_up.due_on + dt.timedelta(days=3))
    follow_up_record(
        actor=sender,
        follow_up_id=follow_up.pk,
        situation="employed" if employed else "looking_for_work",
        contract_type="fixed_term" if employed else "",
        hours_per_week=38 if employed else None,
        situation_on=clock.day,
    )
    return person


@pytest.fixture
def recorded(
    organisations: dict[str, Organisation], make_user: Callable[..., User]
) -> dict[str, Any]:
    """The design's 40 persons recorded through the services, starting 20 months ago."""
    programmes = {
        MENTORING: make_programme(organisations["b"], MENTORING),
        COURSE: make_programme(organisations["c"], COURSE),
    }
    actors = {
        name: actor_of(make_user(f"cw_{name}", "caseworker", name)) for name in ("a", "b", "c")
    }
    today = timezone.localdate()
    start = today - dt.timedelta(days=600)
    persons: dict[bool, list[Any]] = {True: [], False: []}
    index = 0
    with SimulatedClock(today).running() as clock:
        for (mentored, level), (count, employed) in DESIGN.items():
            for position in range(count):
                # Birth years cycle over four within each group of the design, so that age
                # has the same spread among the mentored and the others at each level.
                case = (mentored, level, index, position, position < employed)
                persons[mentored].append(_life(clock, actors, programmes, case, start))
                index += 1
    return {"persons": persons, "start": start}


def test_the_platform_evaluation_finds_the_effect_built_into_the_records(
    recorded: dict[str, Any],
) -> None:
    result = data.platform_evaluation(SECTOR, MENTORING)
    assert (result.treated, result.controls) == (20, 20)
    assert result.evaluation is not None
    naive = result.evaluation.estimate("naive")
    assert naive.effect == pytest.approx(19 / 20 - 6 / 20)  # the raw difference
    for method in ("ipw", "aipw"):
        estimate = result.evaluation.estimate(method)
        assert estimate.estimand == "ATT"
        assert estimate.ci_low <= BUILT_IN_EFFECT <= estimate.ci_high, (method, estimate)
        assert estimate.effect == pytest.approx(BUILT_IN_EFFECT, abs=0.05), method
    balance = {row["covariate"]: row for row in result.evaluation.balance.iter_rows(named=True)}
    assert abs(balance["french_or_dutch"]["smd_before"]) > 1  # B1 among the mentored
    assert abs(balance["french_or_dutch"]["smd_weighted"]) < 0.1
    _covariates_are_those_of_the_index_date()


def _covariates_are_those_of_the_index_date() -> None:
    """The mentored reached C1 in French a month after they started: the evaluation reads
    A1 and B1, the levels of their files on the day they started, not today's C1 (which
    would decide who took part: a perfect separation, refused)."""
    source = data.frames()
    sample = versions.evaluation_sample_on_index(
        source.persons, source.events, source.referrals, MENTORING, source.as_of
    )
    french = pl.col("french_or_dutch")
    levels = sample.group_by("treated").agg(a1=(french == 1).sum(), b1=(french == 3).sum())
    by_arm = {row["treated"]: (row["a1"], row["b1"]) for row in levels.iter_rows(named=True)}
    assert by_arm == {1: (4, 16), 0: (16, 4)}  # C1 (rank 5) nowhere
    # Ages on the index date too: born 1997-2000, started 20 months ago.
    ages = sample.filter(pl.col("treated") == 1)["age"]
    assert 22.0 < float(ages.min()) < float(ages.max()) < 28.0  # type: ignore[arg-type]
    today = evaluation_sample(
        source.persons, source.events, source.referrals, MENTORING, source.as_of
    )
    assert (today.filter(pl.col("treated") == 1)["french_or_dutch"] == 5).all()
    with pytest.raises(EvaluationInputError, match="perfect separation by french_or_dutch"):
        evaluate_programme(
            today.drop("person_id"), covariates=list(EVALUATION_COVARIATES), n_bootstrap=10
        )
