"""Two editors save the same version of a file at the same moment: exactly one wins, the
other is told, nothing is half-written. Real transactions on PostgreSQL, in two threads."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from django.db import connection
from tests.support.accounts import actor_of
from tests.support.concurrency import at_once
from tests.support.people import synthetic_file

from passerelle.web.apps.people.models import Person, PersonVersion
from passerelle.web.apps.people.services import ConcurrentEditError, person_create, person_update

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="row locks need PostgreSQL (CI runs it)"
    ),
]


def test_exactly_one_of_two_simultaneous_edits_wins(make_user: Callable[..., User]) -> None:
    caseworker = make_user("cw", "caseworker", "a")
    actor = actor_of(caseworker)
    person = person_create(actor=actor, data=synthetic_file())
    outcomes = at_once(
        {
            phone: lambda phone=phone: person_update(
                actor=actor,
                person_id=person.pk,
                data=synthetic_file(phone=phone),
                expected_version=1,
            )
            for phone in ("+32 1", "+32 2")
        },
        ConcurrentEditError,
    )
    winners = [phone for phone, o in outcomes.items() if not isinstance(o, Exception)]
    losers = [o for o in outcomes.values() if isinstance(o, ConcurrentEditError)]
    assert len(winners) == 1
    assert len(losers) == 1
    assert losers[0].current_version == 2
    stored = Person.objects.get(pk=person.pk)
    assert stored.version == 2
    assert stored.phone == winners[0]
    assert list(PersonVersion.objects.filter(person=stored).values_list("number", flat=True)) == [
        2,
        1,
    ]
