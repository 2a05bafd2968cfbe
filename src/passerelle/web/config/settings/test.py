"""The test suite: PostgreSQL when DATABASE_URL says so (CI), SQLite otherwise."""

from passerelle.web.config.settings.base import *  # noqa: F403
from passerelle.web.config.settings.base import VAR_DIR

DEBUG = False
SECRET_KEY = "test-only-key"
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Static files straight from the apps, without collectstatic.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
(VAR_DIR / "static").mkdir(parents=True, exist_ok=True)

# Tests change the directory and read it back at once: no cached pages.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"},
    # The rate limiter needs a real cache; its tests turn it on (RATELIMIT_ENABLE) and
    # clear it, so that other tests may repeat requests freely.
    "ratelimit": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
}
RATELIMIT_ENABLE = False
LINKAGE_RUN_INLINE = True  # linkage runs in the request, not in a thread
# No worker in most tests: a task runs at once, when its transaction commits. The fault
# tests (tests/web/ops) switch PASSERELLE_TASK_BACKEND to "database" and start workers.
TASKS = {
    "default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"},
    "database": {"BACKEND": "django_tasks_db.DatabaseBackend"},
}
