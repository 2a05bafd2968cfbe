"""Two editors save the same version of a file at the same moment: exactly one wins, the
other is told, nothing is half-written. Real transactions on PostgreSQL, in two threads."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection, connections
from tests.web.people.conftest import actor_of, synthetic_file

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
    barrier = threading.Barrier(2)
    outcomes: list[Any] = []

    def edit(phone: str) -> None:
        try:
            barrier.wait(timeout=10)
            data = synthetic_file(phone=phone)
            person_update(actor=actor, person_id=person.pk, data=data, expected_version=1)
            outcomes.append(phone)
        except ConcurrentEditError as error:
            outcomes.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=edit, args=(p,)) for p in ("+32 1", "+32 2")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    winners = [o for o in outcomes if isinstance(o, str)]
    losers = [o for o in outcomes if isinstance(o, ConcurrentEditError)]
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
