"""Local development and `make demo`: SQLite under var/, debug pages."""

from passerelle.web.config.settings.base import *  # noqa: F403
from passerelle.web.config.settings.base import SECRET_KEY, VAR_DIR

DEBUG = True
SECRET_KEY = SECRET_KEY or "dev-only-insecure-key-never-use-in-production"
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
# Static files straight from the apps, without collectstatic.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
(VAR_DIR / "static").mkdir(parents=True, exist_ok=True)
DIRECTORY_CACHE_SECONDS = 0  # development: every change shows at once
EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"  # make demo: e-mails printed
# make demo: a receiving system on this machine (http://127.0.0.1:...) may get webhooks.
OUTBOUND_ALLOW_LOCAL = True
# A demonstration: the analysis pages show synthetic figures, and say so everywhere: those
# of the activity that `make demo` records through the services (`passerelle demo-activity`).
PASSERELLE_DEMONSTRATION = True
MONITORING_DEMONSTRATION_RECORDS = True
