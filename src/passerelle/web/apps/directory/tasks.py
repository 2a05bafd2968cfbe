"""Background work of the directory: a load of the knowledge base (`passerelle load
--no-wait`), and the public pages rendered ahead (`page_cache.public_pages_render`), after
each load and each morning (docs/web.md, "Public page cache"; docs/operations.md)."""

from __future__ import annotations

from passerelle.web.apps.directory.page_cache import public_pages_render
from passerelle.web.apps.ops.queue import background_task

__all__ = ["knowledge_base_load", "public_pages_render"]


@background_task(retries=2)
def knowledge_base_load() -> dict[str, object]:
    """Load the knowledge base deployed with the code into the directory (the services'
    `knowledge_load`: one transaction, idempotent, so safe to run again) and return its
    report."""
    from passerelle.knowledge.loader import load_knowledge
    from passerelle.web.apps.directory.services import knowledge_load

    report = knowledge_load(knowledge=load_knowledge())
    return {
        "created": report.created,
        "updated": report.updated,
        "unchanged": report.unchanged,
        "retired": report.retired,
        "kept_user_records": report.kept_user_records,
    }
