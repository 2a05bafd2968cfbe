from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _forget_person(sender: Any, *, person: Any, **kwargs: Any) -> None:
    from passerelle.web.apps.referrals.services import referrals_forget_person

    referrals_forget_person(person=person)


class ReferralsConfig(AppConfig):
    name = "passerelle.web.apps.referrals"
    label = "referrals"
    verbose_name = _("Referrals")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from passerelle.web.apps.people.services import person_erased

        person_erased.connect(_forget_person, dispatch_uid="referrals-forget-person")

        from passerelle.web.apps.accounts.integrations import integration_section_add
        from passerelle.web.apps.referrals.integrations import WEBHOOKS

        integration_section_add(WEBHOOKS)
