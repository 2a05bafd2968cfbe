"""Fixtures for the web layer: the directory loaded from the knowledge base."""

from __future__ import annotations

import pytest

from passerelle.knowledge.loader import load_knowledge
from passerelle.web.apps.directory.services import LoadReport, knowledge_load


@pytest.fixture
def loaded_directory(db: None) -> LoadReport:
    return knowledge_load(knowledge=load_knowledge())
