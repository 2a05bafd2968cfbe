"""`passerelle demo-activity`: three years of SYNTHETIC activity recorded through the
platform's own services, so that every analysis page of a demonstration has figures.

Person files go through `people.services`, referrals through their whole life through
`referrals.services.referral_transition` (sent, accepted or waitlisted, rejected with a
reason, started, completed with an outcome, did not come, withdrawn), matching rounds
through `matching.services.round_start`, linkage encodings through
`beneficiaries.services.encodings_from_person_files` and one linkage run. Nothing is
written to a table directly.

The past is simulated, not written: while a person's life is recorded the clock that
every service and every `auto_now` column read (`django.utils.timezone.now`) says the day
of the step, so that events, versions and audit entries carry the day they happened. The
e-mails and webhooks of those past transitions are not sent (their tasks go to a backend
that keeps them in memory): nobody should be told today about a simulated event of 2024.

Deterministic: each person's file and life are drawn from a generator seeded with
(seed, index), so the same seed gives the same activity. Idempotent: each file carries a
synthetic e-mail address `p<index>.s<seed>@demo-activity.invalid` (a reserved domain,
RFC 2606), and an index already recorded is skipped; a person's whole life is recorded in
the transaction of its batch, so an interrupted run leaves whole lives only.

Synthetic people only: names composed at random (`cli.people`), no real person.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import itertools
import random
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Annotated, Any
from unittest import mock

import typer

from passerelle.cli.common import console, django_setup, fail, progress_bar, today
from passerelle.cli.people import _synthetic_file
from passerelle.core.i18n import _

EMAIL_DOMAIN = "demo-activity.invalid"
"""The synthetic files' e-mail domain: reserved (RFC 2606), and the run's idempotency key."""
ACTOR_LABEL = "passerelle demo-activity"
YEARS = 3
"""The activity covers the three years up to today."""
BATCH = 50
"""Persons recorded per transaction (their files, consents, referrals, events, audit)."""
HOLDERS = (
    "cpas-anderlecht",
    "bapa-bxl",
    "bapa-via",
    "actiris",
    "convivial",
    "cire",
    "be-face",
)
"""Organisations that open files (weighted equally)."""
PROGRAMMES = (
    "duo-for-a-job-mentoring",
    "actiris-job-support",
    "convivial-socio-professional-guidance",
    "be-face-mentoring",
    "bapa-bxl-integration-pathway",
    "bapa-via-integration-pathway",
    "cire-diploma-recognition",
    "tandem-internship",
    "lire-et-ecrire-alpha-isp",
)
"""Programmes people are referred to (those of the knowledge base that are loaded)."""
SHARED_FIELDS = ["identity", "contact", "profile"]
FOLLOW_UP_CONSENT_SHARE = 0.7
"""Persons who agree to be asked about their situation 6 and 12 months later (the demo's
choice)."""
DUPLICATE_SHARE = 0.08
"""Share of persons who also have a file at a second organisation (what the linkage finds)."""
RECENT_SHARE = 0.1
BUSY = frozenset({"duo-for-a-job-mentoring", "actiris-job-support"})
MENTORING = "duo-for-a-job-mentoring"
"""The programme whose places are counted (so that some referrals wait)."""
HISTORY_TASKS = "demo-history"
"""The task backend of the simulated past: kept in memory, never run (see the module)."""


@dataclass
class ActivityReport:
    persons: int = 0
    skipped: int = 0
    files: int = 0
    referrals: int = 0
    states: Counter[str] = field(default_factory=Counter)
    rounds: int = 0
    encoded: int = 0
    linkage: str = ""
    seconds: float = 0.0


class SimulatedClock:
    """`django.utils.timezone.now` on a chosen day: 09:00 UTC plus one second per call, so
    that events of one day keep their order. Today's steps use the real clock."""

    def __init__(self, real_today: dt.date) -> None:
        self.real_today = real_today
        self.day = real_today
        self.ticks = itertools.count()
        self._real_now: Callable[[], dt.datetime] | None = None

    def set(self, day: dt.date) -> None:
        self.day = min(day, self.real_today)

    def now(self) -> dt.datetime:
        if self._real_now is None:
            raise RuntimeError("the simulated clock runs only inside `running()`")
        if self.day >= self.real_today:
            return self._real_now()
        start = dt.datetime.combine(self.day, dt.time(9, 0), tzinfo=dt.UTC)
        return start + dt.timedelta(seconds=next(self.ticks) % 28_800)

    @contextlib.contextmanager
    def running(self) -> Iterator[SimulatedClock]:
        from django.utils import timezone

        self._real_now = timezone.now
        with mock.patch.object(timezone, "now", self.now):
            yield self


@dataclass(frozen=True)
class Actors:
    """One caseworker actor per organisation that takes part (no user: the demo's label)."""

    by_slug: dict[str, Any]

    def of(self, organisation: Any) -> Any:
        return self.by_slug[organisation.slug]


def _actors(organisations: list[Any]) -> Actors:
    from passerelle.web.common.actors import Actor

    return Actors(
        {
            organisation.slug: Actor(
                organisation=organisation, role="caseworker", label=ACTOR_LABEL
            )
            for organisation in organisations
        }
    )


def _email(index: int, seed: int) -> str:
    return f"p{index}.s{seed}@{EMAIL_DOMAIN}"


def _recorded(seed: int) -> set[str]:
    from passerelle.web.apps.people.models import Person

    return set(
        Person.objects.filter(email__endswith=f".s{seed}@{EMAIL_DOMAIN}").values_list(
            "email", flat=True
        )
    )


def _referral_life(
    rng: random.Random,
    clock: SimulatedClock,
    day: dt.date,
    sender: Any,
    receiver: Any,
    referral: Any,
    report: ActivityReport,
) -> None:
    """Move one referral through the services, one dated step at a time, until its life
    ends or reaches today (recent referrals stay open: sent, accepted, in progress)."""
    from passerelle.web.apps.referrals.services import referral_transition

    def step(days: int, actor: Any, action: str, **extra: Any) -> bool:
        nonlocal day, referral
        day += dt.timedelta(days=days)
        if day > clock.real_today:
            return False
        clock.set(day)
        referral = referral_transition(actor=actor, referral_id=referral.pk, action=action, **extra)
        return True

    if rng.random() < 0.03:
        return  # left as a draft
    if not step(rng.randint(0, 3), sender, "send"):
        return
    draw = rng.random()
    if draw < 0.04:
        step(rng.randint(1, 10), sender, "withdraw")
        return
    if draw < 0.24:
        reason = rng.choice(["not_eligible", "no_capacity", "unreachable", "declined"])
        step(rng.randint(2, 20), receiver, "reject", reason=reason)
        return
    if not step(rng.randint(2, 20), receiver, "accept"):
        return
    if referral.state == "waitlisted":
        wait = rng.random()
        if wait < 0.3:
            step(rng.randint(10, 60), receiver, "reject", reason="no_capacity")
            return
        if wait < 0.6:
            step(rng.randint(60, 240), sender, "withdraw")  # waited too long
            return
        if not step(rng.randint(30, 180), receiver, "admit"):
            return
    if rng.random() < 0.12:
        step(rng.randint(5, 30), receiver, "no_show")
        return
    if not step(rng.randint(5, 60), receiver, "start"):
        return
    if rng.random() < 0.08:
        step(rng.randint(20, 120), sender, "withdraw")
        return
    outcome = rng.choices(
        ["job_found", "finished", "training_started", "dropped_out", "moved"],
        weights=[30, 35, 15, 15, 5],
    )[0]
    if step(rng.randint(30, 240), receiver, "complete", outcome=outcome):
        follow_ups_record(referral=referral, holder=sender, rng=rng, clock=clock)


# The situations a caseworker finds at a follow-up, and how often (synthetic: the shares are
# the demo's own choice, not figures of any programme).
FOLLOW_UP_SITUATIONS = {
    "employed": 40,
    "training": 12,
    "looking_for_work": 28,
    "not_looking": 5,
    "moved_away": 5,
    "unreachable": 10,
}
CONTRACT_TYPES = {
    "permanent": 25,
    "fixed_term": 30,
    "interim": 20,
    "article_60": 20,
    "self_employed": 5,
}


def follow_ups_record(
    *, referral: Any, holder: Any, rng: random.Random, clock: SimulatedClock
) -> None:
    """Record the person's situation at each follow-up checkpoint that the completion
    planned (only with the person's consent to follow-up) and whose day has come, through
    the follow-up service, on a day shortly after it is due."""
    from passerelle.web.apps.followups.models import FollowUp, FollowUpState
    from passerelle.web.apps.followups.services import follow_up_record

    due = FollowUp.objects.filter(referral=referral, state=FollowUpState.OPEN).order_by("due_on")
    for follow_up in due:
        day = follow_up.due_on + dt.timedelta(days=rng.randint(0, 30))
        if day > clock.real_today:
            return  # not yet due: it stays on the caseworker's due list
        clock.set(day)
        situation = rng.choices(list(FOLLOW_UP_SITUATIONS), list(FOLLOW_UP_SITUATIONS.values()))[0]
        employed = situation == "employed"
        follow_up_record(
            actor=holder,
            follow_up_id=follow_up.pk,
            situation=situation,
            contract_type=(
                rng.choices(list(CONTRACT_TYPES), list(CONTRACT_TYPES.values()))[0]
                if employed
                else ""
            ),
            hours_per_week=rng.choice([19, 24, 30, 38]) if employed else None,
            situation_on=day,
        )


def _refer(
    rng: random.Random,
    clock: SimulatedClock,
    person: Any,
    holder_actor: Any,
    programme: Any,
    receiver_actor: Any,
    day: dt.date,
    report: ActivityReport,
) -> None:
    from passerelle.web.apps.people.schemas import PersonDataError
    from passerelle.web.apps.people.services import consent_record
    from passerelle.web.apps.referrals.services import referral_create

    clock.set(day)
    own = programme.organisation_id == holder_actor.organisation.pk
    if not own:
        consent_record(
            actor=holder_actor,
            person_id=person.pk,
            purpose="referral",
            recipient=programme.organisation,
            fields=SHARED_FIELDS,
            given_on=day,
        )
    arguments: dict[str, Any] = {
        "actor": holder_actor,
        "person_id": person.pk,
        "programme": programme,
        "planned_start": day + dt.timedelta(days=rng.randint(7, 45)),
        "fields": [] if own else SHARED_FIELDS,
    }
    try:
        referral = referral_create(**arguments)
    except PersonDataError:
        # The rules say not eligible on the planned start: caseworkers sometimes refer all
        # the same, with a written reason (the receiver then often rejects).
        referral = referral_create(
            **arguments, ineligibility_reason="Synthetic demo: referred for an assessment."
        )
    _referral_life(rng, clock, day, holder_actor, receiver_actor, referral, report)
    report.referrals += 1


def _record_person(
    index: int,
    seed: int,
    clock: SimulatedClock,
    holders: list[Any],
    programmes: list[Any],
    actors: Actors,
    report: ActivityReport,
) -> None:
    from passerelle.web.apps.people.services import person_create

    rng = random.Random(f"demo-activity:{seed}:{index}")  # noqa: S311 (synthetic, not secret)
    first_day = clock.real_today - dt.timedelta(days=365 * YEARS)
    # One in ten files opened in the last quarter: today's open caseload (referrals waiting
    # for an answer, accepted, in progress), beside three years of closed ones.
    recent = rng.random() < RECENT_SHARE
    day = (
        clock.real_today - dt.timedelta(days=rng.randrange(90))
        if recent
        else first_day + dt.timedelta(days=rng.randrange(365 * YEARS))
    )
    clock.set(day)
    data = _synthetic_file(rng)
    data["email"] = _email(index, seed)
    holder = rng.choice(holders)
    actor = actors.of(holder)
    person = person_create(actor=actor, data=data)
    report.files += 1
    _consents(rng, actor, person, day)
    if rng.random() < DUPLICATE_SHARE:
        # The same person at a second organisation, with the phone written another way:
        # two files, one person, as the linkage should find.
        other = rng.choice([h for h in holders if h.pk != holder.pk] or holders)
        twin = {**data, "email": "", "phone": data["phone"].replace(" ", "")}
        clock.set(day + dt.timedelta(days=rng.randint(10, 200)))
        person_create(actor=actors.of(other), data=twin)
        report.files += 1
    for _number in range(rng.choices([0, 1, 2, 3], weights=[10, 50, 30, 10])[0]):
        candidates = [p for p in programmes if p.organisation_id != holder.pk]
        own = [p for p in programmes if p.organisation_id == holder.pk]
        pool = own if own and rng.random() < 0.3 else candidates
        # Mentoring and Actiris's job support are asked for most (the brief's "overwhelmed"
        # services): three times the others.
        weights = [3 if p.slug in BUSY else 1 for p in pool]
        programme = rng.choices(pool, weights=weights)[0]
        _refer(
            rng,
            clock,
            person,
            actor,
            programme,
            actors.of(programme.organisation),
            day,
            report,
        )
        day += dt.timedelta(days=rng.randint(30, 200))
        if day > clock.real_today:
            break
    report.persons += 1


def _consents(rng: random.Random, actor: Any, person: Any, day: dt.date) -> None:
    """The consents a person gives when the file is opened: to be asked about their
    situation later (follow-up), to be matched with mentors and offers."""
    from passerelle.web.apps.people.services import consent_record

    for purpose, share, fields in (
        ("follow_up", FOLLOW_UP_CONSENT_SHARE, ["contact"]),
        ("matching", 0.4, ["birth_date", "profile", "education", "experience"]),
    ):
        if rng.random() < share:
            consent_record(
                actor=actor, person_id=person.pk, purpose=purpose, fields=fields, given_on=day
            )


def _matching_rounds(programmes: list[Any], actors: Actors, on: dt.date) -> int:
    """One round today for each programme with free mentors, offers or vacancies (the
    demo's, `matching.demo`), unless the demo already ran one today."""
    from passerelle.web.apps.matching.models import MatchingRound
    from passerelle.web.apps.matching.schemas import MatchingDataError
    from passerelle.web.apps.matching.services import round_start

    made = 0
    for programme in programmes:
        done = MatchingRound.objects.filter(
            programme=programme, on=on, started_by_label=ACTOR_LABEL
        )
        if done.exists():
            continue
        # Rounds are a coordinator's work (`matching.access.may_run`).
        coordinator = dataclasses.replace(actors.of(programme.organisation), role="coordinator")
        try:
            round_start(actor=coordinator, programme=programme, on=on)
        except MatchingDataError:
            continue  # no slot or nobody waiting for this programme: no round
        made += 1
    return made


def _encodings_and_linkage(holders: list[Any], actors: Actors) -> tuple[int, str]:
    from django.db.models import Sum

    from passerelle.web.apps.beneficiaries import services as beneficiaries
    from passerelle.web.apps.beneficiaries.demo import DEMO_KEY
    from passerelle.web.apps.beneficiaries.models import EncodingBatch

    try:
        key = beneficiaries.sector_key()
    except beneficiaries.SectorKeyMissingError:
        key = DEMO_KEY  # the demo's public key, as `demo-data`'s encodings: synthetic only
    encoded = 0
    for holder in holders:
        batch = beneficiaries.encodings_from_person_files(actor=actors.of(holder), key=key)
        encoded += batch.records
    shared = EncodingBatch.objects.aggregate(records=Sum("records"))["records"] or 0
    if shared < beneficiaries.MIN_RECORDS:
        return encoded, _("not run (fewer than {least} encoded records)").format(
            least=beneficiaries.MIN_RECORDS
        )
    run = beneficiaries.run_execute(run_id=beneficiaries.run_start(actor_label=ACTOR_LABEL).pk)
    return encoded, _("{status}, {clusters} distinct people").format(
        status=run.status, clusters=run.clusters
    )


def _capacities(programmes: list[Any], persons: int, on: dt.date) -> None:
    """Places per calendar year for the mentoring programme, set by the organisation as on
    its capacity page (`referrals.capacity.capacity_set`): scarce enough that some
    referrals go to the waiting list, as they do in the sector (the brief: demand far
    exceeds supply)."""
    from passerelle.web.apps.referrals.capacity import capacity_set

    for programme in programmes:
        if programme.slug != MENTORING:
            continue
        for year in range(on.year - YEARS, on.year + 1):
            capacity_set(
                programme=programme,
                period_start=dt.date(year, 1, 1),
                period_end=dt.date(year, 12, 31),
                places=max(2, persons // 60),
                by=None,
            )


def demo_activity_record(
    *, persons: int, seed: int, on: dt.date, progress: Callable[[int], None] | None = None
) -> ActivityReport:
    """Record the activity of `persons` synthetic persons (see the module); returns what
    was made. Needs the knowledge base loaded (`passerelle load`)."""
    from django.db import transaction
    from django.test.utils import override_settings

    from passerelle.web.apps.directory.models import Organisation, Programme

    started = time.perf_counter()
    report = ActivityReport()
    holders = list(Organisation.objects.filter(slug__in=HOLDERS).order_by("slug"))
    programmes = list(
        Programme.objects.filter(slug__in=PROGRAMMES)
        .select_related("organisation")
        .order_by("slug")
    )
    if not holders or not programmes:
        raise LookupError("organisations: none of the demo's is loaded; run `passerelle load`")
    actors = _actors([*holders, *(p.organisation for p in programmes)])
    recorded = _recorded(seed)
    _capacities(programmes, persons, on)
    clock = SimulatedClock(on)
    tasks = override_settings(
        TASKS={
            **_tasks_setting(),
            HISTORY_TASKS: {"BACKEND": "django_tasks.backends.dummy.DummyBackend"},
        },
        PASSERELLE_TASK_BACKEND=HISTORY_TASKS,
    )
    with tasks, clock.running():
        for first in range(0, persons, BATCH):
            with transaction.atomic():
                for index in range(first, min(first + BATCH, persons)):
                    if _email(index, seed) in recorded:
                        report.skipped += 1
                        continue
                    _record_person(index, seed, clock, holders, programmes, actors, report)
            if progress is not None:
                progress(min(first + BATCH, persons))
    report.states = _states(seed)
    if report.persons:
        report.rounds = _matching_rounds(programmes, actors, on)
        report.encoded, report.linkage = _encodings_and_linkage(holders, actors)
    report.seconds = time.perf_counter() - started
    return report


def _tasks_setting() -> dict[str, Any]:
    from django.conf import settings

    return dict(settings.TASKS)


def _states(seed: int) -> Counter[str]:
    from passerelle.web.apps.referrals.models import Referral

    rows = Referral.objects.filter(person__email__endswith=f".s{seed}@{EMAIL_DOMAIN}")
    return Counter(rows.values_list("state", flat=True))


def demo_activity(
    persons: Annotated[
        int, typer.Option(help="Synthetic persons (files over three years).")
    ] = 5000,
    seed: Annotated[
        int, typer.Option(help="Random seed: the same seed, the same activity.")
    ] = 2026,
) -> None:
    """Record three years of synthetic activity through the services: person files,
    referrals through their whole life, matching rounds, linkage encodings (demo only;
    idempotent). Run `passerelle load` and `passerelle demo-data` first."""
    django_setup()
    from django.conf import settings

    if not settings.DEBUG:
        fail("demo-activity: only with development settings (DEBUG); never in production")
    if persons < 0 or persons > 100_000:
        fail("--persons: from 0 to 100000")
    with progress_bar(counts=True) as bar:
        task = bar.add_task(_("Synthetic activity"), total=persons)
        try:
            report = demo_activity_record(
                persons=persons,
                seed=seed,
                on=today(),
                progress=lambda done: bar.update(task, completed=done),
            )
        except LookupError as error:
            fail(str(error))
    console.print(
        _(
            "Synthetic activity: {persons} person(s) recorded ({skipped} already there), "
            "{files} file(s), {referrals} referral(s), {rounds} matching round(s), "
            "{encoded} encoded record(s), linkage {linkage}; {seconds:.0f} s."
        ).format(
            persons=report.persons,
            skipped=report.skipped,
            files=report.files,
            referrals=report.referrals,
            rounds=report.rounds,
            encoded=report.encoded,
            linkage=report.linkage or "-",
            seconds=report.seconds,
        )
    )
    states = ", ".join(f"{state} {count}" for state, count in sorted(report.states.items()))
    console.print(_("Referrals by state: {states}").format(states=states or "-"))
