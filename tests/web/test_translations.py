"""Every interface string is translated into French, Dutch and Arabic, and every string of
the public pages into Ukrainian, Tigrinya, Dari and Pashto.

The messages are extracted afresh from the current sources (the engines in core/, the CLI and
the web layer: Python and templates) into a temporary directory, with Django's makemessages,
exactly as scripts/messages.sh does, without touching src/passerelle/locale. Each extracted
message must then have a complete, non-fuzzy translation in every catalogue, with the same
placeholders. See docs/i18n.md.
"""

from __future__ import annotations

import contextlib
import html
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import read_po
from django.core.management import call_command
from django.test import Client, override_settings

import passerelle
from passerelle.core import i18n

SOURCE_DIR = Path(passerelle.__file__).resolve().parent  # src/passerelle: scanned like the script
LOCALE_DIR = SOURCE_DIR / "locale"
PLURAL_FORMS = {"fr": 2, "nl": 2, "ar": 6}
LANGUAGES = tuple(PLURAL_FORMS)
PUBLIC_ONLY = {"uk": 3, "ti": 2, "fa_AF": 2, "ps": 2}
"""The public-only languages (catalogue directories), translated for the public pages only."""
ALL_PLURAL_FORMS = {**PLURAL_FORMS, **PUBLIC_ONLY}
PUBLIC_SOURCES = re.compile(
    r"^(web/templates/(base|400|403|403_csrf|404|429|500)\.html|web/templates/errors/"
    r"|web/apps/directory/(templates/directory/|forms\.py|labels\.py|criteria_text\.py"
    r"|situation\.py|views\.py|templatetags/)"
    r"|core/rules/|core/profile\.py|core/validation\.py|web/config/settings/base\.py"
    r"|web/middleware\.py|web/languages\.py)"
)
"""Where the messages of the public pages come from: the public templates, the directory
app (finder, directory, organisation and programme pages), the rights engine and the
profile checks the finder shows, the language names and the refusals of bad requests."""
IGNORED = ["tests", "*/tests/*", "migrations", "*/migrations/*", "static", "locale"]

# Without GNU gettext nothing can be extracted: a developer machine may skip, CI may not.
needs_gettext = pytest.mark.skipif(
    shutil.which("xgettext") is None and not os.environ.get("CI"),
    reason="GNU gettext (xgettext) is not installed; scripts/ensure-system.sh installs it",
)

_BRACE = re.compile(r"(?<!\{)\{(\w*)(?:[!:][^{}]*)?\}(?!\})")
_PERCENT = re.compile(r"%(?:\((\w+)\))?[-#0 +]*(?:\d+|\*)?(?:\.\d+)?[diouxXeEfFgGcrsa%]")


def _catalogue(language: str) -> Catalog:
    path = LOCALE_DIR / language / "LC_MESSAGES" / "django.po"
    assert path.is_file(), f"{path} is missing: run scripts/messages.sh"
    with path.open("rb") as po:
        return read_po(po, locale=language)


def _translation(catalogue: Catalog, message_id: str) -> str:
    entry = catalogue.get(message_id)
    assert entry is not None, f"{message_id!r} is not in the {catalogue.locale} catalogue"
    assert isinstance(entry.string, str)
    return entry.string


def _placeholders(text: str) -> set[str]:
    """The `{name}` and `%(name)s` placeholders of a message (`%s` counts as `%s`)."""
    found = {"{" + name + "}" for name in _BRACE.findall(text)}
    for match in _PERCENT.finditer(text):
        if match.group(0) == "%%":
            continue
        found.add(f"%({match.group(1)})" if match.group(1) else "%s")
    return found


def _ids(message: Message) -> tuple[str, ...]:
    return tuple(message.id) if isinstance(message.id, list | tuple) else (message.id,)


def _strings(message: Message) -> tuple[str, ...]:
    if isinstance(message.string, list | tuple):
        return tuple(text or "" for text in message.string)
    return (message.string or "",)


def _shown(message: Message) -> str:
    return " | ".join(_ids(message))


@pytest.fixture(scope="module")
def extracted(tmp_path_factory: pytest.TempPathFactory) -> list[Message]:
    """The messages of the current sources, extracted into a copy of src/passerelle."""
    if shutil.which("xgettext") is None:
        pytest.fail("GNU gettext (xgettext, msgmerge, msguniq) is needed to extract messages")
    copy = tmp_path_factory.mktemp("messages") / "passerelle"
    shutil.copytree(
        SOURCE_DIR,
        copy,
        ignore=shutil.ignore_patterns("locale", "static", "__pycache__", "*.pyc"),
    )
    locale = copy / "locale"
    locale.mkdir()
    with override_settings(LOCALE_PATHS=[str(locale)]), contextlib.chdir(copy):
        call_command(
            "makemessages",
            locale=["fr"],
            domain="django",
            extensions=["html", "txt", "py"],
            ignore_patterns=list(IGNORED),
            verbosity=0,
        )
    with (locale / "fr" / "LC_MESSAGES" / "django.po").open("rb") as po:
        messages = [message for message in read_po(po) if message.id]
    assert messages, "nothing was extracted"
    return messages


@needs_gettext
def test_the_engines_messages_are_extracted_with_their_placeholders(
    extracted: list[Message],
) -> None:
    by_id = {_ids(message)[0]: message for message in extracted}
    engine = [m for m in extracted if any(path.startswith("core/") for path, _ in m.locations)]
    assert engine, "no message of core/ was extracted: the engines' _() calls are missed"
    waiting = (
        "asylum seekers may not work during the first {waiting} months after the application "
        "({months} months since {application})"
    )
    assert waiting in by_id
    assert "python-brace-format" in by_id[waiting].flags
    web = [m for m in extracted if any(path.startswith("web/") for path, _ in m.locations)]
    assert any(path.endswith(".html") for m in web for path, _ in m.locations)


@needs_gettext
@pytest.mark.parametrize("language", LANGUAGES)
def test_every_interface_string_is_translated(extracted: list[Message], language: str) -> None:
    catalogue = _catalogue(language)
    problems = []
    for source in extracted:
        entry = catalogue.get(source.id, context=source.context)
        where = ", ".join(f"{path}:{line}" for path, line in source.locations[:2])
        if entry is None:
            problems.append(f"missing: {_shown(source)!r} ({where})")
            continue
        if entry.fuzzy:
            problems.append(f"fuzzy: {_shown(source)!r} ({where})")
        strings = _strings(entry)
        if entry.pluralizable and len(strings) != PLURAL_FORMS[language]:
            problems.append(
                f"{len(strings)} plural forms instead of {PLURAL_FORMS[language]}: "
                f"{_shown(source)!r}"
            )
        if not all(strings):
            problems.append(f"untranslated: {_shown(source)!r} ({where})")
    assert not problems, (
        f"{len(problems)} message(s) not translated in {language} "
        "(run scripts/messages.sh, translate, then make messages):\n" + "\n".join(problems)
    )


@needs_gettext
@pytest.mark.parametrize("language", PUBLIC_ONLY)
def test_every_public_string_is_translated_in_the_public_languages(
    extracted: list[Message], language: str
) -> None:
    catalogue = _catalogue(language)
    public = [
        message
        for message in extracted
        if any(PUBLIC_SOURCES.match(path) for path, _line in message.locations)
    ]
    assert len(public) > 300, "the public messages were not recognised"
    problems = []
    for source in public:
        entry = catalogue.get(source.id, context=source.context)
        if entry is None or entry.fuzzy or not all(_strings(entry)):
            problems.append(f"{_shown(source)!r} ({source.locations[0][0]})")
        elif entry.pluralizable and len(_strings(entry)) != PUBLIC_ONLY[language]:
            problems.append(f"plural forms: {_shown(source)!r}")
    assert not problems, (
        f"{len(problems)} public message(s) not translated in {language}:\n" + "\n".join(problems)
    )


@pytest.mark.parametrize("language", ALL_PLURAL_FORMS)
def test_the_catalogue_has_the_plural_forms_of_the_language(language: str) -> None:
    catalogue = _catalogue(language)
    assert catalogue.num_plurals == ALL_PLURAL_FORMS[language]
    assert not catalogue.fuzzy, "a fuzzy header makes pybabel skip the whole catalogue"


@pytest.mark.parametrize("language", ALL_PLURAL_FORMS)
def test_translations_keep_the_placeholders(language: str) -> None:
    problems = []
    for entry in _catalogue(language):
        if not entry.id:
            continue
        ids = _ids(entry)
        strings = _strings(entry)
        if not entry.pluralizable:
            if strings[0] and _placeholders(strings[0]) != _placeholders(ids[0]):
                problems.append(f"{ids[0]!r} -> {strings[0]!r}")
            continue
        # Plural forms: the general form keeps every placeholder of the plural msgid; a form
        # for one value only (Arabic zero, one, two) may leave the number out.
        allowed = _placeholders(ids[0]) | _placeholders(ids[1])
        for index, text in enumerate(strings):
            if not text:
                continue
            found = _placeholders(text)
            last = index == len(strings) - 1
            if (last and found != _placeholders(ids[1])) or not found <= allowed:
                problems.append(f"{ids[1]!r} [{index}] -> {text!r}")
    assert not problems, f"placeholders differ in {language}:\n" + "\n".join(problems)


@pytest.mark.skipif(
    shutil.which("msgfmt") is None and not os.environ.get("CI"),
    reason="GNU gettext (msgfmt) is not installed",
)
@pytest.mark.parametrize("language", ALL_PLURAL_FORMS)
def test_the_catalogue_passes_msgfmt_checks(language: str) -> None:
    po = LOCALE_DIR / language / "LC_MESSAGES" / "django.po"
    result = subprocess.run(
        ["msgfmt", "--check-format", "--check-domain", "-o", os.devnull, str(po)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def _title(language: str) -> str:
    client = Client()
    client.cookies["passerelle_language"] = language
    response = client.get("/")
    assert response.status_code == 200
    page = response.content.decode()
    assert f'<html lang="{language}"' in page
    found = re.search(r"<title>(.*?)</title>", page, re.DOTALL)
    assert found
    return html.unescape(found.group(1)).strip()


@contextlib.contextmanager
def _engine_language(language: str) -> Iterator[None]:
    with i18n.language_of(language):
        yield


@pytest.mark.django_db
@pytest.mark.parametrize("language", LANGUAGES)
def test_pages_render_in_the_language(language: str) -> None:
    mo = LOCALE_DIR / language / "LC_MESSAGES" / "django.mo"
    assert mo.is_file(), f"{mo} is missing: run `make messages`"
    english = _title("en")
    assert english == "Home · Work and newcomers in Brussels"
    catalogue = _catalogue(language)
    expected = " · ".join(
        _translation(catalogue, text) for text in ("Home", "Work and newcomers in Brussels")
    )
    title = _title(language)
    assert title != english
    assert title == expected, "the compiled catalogue is stale: run `make messages`"


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_engines_speak_the_language(language: str) -> None:
    message = "the legal status on this date is not known"
    with _engine_language(language):
        translated = i18n._(message)
    assert translated != message
    assert translated == _translation(_catalogue(language), message)
