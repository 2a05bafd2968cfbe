from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BeneficiariesConfig(AppConfig):
    name = "passerelle.web.apps.beneficiaries"
    label = "beneficiaries"
    verbose_name = _("Unique beneficiaries")
