"""Django settings for `benchmarks/web.py`: production-like (no debug, persistent database
connections, whitenoise) but on plain HTTP at 127.0.0.1, so no HTTPS redirect and no
secret to provide. Never use them to serve anyone.

`benchmarks/web.py` passes one random DJANGO_SECRET_KEY to every gunicorn worker; run on
their own they draw one.
"""

import os
import secrets

from passerelle.web.config.settings.base import *  # noqa: F403
from passerelle.web.config.settings.base import DATABASES, VAR_DIR

DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1"]
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY") or secrets.token_urlsafe(50)
DATABASES["default"]["CONN_MAX_AGE"] = 60
DATABASES["default"]["CONN_HEALTH_CHECKS"] = False
# Static files straight from the apps through whitenoise, without collectstatic.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = False
(VAR_DIR / "static").mkdir(parents=True, exist_ok=True)
# The load comes from one address (and the referral benchmark's few tokens) at hundreds of
# requests a second: the per-address rate limits (docs/security.md, item 8) would answer
# 429 to nearly all of it, measuring the limiter instead of the platform.
RATELIMIT_ENABLE = False
