"""The knowledge base's plain texts for readers (`knowledge/reader/`) on the public pages:
a record's name in the page's language where the records have none, and whether the text
shown is a translation no fluent reader has reviewed yet."""

from __future__ import annotations

from typing import Any

from passerelle.knowledge.loader import Knowledge, ReaderKind, load_knowledge
from passerelle.web.common.labels import request_language


def with_reader_name(
    names: dict[str, Any], kind: ReaderKind, record_id: str, knowledge: Knowledge | None = None
) -> dict[str, Any]:
    """`names` with the record's name in the page's language added from the plain texts
    when the records give none (a programme's name in Tigrinya, a CPAS in Pashto); the
    `localised` tag then shows it instead of another language's name with a marker."""
    language = request_language()
    if names.get(language):
        return names
    entry = (knowledge or load_knowledge()).reader_text(kind, record_id, language)
    if entry is None or not entry.text.name:
        return names
    return {**names, language: entry.text.name}


def reader_context(knowledge: Knowledge, kind: ReaderKind, record_id: str) -> dict[str, Any]:
    """The plain text of a record in the page's language (`reader`) and, when it is a
    translation no fluent reader has reviewed, the original to offer instead: French, or
    English (the language the texts were written in) on a French page."""
    language = request_language()
    entry = knowledge.reader_text(kind, record_id, language)
    context: dict[str, Any] = {"reader": entry}
    if entry is not None and entry.translated_from is not None and not entry.reviewed:
        context["unreviewed_translation"] = True
        context["original_language"] = "fr" if language != "fr" else entry.translated_from
    return context
