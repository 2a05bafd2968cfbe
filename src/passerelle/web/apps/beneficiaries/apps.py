from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _forget_person(sender: Any, *, person: Any, **kwargs: Any) -> None:
    from passerelle.web.apps.beneficiaries.services import encodings_forget_person

    encodings_forget_person(person=person)


class BeneficiariesConfig(AppConfig):
    name = "passerelle.web.apps.beneficiaries"
    label = "beneficiaries"
    verbose_name = _("Unique beneficiaries")

    def ready(self) -> None:
        from passerelle.web.apps.people.services import person_erased

        person_erased.connect(_forget_person, dispatch_uid="beneficiaries-forget-person")
        # The dashboards (monitoring, a layer below) count unique persons through the
        # linkage: this app tells them which person files are one person.
        from passerelle.web.apps.beneficiaries import selectors
        from passerelle.web.apps.monitoring.selectors import PersonLinks, person_links_register

        person_links_register(
            PersonLinks(
                version=selectors.file_links_version,
                links=selectors.file_links,
                finished_on=selectors.file_links_finished_on,
            )
        )
