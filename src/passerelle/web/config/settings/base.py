"""Settings shared by every environment."""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from csp.constants import NONCE, NONE, SELF
from django.utils.translation import gettext_lazy as _

WEB_DIR = Path(__file__).resolve().parents[2]
PROJECT_DIR = WEB_DIR.parents[2]
VAR_DIR = Path(os.environ.get("PASSERELLE_VAR_DIR", PROJECT_DIR / "var"))

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
DEBUG = False
ALLOWED_HOSTS: list[str] = [
    host for host in os.environ.get("DJANGO_ALLOWED_HOSTS", "").split(",") if host
]

INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.admin",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "csp",
    "passerelle.web.apps.directory",
    "passerelle.web.apps.accounts",
    "passerelle.web.apps.audit",
    "passerelle.web.apps.people",
    "passerelle.web.apps.scenarios",
    "passerelle.web.apps.referrals",
    "passerelle.web.apps.monitoring",
    "passerelle.web.apps.beneficiaries",
    "passerelle.web.apps.matching",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "passerelle.web.middleware.EngineLanguageMiddleware",
    "passerelle.web.middleware.RequestLimitsMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "passerelle.web.middleware.RateLimitMiddleware",
]

ROOT_URLCONF = "passerelle.web.config.urls"
WSGI_APPLICATION = "passerelle.web.config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [WEB_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "passerelle.web.apps.accounts.context.staff_links",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'passerelle.sqlite3'}"),
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The demo and small installations on SQLite serve several requests at once: with the
    # defaults a second writer fails at once with "database is locked". WAL lets readers
    # go on while one writes; IMMEDIATE takes the write lock when a transaction begins
    # (so a transaction never has to upgrade a read lock and fail half-way); the timeout
    # makes a writer wait for the lock instead of failing (docs/security.md, section 11).
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": int(os.environ.get("PASSERELLE_SQLITE_TIMEOUT", "20")),
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
        **DATABASES["default"].get("OPTIONS", {}),
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LANGUAGE_CODE = "fr"
LANGUAGES = [
    ("fr", _("French")),
    ("nl", _("Dutch")),
    ("en", _("English")),
    ("ar", _("Arabic")),
]
LANGUAGES_BIDI = ["ar"]
LOCALE_PATHS = [WEB_DIR.parent / "locale"]  # shared with the engines (core/i18n.py)
USE_I18N = True
# Day-first date input and Latin digits in every language (web/formats/, docs/accessibility.md).
FORMAT_MODULE_PATH = ["passerelle.web.formats"]
USE_TZ = True
TIME_ZONE = "Europe/Brussels"
LANGUAGE_COOKIE_NAME = "passerelle_language"
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600

STATIC_URL = "/static/"
STATICFILES_DIRS = [WEB_DIR / "static"]
STATIC_ROOT = VAR_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# On disk under var/, so that every worker process of one server shares it.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": os.environ.get("PASSERELLE_CACHE_DIR", str(VAR_DIR / "cache")),
        "OPTIONS": {"MAX_ENTRIES": 20000},
    },
}
# The rate limiter's counters: on disk beside the page cache, shared by the server's
# workers. Its increments are not atomic across processes (two requests at the same instant
# may count once), which bounds an attacker at about twice a limit, not more.
CACHES["ratelimit"] = {
    "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
    "LOCATION": os.environ.get("PASSERELLE_RATELIMIT_DIR", str(VAR_DIR / "ratelimit")),
    "OPTIONS": {"MAX_ENTRIES": 100000},
}
DIRECTORY_CACHE_SECONDS = int(os.environ.get("DIRECTORY_CACHE_SECONDS", "60"))
"""How long a directory page may show data older than the database (see views.directory).
Several servers need a shared cache (Redis, memcached) instead of one on disk."""

# Staff accounts (docs/people.md): Argon2 first; older hashes are upgraded at next login.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_FAILURES_BEFORE_LOCK = 5
LOGIN_LOCK_MINUTES = 15
OTP_TOTP_ISSUER = "passerelle"
PERSON_RETENTION_DAYS = int(os.environ.get("PASSERELLE_RETENTION_DAYS", str(5 * 365)))
"""Closed person files are anonymised this long after closing (`passerelle purge`)."""

REFERRAL_ANSWER_WORKING_DAYS = 5
"""A sent referral not answered within this many working days is shown as overdue."""
PASSERELLE_BASE_URL = os.environ.get("PASSERELLE_BASE_URL", "http://127.0.0.1:8000")
"""Where e-mails' links point."""
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "passerelle <noreply@localhost>")
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")

SESSION_COOKIE_AGE = 8 * 3600  # a working day
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Content-Security-Policy (django-csp; docs/security.md, section 8): scripts, styles, images
# and fonts from this server only, nothing inline but what carries the request's nonce
# (`{{ request.csp_nonce }}`, added to the header only on pages that use it), no plugins,
# no framing, forms posted to this server only.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

# Rate limits (django-ratelimit, per address, or per token on the token APIs): "N/s|m|h".
# Answered 429 with Retry-After (passerelle.web.middleware.RateLimitMiddleware).
RATE_LIMITS = {
    "login": os.environ.get("PASSERELLE_RATE_LOGIN", "20/m"),
    "options": os.environ.get("PASSERELLE_RATE_OPTIONS", "30/m"),
    "token_api": os.environ.get("PASSERELLE_RATE_TOKEN_API", "600/m"),
}
RATELIMIT_USE_CACHE = "ratelimit"
# Behind a reverse proxy, the header that carries the client's address (for example
# HTTP_X_REAL_IP, set by the proxy); REMOTE_ADDR otherwise.
RATELIMIT_IP_META_KEY = os.environ.get("PASSERELLE_CLIENT_IP_META_KEY") or None
RATELIMIT_IPV6_MASK = 64

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}

OUTBOUND_ALLOW_LOCAL = os.environ.get("PASSERELLE_OUTBOUND_ALLOW_LOCAL", "") in {"1", "true"}
"""Whether webhooks may use plain http:// and reach local or private addresses
(passerelle.web.outbound): development only; the production settings refuse it."""

# Unique beneficiaries (docs/linkage.md, "In the platform"): the sector key that encodes the
# person files of organisations using passerelle; a file of 64+ hex digits, never in the repo.
LINKAGE_SECTOR_KEY_FILE = os.environ.get("PASSERELLE_LINKAGE_KEY_FILE", "")
# A linkage model re-estimated from review decisions and accepted after its held-out check
# (`passerelle link-relearn --apply`); runs use it instead of training while it exists.
LINKAGE_MODEL_FILE = os.environ.get("PASSERELLE_LINKAGE_MODEL_FILE", "")

# Published counts (docs/indicators.md, "Differencing"): the secret behind the cell keys that
# perturb them; empty: derived from SECRET_KEY. Set it in production and never change it.
MONITORING_CELL_KEY_SECRET = os.environ.get("PASSERELLE_CELL_KEY_SECRET", "")
