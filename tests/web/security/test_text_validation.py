"""Names and free text refuse bidirectional controls, invisible characters (names) and C0/C1
controls; birth dates before 1900 or in the future are refused wherever one enters (issue
15, item 9). Before the fix, U+202E, zero-width characters and U+0085/U+009B were stored, and
`POST /api/options` took 1000-01-01."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from tests.support.accounts import logged_in
from tests.support.people import synthetic_file
from typer.testing import CliRunner

from passerelle.cli.main import app
from passerelle.core.indicators import IndicatorInputError, read_csv
from passerelle.web.apps.people.models import Person

pytestmark = pytest.mark.django_db

REFUSED_IN_NAMES = ["\u202e", "\u2067", "\u200b", "\u200d", "\u2060", "\ufeff", "\x85", "\x9b"]
REFUSED_IN_TEXT = ["\u202e", "\u202a", "\u2066", "\x85", "\x9b", "\x07"]
FUTURE = (dt.date.today() + dt.timedelta(days=1)).isoformat()


def _api(token_for: Callable[..., str], scopes: tuple[str, ...]) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token_for('a', scopes)}"}


def _errors(response: Any) -> dict[str, str]:
    return {".".join(item["loc"][1:]): item["msg"] for item in response.json()["detail"]}


@pytest.mark.parametrize("character", REFUSED_IN_NAMES)
@pytest.mark.parametrize("field", ["given_names", "family_name_latin"])
def test_the_person_api_refuses_names_with_controls_or_invisible_characters(
    character: str, field: str, token_for: Callable[..., str]
) -> None:
    data = synthetic_file(**{field: f"Ahmad{character}Karimi"})
    response = Client(HTTP_ACCEPT_LANGUAGE="en").post(
        "/api/v1/persons",
        json.dumps(data),
        content_type="application/json",
        **_api(token_for, ("persons:write",)),
    )
    assert response.status_code == 422, response.content[:300]
    message = _errors(response)[field]
    assert message.startswith(f"{field}: contains ")
    assert f"U+{ord(character):04X}" in message
    assert not Person.objects.exists()


def test_the_person_api_keeps_a_persian_non_joiner_in_free_text(
    token_for: Callable[..., str],
) -> None:
    wishes = "می\u200cخواهم آشپز شوم"
    data = synthetic_file(given="فاطمة")
    data["assessment"]["wishes"] = wishes
    response = Client().post(
        "/api/v1/persons",
        json.dumps(data),
        content_type="application/json",
        **_api(token_for, ("persons:write",)),
    )
    assert response.status_code == 201, response.content[:300]
    assert Person.objects.get().assessment["wishes"] == wishes


@pytest.mark.parametrize("character", REFUSED_IN_TEXT)
def test_the_person_api_refuses_controls_in_free_text(
    character: str, token_for: Callable[..., str]
) -> None:
    data = synthetic_file()
    data["assessment"]["notes"] = f"met on{character}Monday"
    response = Client(HTTP_ACCEPT_LANGUAGE="en").post(
        "/api/v1/persons",
        json.dumps(data),
        content_type="application/json",
        **_api(token_for, ("persons:write",)),
    )
    assert response.status_code == 422
    messages = [item["msg"] for item in response.json()["detail"]]
    assert len(messages) == 1
    assert messages[0].startswith("assessment.notes: contains a ")
    assert f"U+{ord(character):04X}" in messages[0]
    assert not Person.objects.exists()


@pytest.mark.parametrize("birth_date", ["1000-01-01", "1899-12-31", FUTURE])
def test_the_person_api_refuses_implausible_birth_dates(
    birth_date: str, token_for: Callable[..., str]
) -> None:
    response = Client(HTTP_ACCEPT_LANGUAGE="en").post(
        "/api/v1/persons",
        json.dumps(synthetic_file(birth_date=birth_date)),
        content_type="application/json",
        **_api(token_for, ("persons:write",)),
    )
    assert response.status_code == 422
    assert _errors(response)["birth_date"] == (
        f"birth_date: {birth_date} is not a plausible birth date; allowed: 1900-01-01 to "
        f"{dt.date.today().isoformat()}"
    )


@pytest.mark.parametrize("birth_date", ["1000-01-01", "1899-12-31", FUTURE])
def test_the_finder_api_refuses_implausible_birth_dates(birth_date: str) -> None:
    response = Client(HTTP_ACCEPT_LANGUAGE="en").post(
        "/api/options",
        json.dumps({"profile": {"birth_date": birth_date}, "on": "2024-01-01"}),
        content_type="application/json",
    )
    assert response.status_code == 422
    assert "profile.birth_date" in _errors(response)
    assert "not a plausible birth date" in _errors(response)["profile.birth_date"]


def test_the_finder_page_refuses_a_birth_date_before_1900(loaded_directory: Any) -> None:
    client = Client()
    client.cookies["passerelle_language"] = "en"
    html = client.post("/what-can-i-do/", {"birth_date": "1000-01-01"}).content.decode()
    match = re.search(r'id="id_birth_date-error"[^>]*>([^<]*)<', html)
    assert match, html[:2000]
    assert "1000-01-01 is not a plausible birth date" in match.group(1)
    assert 'id="result"' not in html


def test_the_person_form_names_the_field_at_fault(make_user: Callable[..., User]) -> None:
    client = logged_in(make_user("cw", "caseworker", "a"))
    form = {
        "given_names": "Amanuel\u202e",
        "family_name": "Tes\u200bfaye",
        "given_names_latin": "Amanuel",
        "birth_date": "1899-05-01",
        "language": "fr",
    }
    response = client.post("/staff/persons/new/", form, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "U+202E" in " ".join(errors["given_names"])
    assert "U+200B" in " ".join(errors["family_name"])
    assert "not a plausible birth date" in " ".join(errors["birth_date"])
    assert not Person.objects.exists()


def test_the_mentor_api_refuses_a_name_with_a_zero_width_joiner(
    token_for: Callable[..., str],
) -> None:
    response = Client(HTTP_ACCEPT_LANGUAGE="en").post(
        "/api/v1/matching/mentors",
        json.dumps({"label": "M.\u200dK.", "age": 66}),
        content_type="application/json",
        **_api(token_for, ("matching:write",)),
    )
    assert response.status_code == 422
    assert "U+200D" in json.dumps(response.json())


def test_the_cli_refuses_a_profile_born_before_1900(tmp_path: Path) -> None:
    path = tmp_path / "profile.json"
    path.write_text('{"birth_date": "1000-01-01"}', encoding="utf-8")
    result = CliRunner().invoke(app, ["options", str(path), "--on", "2019-01-01"])
    assert result.exit_code == 2
    assert "birth_date: 1000-01-01 is not a plausible birth date" in " ".join(result.stderr.split())
    assert "Traceback" not in result.output


def test_the_cli_refuses_a_profile_nested_too_deep(tmp_path: Path) -> None:
    path = tmp_path / "profile.json"
    path.write_text("[" * 100_000, encoding="utf-8")
    result = CliRunner().invoke(app, ["options", str(path), "--on", "2019-01-01"])
    assert result.exit_code == 2
    assert "nested deeper than 32 levels" in " ".join(result.stderr.split())


def test_a_persons_csv_refuses_a_birth_date_before_1900(tmp_path: Path) -> None:
    path = tmp_path / "persons.csv"
    path.write_text(
        "person_id,birth_date,legal_status,arrival_date\n"
        "1,1990-01-01,refugee,2015-01-01\n"
        "2,1850-01-01,refugee,2015-01-01\n",
        encoding="utf-8",
    )
    with pytest.raises(IndicatorInputError) as error:
        read_csv(path, "persons")
    assert str(error.value).startswith(
        "persons.birth_date: row 2: 1850-01-01 is not a plausible birth date"
    )
