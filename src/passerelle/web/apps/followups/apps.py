from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _referral_completed(sender: Any, *, referral: Any, on: Any, **kwargs: Any) -> None:
    from passerelle.web.apps.followups.services import follow_ups_schedule

    follow_ups_schedule(referral=referral, ended_on=on)


def _export(access: Any) -> dict[str, Any]:
    from passerelle.web.apps.followups.services import follow_ups_export

    return follow_ups_export(access)


def _consent_withdrawn(sender: Any, *, consent: Any, actor: Any, **kwargs: Any) -> None:
    from passerelle.web.apps.followups.services import follow_ups_cancel_without_consent

    follow_ups_cancel_without_consent(person=consent.person, actor=actor, on=consent.withdrawn_on)


class FollowupsConfig(AppConfig):
    name = "passerelle.web.apps.followups"
    label = "followups"
    verbose_name = _("Follow-ups")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from passerelle.web.apps.followups.services import follow_ups_forget_person
        from passerelle.web.apps.people.services import (
            consent_withdrawn,
            forget_on_erasure,
            person_export_sections,
        )
        from passerelle.web.apps.referrals.services import referral_completed

        forget_on_erasure(follow_ups_forget_person, uid="followups-forget-person")
        referral_completed.connect(_referral_completed, dispatch_uid="followups-schedule")
        consent_withdrawn.connect(_consent_withdrawn, dispatch_uid="followups-cancel")
        person_export_sections["follow_up"] = _export
