"""The web server and the CLI without the heavy engines (the optional extras linkage,
simulation, evaluation, matching): in a separate process whose imports of those modules
fail, the server starts, the public pages answer 200, a linkage run is refused with a
message naming the extra to install, and the CLI says which extra a command needs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection
from tests.support.accounts import PASSWORD, logged_in

from passerelle.core.extras import EXTRAS
from passerelle.web.apps.accounts.models import PlatformRole, StaffProfile
from passerelle.web.apps.directory.models import Programme
from passerelle.web.apps.directory.services import LoadReport

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="the second process needs the test database on a server (CI runs PostgreSQL)",
    ),
]

SRC = Path(__file__).resolve().parents[2] / "src"
BLOCKED = sorted({module for modules in EXTRAS.values() for module in modules} | {"mesa"})

BLOCK = f"""
import importlib.abc, sys

class Absent(importlib.abc.MetaPathFinder):
    # As if the extras were not installed: every import of their modules fails.
    def find_spec(self, name, path, target=None):
        if name.split(".")[0] in {BLOCKED!r}:
            raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
        return None

sys.meta_path.insert(0, Absent())
"""

WEB = """
import json, os
os.environ["DJANGO_SETTINGS_MODULE"] = "passerelle.web.config.settings.test"
from passerelle.web.config.wsgi import application  # what gunicorn loads
from django.test import Client

slug = os.environ["PROGRAMME"]
anonymous = Client()
pages = {path: anonymous.get(path).status_code
         for path in ("/", "/directory/?q=emploi", f"/programmes/{slug}/", "/calendar/")}
analyst = Client()  # the session of an analyst who logged in with a second factor
analyst.cookies["sessionid"] = os.environ["SESSION"]
started = analyst.post("/analysis/beneficiaries/runs/", follow=True)
from passerelle.web.apps.beneficiaries.models import LinkageRun
print(json.dumps({
    "pages": pages,
    "runs_status": started.status_code,
    "runs_page": started.content.decode(),
    "runs_created": LinkageRun.objects.count(),
    "loaded": sorted(m for m in __import__("sys").modules if m.split(".")[0] in %r),
}))
"""


def _without_extras(code: str, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", BLOCK + code, *args],
        env={**os.environ, "PYTHONPATH": str(SRC), **env},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def _database_url() -> str:
    settings = connection.settings_dict
    password = f":{settings['PASSWORD']}" if settings["PASSWORD"] else ""
    host, port = settings["HOST"] or "127.0.0.1", settings["PORT"] or "5432"
    return f"postgres://{settings['USER']}{password}@{host}:{port}/{settings['NAME']}"


def test_the_server_serves_the_public_pages_and_names_a_missing_extra(
    loaded_directory: LoadReport, django_user_model: type[User]
) -> None:
    analyst = django_user_model.objects.create_user(username="analyst", password=PASSWORD)
    StaffProfile.objects.create(user=analyst, platform_role=PlatformRole.ANALYST)
    programme = Programme.objects.filter(in_knowledge=True).order_by("slug").first()
    assert programme is not None
    session = logged_in(analyst).cookies["sessionid"].value
    env = {"DATABASE_URL": _database_url(), "PROGRAMME": programme.slug, "SESSION": session}

    done = _without_extras(WEB % (BLOCKED,), env)
    assert done.returncode == 0, done.stderr[-3000:]
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    assert set(result["pages"].values()) == {200}, result["pages"]
    assert result["loaded"] == []  # none of the heavy modules was even attempted
    assert result["runs_status"] == 200
    assert "pip install &#x27;passerelle[linkage]&#x27;" in result["runs_page"]
    assert result["runs_created"] == 0  # refused before anything was written


def test_the_cli_names_the_extra_a_command_needs() -> None:
    done = _without_extras(
        "import sys; sys.argv = ['passerelle', 'evaluate']\n"
        "from passerelle.cli.main import run\nrun()",
        {},
    )
    assert done.returncode == 2
    assert "pip install 'passerelle[evaluation]'" in done.stderr
    assert "Traceback" not in done.stderr
