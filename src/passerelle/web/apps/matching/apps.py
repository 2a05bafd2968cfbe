from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _forget_person(sender: Any, *, person: Any, **kwargs: Any) -> None:
    from passerelle.web.apps.matching.services import proposals_forget_person

    proposals_forget_person(person=person)


class MatchingConfig(AppConfig):
    name = "passerelle.web.apps.matching"
    label = "matching"
    verbose_name = _("Matching")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from passerelle.web.apps.people.services import person_erased

        person_erased.connect(_forget_person, dispatch_uid="matching-forget-person")
