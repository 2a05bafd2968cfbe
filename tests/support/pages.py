"""The links of a staff list's pager (`templates/staff/_pager.html`), read with the standard
library's HTML parser."""

from __future__ import annotations

from html.parser import HTMLParser


class _PagerLinks(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []
        self._depth = 0  # inside <nav class="pager">

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "nav" and ("class", "pager") in attrs:
            self._depth = 1
        elif tag == "a" and self._depth:
            self.hrefs.extend(value or "" for name, value in attrs if name == "href")

    def handle_endtag(self, tag: str) -> None:
        if tag == "nav":
            self._depth = 0


def pager_links(html: str) -> list[str]:
    """The hrefs of the pager's links (previous, next), in document order; none without a
    pager."""
    parser = _PagerLinks()
    parser.feed(html)
    return parser.hrefs
