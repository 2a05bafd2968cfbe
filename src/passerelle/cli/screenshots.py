"""A screenshot review: every page each role can reach, in French and Arabic, on a desktop
and on a phone.

    python -m passerelle.cli.screenshots OUTDIR        (`make screenshots`: var/screenshots)

Starts the site on a free local port with a temporary SQLite database under var/ (migrated,
knowledge loaded, the demo's synthetic data and one account per role), drives Debian's
Chromium with Playwright, finds each role's pages as the accessibility audit of every page
does (passerelle.cli.site_pages: the parameterless routes and the pages their links lead
to), and writes full-page PNGs OUTDIR/<role>/<route>-<language>-<width>.png (fr and ar,
1280 and 390 px wide) with OUTDIR/index.html showing them side by side. Prints a line per
page and a summary (docs/screenshots.md).
"""

from __future__ import annotations

import argparse
import html
import logging
import os
import re
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from socketserver import ThreadingMixIn
from typing import TYPE_CHECKING, Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from playwright.sync_api import Browser, Page, Response, sync_playwright

from passerelle.web.screenshots import CHROMIUM, launch_chromium

if TYPE_CHECKING:
    from django.contrib.auth.models import User

LANGUAGES = ("fr", "ar")
WIDTHS = (1280, 390)
PHONE_HEIGHT, DESKTOP_HEIGHT = 844, 800
LANGUAGE_COOKIE = "passerelle_language"
PROJECT_DIR = Path(__file__).resolve().parents[3]


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


@contextmanager
def running_site(
    var_dir: Path, *, demo: bool = True
) -> Iterator[tuple[str, dict[str, User | None]]]:
    """The site on a free port of 127.0.0.1 with a fresh SQLite database under `var_dir`
    (and, with `demo`, the demo's data); yields its base URL and one account per role (the
    visitor's is None). The database is deleted afterwards."""
    var_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=var_dir, prefix="screenshots-db-") as db_dir:
        os.environ["DATABASE_URL"] = f"sqlite:///{Path(db_dir) / 'passerelle.sqlite3'}"
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "passerelle.web.config.settings.dev")
        # Logging in reads the accounts from Playwright's thread, whose event loop makes Django
        # refuse synchronous queries (as in tests/browser/conftest.py).
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
        import django

        django.setup()
        from django.contrib.staticfiles.handlers import StaticFilesHandler
        from django.core.management import call_command
        from django.core.wsgi import get_wsgi_application
        from django.db import connections

        from passerelle.knowledge.loader import load_knowledge
        from passerelle.web.apps.directory.services import knowledge_load

        # Failed requests are reported per page from the browser's side (a 403 page is a
        # page some roles are meant to see); the server's log lines would drown the progress.
        logging.disable(logging.ERROR)
        call_command("migrate", verbosity=0, interactive=False)
        knowledge_load(knowledge=load_knowledge())
        from passerelle.cli.site_pages import demo_accounts

        accounts: dict[str, User | None] = demo_accounts() if demo else {"visitor": None}
        connections.close_all()

        application = StaticFilesHandler(get_wsgi_application())
        server = make_server(
            "127.0.0.1", 0, application, server_class=_ThreadingServer, handler_class=_QuietHandler
        )
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_port}", accounts
        finally:
            server.shutdown()
            server.server_close()
            connections.close_all()


@dataclass
class Shot:
    role: str
    route: str
    path: str
    files: dict[tuple[str, int], Path] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def _failures_into(failed: list[str]) -> Callable[[Response], None]:
    def on_response(response: Response) -> None:
        if response.status >= 400:
            failed.append(f"{response.status} {response.url}")

    return on_response


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def take_screenshots(
    browser: Browser,
    base_url: str,
    outdir: Path,
    accounts: dict[str, User | None],
    *,
    languages: Sequence[str] = LANGUAGES,
    widths: Sequence[int] = WIDTHS,
    limit: int | None = None,
    every_role: bool = False,
) -> list[Shot]:
    """Each role's reachable pages in each language and width, as full-page PNGs under
    `outdir/<role>/`; one progress line per page. A route is shot once, as the first role
    that reaches it (visitor, caseworker, coordinator...), unless `every_role`; at most
    `limit` pages per role."""
    from django.conf import settings
    from django.urls import get_resolver

    from passerelle.cli.site_pages import log_in, reachable, routes

    all_routes = routes(get_resolver())
    shots: list[Shot] = []
    for role, user in accounts.items():
        context = browser.new_context(
            base_url=base_url, viewport={"width": widths[0], "height": DESKTOP_HEIGHT}
        )
        context.set_default_timeout(30_000)
        context.add_cookies([{"name": LANGUAGE_COOKIE, "value": languages[0], "url": base_url}])
        page = context.new_page()
        failed: list[str] = []
        page.on("response", _failures_into(failed))
        if user is not None:
            log_in(page, user)
        done = set() if every_role else {shot.route for shot in shots}
        pages = list(reachable(page, all_routes, skip=done, limit=limit).items())
        for number, (route, path) in enumerate(pages, start=1):
            shot = Shot(role, route, path)
            for language in languages:
                if path.startswith(settings.STAFF_PATH_PREFIXES) and (
                    language not in settings.STAFF_LANGUAGES
                ):
                    continue  # staff pages exist in the staff languages only
                context.add_cookies([{"name": LANGUAGE_COOKIE, "value": language, "url": base_url}])
                for width in widths:
                    _shoot(page, shot, language, width, outdir, failed)
            shots.append(shot)
            sizes = sum(f.stat().st_size for f in shot.files.values()) // 1024
            note = f"  ({'; '.join(shot.problems)})" if shot.problems else ""
            print(
                f"{role} [{number}/{len(pages)}] {path}: {len(shot.files)} PNG, {sizes} KB{note}",
                flush=True,
            )
        context.close()
    return shots


def _shoot(
    page: Page, shot: Shot, language: str, width: int, outdir: Path, failed: list[str]
) -> None:
    """`shot`'s page in `language` at `width` as a full-page PNG, with what went wrong:
    failed requests, another language, a page wider than the screen."""
    height = PHONE_HEIGHT if width < 600 else DESKTOP_HEIGHT
    page.set_viewport_size({"width": width, "height": height})
    failed.clear()
    page.goto(shot.path)
    page.wait_for_load_state("load")
    lang = page.locator("html").get_attribute("lang")
    if lang != language:
        shot.problems.append(f"{language} {width}: the page is in {lang!r}")
    shot.problems += [f"{language} {width}: {item}" for item in failed]
    wide = page.evaluate("() => document.documentElement.scrollWidth")
    if wide > width:
        shot.problems.append(f"{language} {width}: {wide} px wide, wider than the screen")
    file = outdir / _slug(shot.role) / f"{_slug(shot.route)}-{language}-{width}.png"
    file.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(file), full_page=True)
    shot.files[(language, width)] = file


def write_index(shots: Sequence[Shot], outdir: Path) -> Path:
    """OUTDIR/index.html: per role, a row per page with its screenshots side by side."""
    parts = [
        "<!doctype html><html lang='en'><meta charset='utf-8'>",
        "<title>passerelle: screenshots</title>",
        "<style>body{font-family:sans-serif;margin:1em}img{border:1px solid #ccc;"
        "vertical-align:top;margin:0 .5em .5em 0;max-height:480px}td{vertical-align:top}"
        ".problem{color:#a00}</style>",
        f"<h1>passerelle: {len(shots)} pages</h1>",
    ]
    for role in dict.fromkeys(shot.role for shot in shots):
        parts.append(f"<h2>{html.escape(role)}</h2><table>")
        for shot in (s for s in shots if s.role == role):
            images = "".join(
                f"<a href='{html.escape(file.relative_to(outdir).as_posix())}'>"
                f"<img loading='lazy' alt='{html.escape(f'{shot.path} {language} {width} px')}'"
                f" width='{min(width, 320) if width < 600 else 480}'"
                f" src='{html.escape(file.relative_to(outdir).as_posix())}'></a>"
                for (language, width), file in shot.files.items()
            )
            problems = "".join(
                f"<div class='problem'>{html.escape(problem)}</div>" for problem in shot.problems
            )
            parts.append(
                f"<tr><td><code>{html.escape(shot.path)}</code><br>{html.escape(shot.route)}"
                f"{problems}</td><td>{images}</td></tr>"
            )
        parts.append("</table>")
    index = outdir / "index.html"
    index.write_text("\n".join(parts) + "\n", encoding="utf-8")
    return index


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m passerelle.cli.screenshots",
        description="Screenshots of every page each role reaches, in fr and ar, at 1280 and "
        "390 px, with an index page.",
    )
    parser.add_argument("outdir", type=Path, help="directory for the PNG files and index.html")
    parser.add_argument(
        "--roles", help="comma-separated roles (default: all: visitor, caseworker, ...)"
    )
    parser.add_argument("--limit", type=int, help="at most this many pages per role")
    parser.add_argument(
        "--every-role",
        action="store_true",
        help="every page of every role (default: each route once, as the first role reaching it)",
    )
    args = parser.parse_args(argv)
    if not Path(CHROMIUM).exists():
        print(f"Chromium not found at {CHROMIUM} (make system installs it)", file=sys.stderr)
        return 1
    wanted = [role.strip() for role in args.roles.split(",")] if args.roles else None
    var_dir = Path(os.environ.get("PASSERELLE_VAR_DIR", PROJECT_DIR / "var"))
    started = time.monotonic()
    demo = wanted is None or wanted != ["visitor"]
    with running_site(var_dir, demo=demo) as (base_url, accounts), sync_playwright() as playwright:
        if wanted is not None:
            unknown = sorted(set(wanted) - set(accounts))
            if unknown:
                print(
                    f"--roles: unknown {', '.join(unknown)}; allowed: {', '.join(accounts)}",
                    file=sys.stderr,
                )
                return 2
            accounts = {role: accounts[role] for role in wanted}
        browser = launch_chromium(playwright)
        try:
            shots = take_screenshots(
                browser,
                base_url,
                args.outdir,
                accounts,
                limit=args.limit,
                every_role=args.every_role,
            )
        finally:
            browser.close()
    index = write_index(shots, args.outdir)
    files = sum(len(shot.files) for shot in shots)
    troubled = [shot for shot in shots if shot.problems]
    print(
        f"{len(shots)} pages of {len(accounts)} roles, {files} PNG files, "
        f"{len({shot.route for shot in shots})} routes, {len(troubled)} with problems, "
        f"{time.monotonic() - started:.0f} s; index: {index}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
