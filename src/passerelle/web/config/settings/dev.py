"""Local development and `make demo`: SQLite under var/, debug pages."""

from passerelle.web.config.settings.base import *  # noqa: F403
from passerelle.web.config.settings.base import SECRET_KEY, VAR_DIR

DEBUG = True
SECRET_KEY = SECRET_KEY or "dev-only-insecure-key-never-use-in-production"
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
VAR_DIR.mkdir(parents=True, exist_ok=True)
