"""The demo on SQLite survives concurrent use (issue 15, item 11): WAL, a busy timeout and
IMMEDIATE transactions make concurrent referral writes wait for each other instead of
failing with "database is locked" (before: 69 of 80 writes failed, journal mode delete)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[3]


def test_concurrent_referral_writes_on_a_file_sqlite_database_all_succeed(
    tmp_path: Path,
) -> None:
    threads, rounds = 8, 6
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(PROJECT / "src"), str(PROJECT)]),
        "DJANGO_SETTINGS_MODULE": "passerelle.web.config.settings.test",
    }
    env.pop("DATABASE_URL", None)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.web.security.sqlite_writers",
            str(tmp_path / "demo.sqlite3"),
            str(threads),
            str(rounds),
        ],
        cwd=PROJECT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    outcome = json.loads(done.stdout.strip().splitlines()[-1])
    assert outcome["journal_mode"] == "wal"
    assert outcome["errors"] == {}
    assert outcome["succeeded"] == outcome["sent"] == threads * rounds


def test_the_sqlite_options_are_those_of_every_environment() -> None:
    from passerelle.web.config.settings import base

    if base.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":
        code = (
            "from passerelle.web.config.settings import base;"
            "print(base.DATABASES['default']['OPTIONS'])"
        )
        env = {**os.environ, "PYTHONPATH": str(PROJECT / "src")}
        env.pop("DATABASE_URL", None)
        printed = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
        ).stdout
    else:
        printed = str(base.DATABASES["default"]["OPTIONS"])
    assert "'transaction_mode': 'IMMEDIATE'" in printed
    assert "journal_mode=WAL" in printed
    assert "'timeout': 20" in printed
