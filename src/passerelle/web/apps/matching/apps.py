from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MatchingConfig(AppConfig):
    name = "passerelle.web.apps.matching"
    label = "matching"
    verbose_name = _("Matching")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from passerelle.web.apps.matching.services import proposals_forget_person
        from passerelle.web.apps.people.services import forget_on_erasure

        forget_on_erasure(proposals_forget_person, uid="matching-forget-person")
