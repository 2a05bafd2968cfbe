from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReferralsConfig(AppConfig):
    name = "passerelle.web.apps.referrals"
    label = "referrals"
    verbose_name = _("Referrals")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from passerelle.web.apps.accounts.integrations import integration_section_add
        from passerelle.web.apps.people.services import forget_on_erasure
        from passerelle.web.apps.referrals.integrations import WEBHOOKS
        from passerelle.web.apps.referrals.services import referrals_forget_person

        forget_on_erasure(referrals_forget_person, uid="referrals-forget-person")
        integration_section_add(WEBHOOKS)
