"""Settings shared by every environment."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import dj_database_url
from csp.constants import NONCE, NONE, SELF
from django.conf.locale import LANG_INFO
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
    "passerelle.web.apps.followups",
    "passerelle.web.apps.monitoring",
    "passerelle.web.apps.beneficiaries",
    "passerelle.web.apps.matching",
    "django_tasks",
    "django_tasks_db",
    "passerelle.web.apps.ops",
]

MIDDLEWARE = [
    "passerelle.web.apps.ops.logs.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # A kept public page for an anonymous GET, answered before the rest (docs/benchmarks.md).
    "passerelle.web.apps.directory.page_cache.PublicPageMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "passerelle.web.languages.StaffLanguageMiddleware",
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
    "passerelle.web.extras.ExtraMissingMiddleware",
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
                "passerelle.web.languages.reader_languages",
                "passerelle.web.apps.monitoring.context.demonstration",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'passerelle.sqlite3'}"),
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
        # A kept connection that the server closed (a PostgreSQL restart, a terminated
        # backend) is noticed before a request uses it and opened again: the web processes
        # recover without a restart of their own (tests/web/ops/test_faults.py).
        conn_health_checks=os.environ.get("DATABASE_CONN_HEALTH_CHECKS", "1") not in {"0", "no"},
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
# Staff pages speak the four languages of the platform; the public side (finder, directory,
# organisation and programme pages) also the languages many newcomers read. Dari is `fa-af`
# (Persian as written in Afghanistan): Django and Babel know `fa`/`fa_AF` (formats, plural
# rules, right-to-left), while neither knows the ISO 639-3 code `prs`.
STAFF_LANGUAGES = ("fr", "nl", "en", "ar")
PUBLIC_LANGUAGES = (*STAFF_LANGUAGES, "uk", "ti", "fa-af", "ps")
# Languages whose interface catalogue was machine-written and has not been reviewed by a
# fluent reader: their pages say so and link to the French original (docs/i18n.md).
UNREVIEWED_LANGUAGES = ("uk", "ti", "fa-af", "ps")
# A staff page asked for in a public-only language is shown in this one.
STAFF_FALLBACK_LANGUAGE = LANGUAGE_CODE
STAFF_PATH_PREFIXES = ("/staff/", "/analysis/", "/admin/")
LANGUAGES = [
    ("fr", _("French")),
    ("nl", _("Dutch")),
    ("en", _("English")),
    ("ar", _("Arabic")),
    ("uk", _("Ukrainian")),
    ("ti", _("Tigrinya")),
    ("fa-af", _("Dari")),
    ("ps", _("Pashto")),
]
# Django's get_language_bidi() looks at the part before the hyphen ("fa" for "fa-af").
LANGUAGES_BIDI = ["ar", "fa", "ps"]
# Names in the language switcher for the languages Django does not describe (or, for Dari,
# describes as Persian).
LANG_INFO.update(
    {
        "ti": {"bidi": False, "code": "ti", "name": "Tigrinya", "name_local": "ትግርኛ"},
        "fa-af": {"bidi": True, "code": "fa-af", "name": "Dari", "name_local": "دری"},
        "ps": {"bidi": True, "code": "ps", "name": "Pashto", "name_local": "پښتو"},
    }
)
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
        "BACKEND": "passerelle.web.filecache.SharedFileCache",
        "LOCATION": os.environ.get("PASSERELLE_CACHE_DIR", str(VAR_DIR / "cache")),
        # every public page in every public language (5 000 programmes: 40 000 pages)
        "OPTIONS": {"MAX_ENTRIES": 60000},
    },
}
# The rate limiter's counters: on disk beside the page cache, shared by the server's
# workers. Its increments are not atomic across processes (two requests at the same instant
# may count once), which bounds an attacker at about twice a limit, not more.
CACHES["ratelimit"] = {
    "BACKEND": "passerelle.web.filecache.SharedFileCache",
    "LOCATION": os.environ.get("PASSERELLE_RATELIMIT_DIR", str(VAR_DIR / "ratelimit")),
    "OPTIONS": {"MAX_ENTRIES": 100000},
}
DIRECTORY_CACHE_SECONDS = int(os.environ.get("DIRECTORY_CACHE_SECONDS", str(24 * 3600)))
"""How long a public page stays in the cache (directory/page_cache.py); 0: never kept. An
edit of the directory replaces it at once whatever this says. Several servers need a shared
cache (Redis, memcached) instead of one on disk, or an edit shows only on its own server."""
PUBLIC_PAGES_PRERENDER = os.environ.get("PUBLIC_PAGES_PRERENDER", "1") not in {"0", "false"}
"""Whether a knowledge-base load queues the rendering of every public page ahead (task
`directory.tasks.public_pages_render`, also scheduled each morning), so that a visitor's
first request is a cache hit."""
PUBLIC_PAGES_PRERENDER_LANGUAGES = tuple(
    os.environ.get("PUBLIC_PAGES_PRERENDER_LANGUAGES", ",".join(PUBLIC_LANGUAGES)).split(",")
)
"""The languages rendered ahead (all public languages by default); the others are
rendered at their first visit, as before."""

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
# Follow-up checkpoints: months after a participation ends (docs/follow-ups.md). A setting,
# not a knowledge-base field: when to ask is the platform's monitoring choice (funders ask
# for 6 and 12 months), not a fact about the programme that a source could give. A
# programme may differ by its slug: {"slug": [3, 6, 12]}.
FOLLOW_UP_MONTHS = (6, 12)
FOLLOW_UP_MONTHS_BY_PROGRAMME: dict[str, list[int]] = {}
"""A sent referral not answered within this many working days is shown as overdue."""
PASSERELLE_BASE_URL = os.environ.get("PASSERELLE_BASE_URL", "http://127.0.0.1:8000")
"""Where e-mails' links point."""
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "passerelle <noreply@localhost>")
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_FILE_PATH = os.environ.get("EMAIL_FILE_PATH", str(VAR_DIR / "mail"))
"""Where the file e-mail backend writes (EMAIL_BACKEND=django.core.mail.backends.filebased...)."""

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

# Logs (docs/operations.md, "Health and logs"): PASSERELLE_LOG_FORMAT=json writes one JSON
# object per line with the request id (production's default); "text" a readable line.
LOG_FORMAT = os.environ.get("PASSERELLE_LOG_FORMAT", "text")
LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "passerelle.web.apps.ops.logs.RequestIdFilter"}},
    "formatters": {
        "json": {"()": "passerelle.web.apps.ops.logs.JsonFormatter"},
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_id"],
            "formatter": "json" if LOG_FORMAT == "json" else "text",
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("PASSERELLE_LOG_LEVEL", "WARNING")},
    "loggers": {
        # The queue's own lines (a task queued again, a job enqueued) at INFO.
        "passerelle.web.apps.ops": {"level": "INFO"},
        "django_tasks_db": {"level": "INFO"},
    },
}

# Background work (docs/operations.md, "Background work"): django-tasks with its database
# backend; `passerelle worker` runs the tasks, `passerelle scheduler` enqueues the jobs below.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
PASSERELLE_TASK_BACKEND = os.environ.get("PASSERELLE_TASK_BACKEND", "default")
PASSERELLE_HEARTBEAT_SECONDS = float(os.environ.get("PASSERELLE_HEARTBEAT_SECONDS", "10"))
"""How often a worker or the scheduler writes its heartbeat."""
PASSERELLE_WORKER_LOST_SECONDS = float(os.environ.get("PASSERELLE_WORKER_LOST_SECONDS", "60"))
"""A running task whose worker has not beaten for this long is queued again."""
PASSERELLE_TASK_MAX_CLAIMS = 3
"""A task whose worker died this many times is failed (an administrator retries it)."""
PASSERELLE_READY_WORKER_SECONDS = 60
"""/readyz answers 503 when no worker has beaten within this many seconds."""

# Scheduled jobs: {"task": dotted path, "every": seconds} or {"task": ..., "daily_at":
# "HH:MM" in TIME_ZONE}. Each slot is enqueued once (passerelle.web.apps.ops.schedule).
PASSERELLE_SCHEDULES = {
    # Webhook deliveries whose backoff has passed (the first attempt is queued by the
    # transition itself): every minute, the smallest backoff.
    "webhook-retries": {
        "task": "passerelle.web.apps.referrals.tasks.webhooks_deliver_due",
        "every": 60,
    },
    # Sent referrals past their answer date: the receiver is told once per referral.
    "referrals-overdue": {
        "task": "passerelle.web.apps.referrals.tasks.referrals_flag_overdue",
        "every": 3600,
    },
    # Follow-up reminders: the checkpoints due today are announced (webhook follow_up.due)
    # and the organisations holding them get one e-mail each (docs/follow-ups.md).
    "follow-up-reminders": {
        "task": "passerelle.web.apps.followups.tasks.follow_ups_remind",
        "daily_at": "08:00",
    },
    # Retention purge: a dry-run report to the platform administrators unless
    # RETENTION_PURGE_ENABLED; at night, when nobody edits files.
    "retention-purge": {
        "task": "passerelle.web.apps.people.tasks.retention_purge",
        "daily_at": "02:30",
    },
    # The scenario comparisons, computed into their shared cache before analysts ask (only
    # those whose scenario, assumptions or sizes changed: a few minutes at night).
    "scenarios-precompute": {
        "task": "passerelle.web.apps.scenarios.tasks.scenarios_precompute",
        "daily_at": "04:00",
    },
    # The public pages of the new day rendered into the page cache (their key holds the
    # day), before the morning's visitors (docs/web.md, "Public page cache").
    "public-pages-render": {
        "task": "passerelle.web.apps.directory.page_cache.public_pages_render",
        "daily_at": "00:05",
    },
    # The figures' aggregates rebuilt for the new day (outcomes falling due, censoring):
    # until it has run, the analysts' pages compute their figures in full (docs/indicators.md).
    "aggregates-rebuild": {
        "task": "passerelle.web.apps.monitoring.tasks.aggregates_rebuild_task",
        "daily_at": "00:05",
    },
    # Revoked API tokens past API_TOKEN_REVOKED_KEEP_DAYS, and expired login sessions.
    "api-token-clean-up": {
        "task": "passerelle.web.apps.accounts.tasks.tokens_clean_up",
        "daily_at": "03:00",
    },
}
RETENTION_PURGE_ENABLED = os.environ.get("RETENTION_PURGE_ENABLED", "") in {"1", "true"}
"""Whether the scheduled retention purge anonymises (else it reports what it would do)."""
API_TOKEN_REVOKED_KEEP_DAYS = 90
"""A revoked API token is deleted this many days after its revocation."""

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
# Small-cell suppression, a privacy rule (docs/indicators.md, "Funder report and
# suppression"): a published row with any count from 1 to MONITORING_THRESHOLD - 1 is
# withheld, on the dashboards, the funder reports and the unique-beneficiary counts alike.
# Raise it, never lower it.
MONITORING_THRESHOLD = 5
# A demonstration (docs/monitoring.md): the analysis pages and exports show the synthetic
# cohort instead of the platform's records, with a banner on every page and a note in every
# export. Development and `make demo` only: the production settings refuse it.
PASSERELLE_DEMONSTRATION = False
# In a demonstration: the platform's records (the synthetic activity of `passerelle
# demo-activity`) instead of the synthetic cohort (docs/indicators.md, "Demonstration").
MONITORING_DEMONSTRATION_RECORDS = False
PASSERELLE_PRODUCTION = False
# The demonstration's synthetic population (docs/indicators.md): its size, its seed and the
# bootstrap draws behind the confidence intervals.
MONITORING_SYNTHETIC_PERSONS = 20_000
MONITORING_SYNTHETIC_SEED = 2026
MONITORING_BOOTSTRAP = 200
# The dashboards and funder reports read the aggregates kept by each change once they are
# built for the day (docs/indicators.md, "Aggregates kept by each change"); off: every view
# computes from all records (the benchmark's baseline, and the equality tests' oracle).
MONITORING_AGGREGATES = True

# Scenario analysis (docs/simulation.md): simulated persons and replications per scenario,
# the seed, the months simulated (None: the assumptions' whole period, 2010-01 to 2023-12)
# and where results are cached (None: VAR_DIR / "scenarios").
SCENARIO_PERSONS = 20_000
SCENARIO_REPLICATIONS = 5
SCENARIO_SEED = 0
SCENARIO_MONTHS: int | None = None
SCENARIO_CACHE_DIR: str | None = None

# Unique beneficiaries: run a linkage in the request instead of a background worker (tests).
LINKAGE_RUN_INLINE = False
