"""Bring rows written before issue 15 in line with today's rules (data only, no schema).

1. Files erased or purged before erasure reached the other apps: their referrals lose the
   note, reasons, rejection text and the rules' reasons; their disclosures' override
   reasons are blanked; their matching proposals lose explanation, terms and problem; the
   encodings made from them on the platform are deleted with their review decisions (as
   `people.services.person_erased` does now).
2. Referrals whose stored eligibility was computed from the whole file although the
   birth-date group was not shared with the receiver: recomputed from the shared groups,
   so that no age and no date derived from one stays readable by the receiver.

Historical models only, except the rules engine's answer (`referrals.eligibility`), which
reads plain attributes of the person and programme rows. On a new database there is no
row and nothing runs.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import migrations

ANONYMISED = "—"


def forget_erased(apps: Any, schema_editor: Any) -> None:
    Person = apps.get_model("people", "Person")
    Disclosure = apps.get_model("people", "Disclosure")
    Referral = apps.get_model("referrals", "Referral")
    Proposal = apps.get_model("matching", "Proposal")
    EncodedRecord = apps.get_model("beneficiaries", "EncodedRecord")
    EncodingBatch = apps.get_model("beneficiaries", "EncodingBatch")
    ReviewDecision = apps.get_model("beneficiaries", "ReviewDecision")
    erased = Person.objects.filter(status="anonymised")
    for referral in Referral.objects.filter(person__in=erased):
        status = (referral.eligibility or {}).get("status", "unknown")
        referral.eligibility = {"status": status, "reasons": [], "from": None, "missing": []}
        referral.note = referral.ineligibility_reason = referral.rejection_text = ""
        referral.save(
            update_fields=["eligibility", "note", "ineligibility_reason", "rejection_text"]
        )
    Disclosure.objects.filter(person__in=erased).exclude(override_reason="").update(
        override_reason=ANONYMISED
    )
    Proposal.objects.filter(person__in=erased).update(
        explanation=[], terms={}, problem="", fit=None, probability=None
    )
    for person_id, organisation_id in erased.values_list("pk", "organisation_id"):
        records = EncodedRecord.objects.filter(
            organisation_id=organisation_id, record_id=str(person_id)
        )
        for record in records:
            batch = EncodingBatch.objects.get(pk=record.batch_id)
            batch.records = max(batch.records - 1, 0)
            batch.participations = max(batch.participations - record.participations.count(), 0)
            batch.save(update_fields=["records", "participations"])
        records.delete()
        ReviewDecision.objects.filter(
            organisation_a_id=organisation_id, record_id_a=str(person_id)
        ).delete()
        ReviewDecision.objects.filter(
            organisation_b_id=organisation_id, record_id_b=str(person_id)
        ).delete()


def rescope_eligibility(apps: Any, schema_editor: Any) -> None:
    from passerelle.web.apps.referrals.eligibility import eligibility_on

    Referral = apps.get_model("referrals", "Referral")
    referrals = (
        Referral.objects.select_related("person", "programme")
        .exclude(person__status="anonymised")
        .exclude(eligibility={})
    )
    for referral in referrals.iterator():
        if referral.sender_id == referral.receiver_id or "birth_date" in (referral.fields or []):
            continue
        shared = frozenset(referral.fields or [])
        on = referral.planned_start or dt.date.today()
        referral.eligibility = eligibility_on(referral.person, referral.programme, on, shared)
        referral.save(update_fields=["eligibility"])


class Migration(migrations.Migration):
    dependencies = [
        ("referrals", "0001_initial"),
        ("people", "0001_initial"),
        ("matching", "0002_alter_proposal_explanation"),
        ("beneficiaries", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(forget_erased, migrations.RunPython.noop),
        migrations.RunPython(rescope_eligibility, migrations.RunPython.noop),
    ]
