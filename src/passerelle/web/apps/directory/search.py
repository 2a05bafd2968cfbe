"""The directory's search text: what both the load (services) and the search (selectors)
need, apart from either."""

from __future__ import annotations

import unicodedata


def search_text(*texts: object) -> str:
    """Lower-case text without accents, for search in any language."""
    parts: list[str] = []
    for text in texts:
        if isinstance(text, dict):
            parts.extend(str(value) for value in text.values() if value)
        elif isinstance(text, list | tuple):
            parts.extend(str(value) for value in text)
        elif text:
            parts.append(str(text))
    decomposed = unicodedata.normalize("NFKD", " ".join(parts).casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))
