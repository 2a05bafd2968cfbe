"""Production: every secret and host from the environment, HTTPS only, PostgreSQL."""

import os

from django.core.exceptions import ImproperlyConfigured

from passerelle.web.config.settings.base import *  # noqa: F403
from passerelle.web.config.settings.base import LOGGING, STORAGES

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if len(SECRET_KEY) < 50:
    raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set to a random string of 50+ characters")
DEBUG = False
if os.environ.get("PASSERELLE_OUTBOUND_ALLOW_LOCAL", "").strip() not in {"", "0", "false"}:
    raise ImproperlyConfigured(
        "PASSERELLE_OUTBOUND_ALLOW_LOCAL: webhooks to plain http:// or local addresses are "
        "for development only; unset it in production"
    )
OUTBOUND_ALLOW_LOCAL = False  # never, whatever a settings file before this one said
if os.environ.get("PASSERELLE_DEMONSTRATION", "").strip() not in {"", "0", "false"}:
    raise ImproperlyConfigured(
        "PASSERELLE_DEMONSTRATION: synthetic figures are for demonstrations only; unset it "
        "in production"
    )
PASSERELLE_DEMONSTRATION = False
# A settings file that imports this one and turns the demonstration on is refused at start
# by the system check monitoring.E001.
PASSERELLE_PRODUCTION = True
SECURE_SSL_REDIRECT = True
# Probes of a load balancer or process manager reach the process directly, over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SECURE_HSTS_SECONDS = 31536000
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
LANGUAGE_COOKIE_SECURE = True
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
LOG_FORMAT = os.environ.get("PASSERELLE_LOG_FORMAT", "json")
LOGGING["handlers"]["console"]["formatter"] = "json" if LOG_FORMAT == "json" else "text"
LOGGING["root"]["level"] = os.environ.get("PASSERELLE_LOG_LEVEL", "INFO")
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
