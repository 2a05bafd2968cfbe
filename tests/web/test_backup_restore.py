"""scripts/backup.sh and scripts/restore.sh, proven: a database populated through the
platform's services is backed up, restored into an empty database, and every row of every
table (the audit log with it) reads back identical, table by table, in primary-key order.
PostgreSQL only (pg_dump); synthetic people only."""

from __future__ import annotations

import datetime as dt
import os
import secrets
import stat
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import psycopg
import pytest
from django.contrib.auth.models import User
from django.db import connection
from django_otp.plugins.otp_totp.models import TOTPDevice
from psycopg import sql
from tests.support.accounts import actor_of
from tests.support.people import synthetic_file
from tests.support.referrals import make_programme

from passerelle.knowledge.loader import load_knowledge
from passerelle.web.apps.accounts.services import api_token_issue
from passerelle.web.apps.audit.models import AuditEntry
from passerelle.web.apps.directory.models import Organisation
from passerelle.web.apps.directory.services import knowledge_load
from passerelle.web.apps.people.services import consent_record, person_create, person_update
from passerelle.web.apps.referrals.services import referral_create, referral_transition

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="pg_dump needs PostgreSQL (CI runs it)"
    ),
]

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"


def _url(database: str) -> str:
    """A postgres:// URL to `database` on the test server, for the scripts' DATABASE_URL."""
    settings = connection.settings_dict
    user = quote(settings["USER"] or "", safe="")
    password = f":{quote(settings['PASSWORD'], safe='')}" if settings["PASSWORD"] else ""
    host = settings["HOST"] or "127.0.0.1"
    port = f":{settings['PORT']}" if settings["PORT"] else ""
    return f"postgres://{user}{password}@{host}{port}/{database}"


@pytest.fixture
def empty_database() -> Iterator[str]:
    """A new, empty database with a name of its own; dropped at the end (only this one)."""
    name = f"passerelle_restore_{secrets.token_hex(6)}"
    with psycopg.connect(_url("postgres"), autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield name
    finally:
        with psycopg.connect(_url("postgres"), autocommit=True) as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def _run(script: str, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(SCRIPTS / script), *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _populate(organisations: dict[str, Organisation], make_user: Callable[..., User]) -> None:
    """A little of everything, written as the platform writes it: the knowledge base, staff,
    a second factor, an API token, person files with versions and consent, and a referral
    taken through its states (each step audited)."""
    knowledge_load(knowledge=load_knowledge())
    sender, receiver = make_user("cw_a", "caseworker", "a"), make_user("cw_b", "caseworker", "b")
    coordinator = make_user("co_a", "coordinator", "a")
    TOTPDevice.objects.create(user=coordinator, name="phone", key="3132" * 10, confirmed=True)
    api_token_issue(organisation=organisations["a"], name="CRM", scopes=["persons:read"])
    mentoring = make_programme(organisations["b"], "duo-for-a-job-mentoring-backup")
    data = synthetic_file(given="Amanuel", birth_date="2002-03-14")
    person = person_create(actor=actor_of(sender), data=data)
    person_update(
        actor=actor_of(sender),
        person_id=person.pk,
        data=synthetic_file(given="Amanuel", birth_date="2002-03-14", phone="+32 2 000 00 00"),
        expected_version=1,
    )
    for given in ("Selam", "Yonas", "Hewan"):
        person_create(actor=actor_of(sender), data=synthetic_file(given=given))
    consent_record(
        actor=actor_of(sender),
        person_id=person.pk,
        purpose="referral",
        recipient=organisations["b"],
        fields=["identity", "contact", "profile"],
        given_on=dt.date(2026, 11, 20),
    )
    referral = referral_create(
        actor=actor_of(sender),
        person_id=person.pk,
        programme=mentoring,
        planned_start=dt.date(2026, 12, 1),
        fields=["identity", "contact", "profile"],
        note="Synthetic: wants to work in construction.",
        ineligibility_reason="Synthetic test file.",
    )
    referral_transition(actor=actor_of(sender), referral_id=referral.pk, action="send")
    referral_transition(actor=actor_of(receiver), referral_id=referral.pk, action="accept")


def _tables(cursor: psycopg.Cursor[Any]) -> list[str]:
    cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")
    return [row[0] for row in cursor.fetchall()]


def _ordered_rows(cursor: psycopg.Cursor[Any], table: str) -> list[tuple[Any, ...]]:
    """Every row, ordered by the primary key (by the whole row as text for a table without)."""
    cursor.execute(
        """SELECT a.attname FROM pg_index i
           JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
           WHERE i.indrelid = %s::regclass AND i.indisprimary ORDER BY a.attnum""",
        (table,),
    )
    key = [sql.Identifier(row[0]) for row in cursor.fetchall()]
    order = sql.SQL(", ").join(key) if key else sql.SQL("{}::text").format(sql.Identifier(table))
    cursor.execute(sql.SQL("SELECT * FROM {} ORDER BY {}").format(sql.Identifier(table), order))
    return cursor.fetchall()


def _sequences(cursor: psycopg.Cursor[Any]) -> dict[str, Any]:
    """Where each sequence stands: a restored database must not hand out a used id again."""
    cursor.execute("SELECT sequencename, last_value FROM pg_sequences ORDER BY 1")
    return dict(cursor.fetchall())


def _snapshot(database: str) -> dict[str, Any]:
    with psycopg.connect(_url(database)) as db, db.cursor() as cursor:
        tables = {table: _ordered_rows(cursor, table) for table in _tables(cursor)}
        return {"tables": tables, "sequences": _sequences(cursor)}


def test_a_backup_restores_every_row_and_every_audit_entry(
    organisations: dict[str, Organisation],
    make_user: Callable[..., User],
    empty_database: str,
    tmp_path: Path,
) -> None:
    _populate(organisations, make_user)
    assert AuditEntry.objects.count() >= 6  # the population is not trivial
    source = connection.settings_dict["NAME"]
    sector_key = tmp_path / "live" / "sector.key"
    sector_key.parent.mkdir()
    sector_key.write_text(secrets.token_hex(32) + "\n")
    backup = tmp_path / "backup"

    made = _run(
        "backup.sh",
        {"DATABASE_URL": _url(source), "PASSERELLE_LINKAGE_KEY_FILE": str(sector_key),
         "PASSERELLE_CELL_KEY_SECRET": "synthetic-cell-secret",
         "PASSERELLE_VAR_DIR": str(tmp_path / "var")},
        str(backup),
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    assert stat.S_IMODE((backup / "database.dump").stat().st_mode) == 0o600
    assert (
        "PASSERELLE_CELL_KEY_SECRET=synthetic-cell-secret"
        in (backup / "keys" / "secrets.env").read_text()
    )

    restored_key = tmp_path / "restored" / "sector.key"
    restored = _run(
        "restore.sh",
        {"DATABASE_URL": _url(empty_database), "PASSERELLE_LINKAGE_KEY_FILE": str(restored_key),
         "PASSERELLE_VAR_DIR": str(tmp_path / "var-restored")},
        str(backup),
    )  # fmt: skip
    assert restored.returncode == 0, restored.stderr

    before, after = _snapshot(source), _snapshot(empty_database)
    assert sorted(after["tables"]) == sorted(before["tables"])
    for table, rows in before["tables"].items():
        assert after["tables"][table] == rows, f"table {table} differs after the restore"
    assert after["sequences"] == before["sequences"]
    filled = {table for table, rows in before["tables"].items() if rows}
    assert {"audit_auditentry", "people_person", "referrals_referral"} <= filled
    assert len(before["tables"]["audit_auditentry"]) == AuditEntry.objects.count()
    assert restored_key.read_bytes() == sector_key.read_bytes()
    assert stat.S_IMODE(restored_key.stat().st_mode) == 0o600

    # The restored audit log is as append-only as the original (its trigger came along).
    with psycopg.connect(_url(empty_database)) as db, pytest.raises(psycopg.Error):
        db.execute("UPDATE audit_auditentry SET action = action")

    # Restoring twice into the same database is refused, and leaves it as it was.
    again = _run("restore.sh", {"DATABASE_URL": _url(empty_database)}, str(backup))
    assert again.returncode != 0
    assert "empty database" in again.stderr
    assert _snapshot(empty_database) == after


def test_a_damaged_backup_is_refused_before_anything_is_restored(
    organisations: dict[str, Organisation], empty_database: str, tmp_path: Path
) -> None:
    backup = tmp_path / "backup"
    made = _run("backup.sh", {"DATABASE_URL": _url(connection.settings_dict["NAME"])}, str(backup))
    assert made.returncode == 0, made.stderr
    dump = backup / "database.dump"
    damaged = bytearray(dump.read_bytes())
    damaged[len(damaged) // 2] ^= 0xFF
    dump.write_bytes(bytes(damaged))

    refused = _run("restore.sh", {"DATABASE_URL": _url(empty_database)}, str(backup))
    assert refused.returncode != 0
    assert "does not match SHA256SUMS" in refused.stderr
    with psycopg.connect(_url(empty_database)) as db, db.cursor() as cursor:
        assert _tables(cursor) == []


def test_a_backup_never_overwrites_another_and_keeps_the_newest(
    organisations: dict[str, Organisation], tmp_path: Path
) -> None:
    env = {
        "DATABASE_URL": _url(connection.settings_dict["NAME"]),
        "PASSERELLE_BACKUP_DIR": str(tmp_path),
        "PASSERELLE_BACKUP_KEEP": "2",
    }
    old_stamps = ("2000-01-01T000000Z", "2000-01-02T000000Z", "2000-01-03T000000Z")
    for stamp in old_stamps:
        old = tmp_path / stamp
        old.mkdir()
        (old / "SHA256SUMS").write_text("")
        (old / "database.dump").write_text("")
    (tmp_path / "notes").mkdir()  # not a backup: never removed
    made = _run("backup.sh", env)
    assert made.returncode == 0, made.stderr
    left = {p.name for p in tmp_path.iterdir()}
    (new,) = left - {*old_stamps, "notes"}
    assert left == {"2000-01-03T000000Z", new, "notes"}
    assert (tmp_path / new / "database.dump").stat().st_size > 0
    again = _run("backup.sh", env, str(tmp_path / new))
    assert again.returncode != 0
    assert "never overwrites" in again.stderr
