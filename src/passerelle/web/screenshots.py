"""Screenshots of the public site in French and Arabic, on a desktop and on a phone.

    python -m passerelle.web.screenshots OUTDIR        (`make screenshots`: var/screenshots)

Starts the site on a free local port with a temporary SQLite database under var/ (migrated,
knowledge loaded), drives Debian's Chromium with Playwright, and writes full-page PNGs named
OUTDIR/<page>-<language>-<width>.png for the home page, a programme page and a finder result
(an asylum seeker on 2018-06-01), in fr and ar, 1280 and 360 px wide. Prints each file.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from playwright.sync_api import Browser, Page, Playwright, Response, sync_playwright

CHROMIUM = os.environ.get("PASSERELLE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    # Without these Chromium calls hosts outside the closed network.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LANGUAGES = ("fr", "ar")
WIDTHS = (1280, 360)
LANGUAGE_COOKIE = "passerelle_language"
PROGRAMME = "tandem-internship"
ASYLUM_SEEKER = {
    "legal_status": "asylum_seeker",
    "asylum_application_date": "2018-01-12",
    "on": "2018-06-01",
}
PROJECT_DIR = Path(__file__).resolve().parents[3]


def launch_chromium(playwright: Playwright) -> Browser:
    """Debian's Chromium, headless, kept inside the closed network. Playwright's own
    browser download is not used."""
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)


def _open_home(page: Page) -> None:
    page.goto("/")


def _open_programme(page: Page) -> None:
    page.goto(f"/programmes/{PROGRAMME}/")


def _open_finder_result(page: Page) -> None:
    page.goto("/what-can-i-do/")
    form = page.locator("form.finder")
    form.locator("#id_legal_status").select_option(ASYLUM_SEEKER["legal_status"])
    form.locator("#id_asylum_application_date").fill(ASYLUM_SEEKER["asylum_application_date"])
    form.locator("#id_on").fill(ASYLUM_SEEKER["on"])
    form.locator("button[type=submit]").click()
    page.locator("#result").wait_for()
    page.wait_for_load_state("load")


PAGES: dict[str, Callable[[Page], None]] = {
    "home": _open_home,
    "programme": _open_programme,
    "finder-result": _open_finder_result,
}


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


@contextmanager
def running_site(var_dir: Path) -> Iterator[str]:
    """The site on a free port of 127.0.0.1 with a fresh SQLite database under `var_dir`;
    yields its base URL. The database is deleted afterwards."""
    var_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=var_dir, prefix="screenshots-db-") as db_dir:
        os.environ["DATABASE_URL"] = f"sqlite:///{Path(db_dir) / 'passerelle.sqlite3'}"
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "passerelle.web.config.settings.dev")
        import django

        django.setup()
        from django.contrib.staticfiles.handlers import StaticFilesHandler
        from django.core.management import call_command
        from django.core.wsgi import get_wsgi_application
        from django.db import connections

        from passerelle.knowledge.loader import load_knowledge
        from passerelle.web.apps.directory.services import knowledge_load

        # Playwright reports failed requests itself; Django's "Not Found" lines are noise here.
        logging.getLogger("django.request").setLevel(logging.ERROR)
        call_command("migrate", verbosity=0, interactive=False)
        knowledge_load(knowledge=load_knowledge())
        connections.close_all()

        application = StaticFilesHandler(get_wsgi_application())
        server = make_server(
            "127.0.0.1", 0, application, server_class=_ThreadingServer, handler_class=_QuietHandler
        )
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_port}"
        finally:
            server.shutdown()
            server.server_close()
            connections.close_all()


def take_screenshots(browser: Browser, base_url: str, outdir: Path) -> list[Path]:
    outdir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for language in LANGUAGES:
        for width in WIDTHS:
            context = browser.new_context(
                base_url=base_url,
                viewport={"width": width, "height": 800},
                is_mobile=width < 600,
                has_touch=width < 600,
            )
            context.set_default_timeout(15_000)
            context.add_cookies([{"name": LANGUAGE_COOKIE, "value": language, "url": base_url}])
            page = context.new_page()
            failed: list[str] = []

            def on_response(response: Response, failed: list[str] = failed) -> None:
                if response.status >= 400:
                    failed.append(f"{response.status} {response.url}")

            page.on("response", on_response)
            for name, open_page in PAGES.items():
                open_page(page)
                if failed:
                    context.close()
                    raise RuntimeError(f"{name} ({language}): failed requests: {failed}")
                lang = page.locator("html").get_attribute("lang")
                if lang != language:
                    raise RuntimeError(f"{name}: the page is in {lang!r}, not {language!r}")
                path = outdir / f"{name}-{language}-{width}.png"
                page.screenshot(path=str(path), full_page=True)
                written.append(path)
            context.close()
    return written


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m passerelle.web.screenshots",
        description="Screenshots of the home, a programme and a finder result in fr and ar, "
        "at 1280 and 360 px.",
    )
    parser.add_argument("outdir", type=Path, help="directory for the PNG files")
    args = parser.parse_args(argv)
    if not Path(CHROMIUM).exists():
        print(f"Chromium not found at {CHROMIUM} (make system installs it)", file=sys.stderr)
        return 1
    var_dir = Path(os.environ.get("PASSERELLE_VAR_DIR", PROJECT_DIR / "var"))
    with running_site(var_dir) as base_url, sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            written = take_screenshots(browser, base_url, args.outdir)
        except RuntimeError as error:
            print(f"screenshots: {error}", file=sys.stderr)
            return 1
        finally:
            browser.close()
    for path in written:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
