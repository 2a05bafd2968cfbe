"""Reading pages as a browser does: the cells of their tables, rather than a search for
`">6<"` anywhere in the markup."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser


@dataclass
class Row:
    cells: list[str] = field(default_factory=list)
    classes: frozenset[str] = frozenset()


@dataclass
class Table:
    caption: str = ""
    rows: list[Row] = field(default_factory=list)

    def column(self, index: int) -> list[str]:
        """The body's cells of column `index` (the header row, all `th`, left out)."""
        return [row.cells[index] for row in self.rows if len(row.cells) > index]


class _Tables(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tables: list[Table] = []
        self._open: list[Table] = []
        self._text: list[str] | None = None
        self._caption: list[str] | None = None
        self._header_only = True

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self._open.append(Table())
        elif not self._open:
            return
        elif tag == "caption":
            self._caption = []
        elif tag == "tr":
            classes = dict(attrs).get("class") or ""
            self._open[-1].rows.append(Row(classes=frozenset(classes.split())))
            self._header_only = True
        elif tag in ("td", "th"):
            self._text = []
            self._header_only &= tag == "th"

    def handle_endtag(self, tag: str) -> None:
        if not self._open:
            return
        if tag == "table":
            self.tables.append(self._open.pop())
        elif tag == "caption" and self._caption is not None:
            self._open[-1].caption = " ".join("".join(self._caption).split())
            self._caption = None
        elif tag in ("td", "th") and self._text is not None:
            self._open[-1].rows[-1].cells.append(" ".join("".join(self._text).split()))
            self._text = None
        elif tag == "tr" and self._header_only and self._open[-1].rows:
            self._open[-1].rows.pop()  # a header row: not data

    def handle_data(self, data: str) -> None:
        if self._text is not None:
            self._text.append(data)
        if self._caption is not None:
            self._caption.append(data)


def tables(html: str) -> list[Table]:
    """The page's tables in document order, each with its caption and its data rows (the
    text of each cell, spaces collapsed; rows of header cells only are left out)."""
    parser = _Tables()
    parser.feed(html)
    parser.close()
    return parser.tables
