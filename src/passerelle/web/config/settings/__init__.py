"""Settings by environment: base, dev (the default), test, production.

Choose with DJANGO_SETTINGS_MODULE=passerelle.web.config.settings.<name>; the database with
DATABASE_URL (SQLite under var/ by default, PostgreSQL in production and CI).
"""
