"""`make screenshots` on two pages: the PNGs and the index page are written and not empty
(issue 18, item 6). The whole review (every page of every role) is a make target, not a test."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import Browser

from passerelle.cli.screenshots import take_screenshots, write_index

pytestmark = pytest.mark.browser


def test_two_pages_of_the_visitor_in_french_and_arabic_at_two_widths(
    browser: Browser, site: str, tmp_path: Path
) -> None:
    shots = take_screenshots(browser, site, tmp_path, {"visitor": None}, limit=2)
    assert len(shots) == 2
    for shot in shots:
        assert not shot.problems, shot
        assert sorted(shot.files) == [("ar", 390), ("ar", 1280), ("fr", 390), ("fr", 1280)]
        for (_language, width), file in shot.files.items():
            with Image.open(file) as image:
                assert image.width == width
                assert image.height > 100
    index = write_index(shots, tmp_path)
    text = index.read_text(encoding="utf-8")
    for shot in shots:
        for file in shot.files.values():
            assert f"src='{file.relative_to(tmp_path).as_posix()}'" in text
