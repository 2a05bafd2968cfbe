"""Concurrent referral writes on a file SQLite database (issue 15, item 11), run as its own
process by test_sqlite_concurrency.py so that it has its own settings and database file.

`python -m tests.web.security.sqlite_writers DB_FILE THREADS ROUNDS` migrates a new
database, makes two organisations, a programme, a consented synthetic person and one
caseworker per thread, then each thread creates and sends ROUNDS referrals at the same
time as the others. Prints JSON: how many succeeded, the errors by kind, the journal mode.
"""

from __future__ import annotations

import collections
import datetime as dt
import json
import os
import sys
import threading


def main(path: str, threads: int, rounds: int) -> dict[str, object]:
    os.environ["DATABASE_URL"] = f"sqlite:///{path}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "passerelle.web.config.settings.test")
    import django

    django.setup()
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.db import connection, connections
    from tests.support.accounts import actor_of
    from tests.support.people import synthetic_file
    from tests.support.referrals import PLANNED, make_programme

    from passerelle.web.apps.accounts.models import Membership
    from passerelle.web.apps.directory.models import Organisation, stable_uuid
    from passerelle.web.apps.people.services import consent_record, person_create
    from passerelle.web.apps.referrals.services import referral_create, referral_transition

    call_command("migrate", verbosity=0)
    organisations = {}
    for key, slug in (("a", "cpas-anderlecht"), ("b", "duo-for-a-job")):
        organisations[key] = Organisation.objects.create(
            slug=slug,
            uuid=stable_uuid("organisation", slug),
            origin="knowledge",
            in_knowledge=True,
            names={"fr": slug, "nl": slug, "en": slug},
            kind="ngo",
        )
    mentoring = make_programme(organisations["b"], "duo-for-a-job-mentoring")
    users = []
    for n in range(threads):
        user = User.objects.create_user(username=f"cw_{n}", password="synthetic-only-pw-123")
        Membership.objects.create(user=user, organisation=organisations["a"], role="caseworker")
        users.append(user)
    data = synthetic_file(given="Amanuel", birth_date="2002-03-14")
    person = person_create(actor=actor_of(users[0]), data=data)
    consent_record(
        actor=actor_of(users[0]),
        person_id=person.pk,
        purpose="referral",
        recipient=organisations["b"],
        fields=["identity", "contact", "profile"],
        given_on=dt.date(2026, 11, 20),
    )
    journal_mode = connection.cursor().execute("PRAGMA journal_mode").fetchone()[0]
    connections.close_all()

    barrier = threading.Barrier(threads)
    errors: collections.Counter[str] = collections.Counter()
    done: list[int] = []
    lock = threading.Lock()

    def write(user: User) -> None:
        try:
            barrier.wait(timeout=30)
            for _round in range(rounds):
                try:
                    actor = actor_of(user)
                    referral = referral_create(
                        actor=actor,
                        person_id=person.pk,
                        programme=mentoring,
                        planned_start=PLANNED,
                        fields=["identity", "contact", "profile"],
                    )
                    referral_transition(actor=actor, referral_id=referral.pk, action="send")
                    with lock:
                        done.append(1)
                except Exception as error:  # every failure is counted by its kind
                    kind = "database is locked" if "locked" in str(error) else repr(error)
                    with lock:
                        errors[kind] += 1
        finally:
            connections.close_all()

    workers = [threading.Thread(target=write, args=(user,)) for user in users]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=300)
    from passerelle.web.apps.referrals.models import Referral

    return {
        "succeeded": len(done),
        "errors": dict(errors),
        "journal_mode": journal_mode,
        "sent": Referral.objects.filter(state="sent").count(),
    }


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))))
