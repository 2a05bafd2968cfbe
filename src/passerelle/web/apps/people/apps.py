from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PeopleConfig(AppConfig):
    name = "passerelle.web.apps.people"
    label = "people"
    verbose_name = _("Person files")
    default_auto_field = "django.db.models.BigAutoField"
