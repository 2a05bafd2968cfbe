"""Trigram indexes for the directory search on PostgreSQL.

The search is `search_text LIKE '%word%'`, which PostgreSQL answers from a GIN trigram index
instead of a scan of every row (benchmarks/web.py, docs/benchmarks.md). SQLite, the demo
database, has no such index and needs none at its size; the migration does nothing there.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations

TABLES = ("directory_programme", "directory_organisation")


class PostgresOnly(migrations.RunSQL):
    def database_forwards(self, app_label: str, schema_editor: Any, from_state: Any,
                          to_state: Any) -> None:
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label: str, schema_editor: Any, from_state: Any,
                           to_state: Any) -> None:
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


class Migration(migrations.Migration):
    dependencies = [("directory", "0001_initial")]

    operations = [
        PostgresOnly(
            sql=["CREATE EXTENSION IF NOT EXISTS pg_trgm"]
            + [
                f"CREATE INDEX IF NOT EXISTS {table}_search_trgm "
                f"ON {table} USING gin (search_text gin_trgm_ops)"
                for table in TABLES
            ],
            reverse_sql=[f"DROP INDEX IF EXISTS {table}_search_trgm" for table in TABLES],
        ),
    ]
