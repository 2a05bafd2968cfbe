"""The one place that keeps the figures' aggregates in step with the records: every save or
delete of a person file, a referral event (each transition writes one, after the referral's
own fields), a follow-up or a participation calls `aggregates.aggregates_record` with the
person file it belongs to, in the same transaction (it marks the person pending; the
applier takes the mark in later, before the next view at the latest). Writes that send no
signal (bulk inserts, raw SQL) must call it themselves or run `passerelle
aggregates-rebuild`."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save

from passerelle.web.apps.followups.models import FollowUp, Participation
from passerelle.web.apps.monitoring.aggregates import aggregates_record
from passerelle.web.apps.people.models import Person
from passerelle.web.apps.referrals.models import Referral, ReferralEvent

_EVENT_REFERRAL = ReferralEvent._meta.get_field("referral")


def _person_of(instance: Any) -> Any:
    if isinstance(instance, Person):
        return instance.pk
    if isinstance(instance, ReferralEvent):
        if _EVENT_REFERRAL.is_cached(instance):
            # A transition saves its event with the referral it has just locked: its person
            # is known, and reading it again cost a query on every change (issue 20).
            return instance.referral.person_id
        return (
            Referral.objects.filter(pk=instance.referral_id)
            .values_list("person_id", flat=True)
            .first()
        )
    return getattr(instance, "person_id", None)


def _changed(sender: Any, instance: Any, **_kwargs: Any) -> None:
    aggregates_record([_person_of(instance)])


def connect() -> None:
    for model in (Person, ReferralEvent, FollowUp, Participation, Referral):
        if model is not Referral:
            post_save.connect(_changed, sender=model, dispatch_uid=f"aggregates-{model.__name__}")
        post_delete.connect(
            _changed, sender=model, dispatch_uid=f"aggregates-delete-{model.__name__}"
        )
