"""How a transition reads and writes: through the ORM (issue 20), the referral's row locked
and nothing else, the event and the audit entry saved as any model is (signals sent)."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.db.models.signals import post_save
from django.test.utils import CaptureQueriesContext
from tests.support.referrals import Network, draft, move

from passerelle.web.apps.audit.models import AuditEntry
from passerelle.web.apps.referrals.models import Referral, ReferralEvent

pytestmark = pytest.mark.django_db


def test_a_transition_saves_its_event_and_audit_entry_as_models_are_saved(
    consented: Network,
) -> None:
    referral = draft(consented)
    saved: list[tuple[type[Any], bool]] = []

    def record(sender: type[Any], created: bool, **_: Any) -> None:
        saved.append((sender, created))

    entries_before = AuditEntry.objects.count()
    for model in (ReferralEvent, AuditEntry):
        post_save.connect(record, sender=model, weak=False)
    try:
        move(consented, "cw_a", referral, "send")
    finally:
        for model in (ReferralEvent, AuditEntry):
            post_save.disconnect(record, sender=model)
    assert saved.count((ReferralEvent, True)) == 1
    written = AuditEntry.objects.count() - entries_before
    assert written >= 1  # the transition's entry, and the disclosure's
    assert saved.count((AuditEntry, True)) == written
    event = ReferralEvent.objects.get(referral=referral, number=2)
    assert (event.from_state, event.to_state) == ("draft", "sent")


@pytest.mark.skipif(
    not connection.features.has_select_for_update_of, reason="row locks need PostgreSQL"
)
def test_a_transition_locks_the_referrals_row_only(consented: Network) -> None:
    referral = draft(consented)
    with CaptureQueriesContext(connection) as queries:
        move(consented, "cw_a", referral, "send")
    table = connection.ops.quote_name(Referral._meta.db_table)
    locking = [q["sql"] for q in queries if "FOR UPDATE" in q["sql"]]
    reads = [sql for sql in locking if sql.startswith("SELECT") and f"FROM {table}" in sql]
    assert len(reads) == 1
    assert reads[0].endswith(f"FOR UPDATE OF {table}")
    # Only the columns a transition needs of the linked organisations: their documents
    # (large JSON) stay unread.
    assert connection.ops.quote_name("names") in reads[0]
    assert connection.ops.quote_name("mandate") not in reads[0]
