from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MonitoringConfig(AppConfig):
    name = "passerelle.web.apps.monitoring"
    label = "monitoring"
    verbose_name = _("Monitoring and evaluation")

    def ready(self) -> None:
        from passerelle.web.apps.monitoring import (
            checks,  # noqa: F401 (registers the check)
            signals,
        )

        signals.connect()
