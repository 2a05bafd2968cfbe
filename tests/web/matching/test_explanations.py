"""A round's explanations are stored as the engine's terms and read in the reader's
language: the same round in French and in Dutch; rows stored as text before still show."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from django.test import override_settings
from tests.support.accounts import actor_of, logged_in
from tests.support.matching import Setting, candidate

from passerelle.core import i18n
from passerelle.core.matching.explain import render
from passerelle.web.apps.matching.models import MatchingRound, Proposal

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalogues(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The French and Dutch catalogues compiled from the sources (no `make messages`)."""
    for language in ("fr", "nl"):
        target = tmp_path / language / "LC_MESSAGES"
        target.mkdir(parents=True)
        with (i18n.LOCALE_DIR / language / "LC_MESSAGES" / "django.po").open("rb") as po:
            catalogue = read_po(po, locale=language)
        with (target / "django.mo").open("wb") as mo:
            write_mo(mo, catalogue)
    monkeypatch.setattr(i18n, "LOCALE_DIR", tmp_path)
    with override_settings(LOCALE_PATHS=[str(tmp_path)]):
        yield


def _page(client: object, language: str, path: str) -> str:
    client.cookies["passerelle_language"] = language  # type: ignore[attr-defined]
    response = client.get(path)  # type: ignore[attr-defined]
    assert response.status_code == 200
    text: str = response.content.decode()
    assert f'<html lang="{language}"' in text
    return text


@contextlib.contextmanager
def _reading(language: str) -> Iterator[None]:
    with i18n.language_of(language):
        yield


def test_the_same_round_reads_in_french_and_in_dutch(setting: Setting, catalogues: None) -> None:
    # No French or Dutch: the mentors' languages hold this one back.
    candidate(actor_of(setting.users["cw_a"]), "Tedros", languages={"ti": "C2"})
    client = logged_in(setting.users["co_b"])
    client.cookies["passerelle_language"] = "fr"
    started = client.post(
        "/staff/matching/rounds/start/",
        {"programme": "duo-for-a-job-mentoring", "one_click": "1"},
    )
    assert started.status_code == 302
    matching_round = MatchingRound.objects.get()
    stored = [p.explanation for p in Proposal.objects.filter(round=matching_round)]
    # Stored as terms, in no language.
    assert all(isinstance(item, dict) and "code" in item for items in stored for item in items)
    blocked = next(p for p in matching_round.proposals.all() if p.slot is None)
    assert blocked.explanation[0]["code"] == "closest"
    path = f"/staff/matching/rounds/{matching_round.pk}/"
    french, dutch = _page(client, "fr", path), _page(client, "nl", path)
    for language, page in (("fr", french), ("nl", dutch)):
        with _reading(language):
            for proposal in matching_round.proposals.all():
                for sentence in proposal.explanation_text:
                    assert sentence.replace("'", "&#x27;") in page, (language, sentence)
    with _reading("fr"):
        blocked_fr = blocked.explanation_text[0]
        matched_fr = next(p for p in matching_round.proposals.all() if p.slot).explanation_text
    with _reading("nl"):
        blocked_nl = blocked.explanation_text[0]
        matched_nl = next(p for p in matching_round.proposals.all() if p.slot).explanation_text
    assert "Français" in blocked_fr
    assert "Frans" in blocked_nl
    assert any(s.startswith("langue +") for s in matched_fr)
    assert any(s.startswith("taal +") for s in matched_nl)
    assert blocked_fr not in dutch
    assert blocked_nl not in french
    with _reading("nl"):
        assert blocked_nl == render(blocked.explanation[0])


def test_an_explanation_stored_as_text_is_shown_as_it_is(setting: Setting) -> None:
    client = logged_in(setting.users["co_b"])
    client.post(
        "/staff/matching/rounds/start/", {"programme": "duo-for-a-job-mentoring", "one_click": "1"}
    )
    proposal = Proposal.objects.filter(round=MatchingRound.objects.get()).first()
    assert proposal is not None
    proposal.explanation = ["offre la plus proche Marc : texte d'avant", {"code": "adjusted"}]
    proposal.save()
    assert proposal.explanation_text == [
        "offre la plus proche Marc : texte d'avant",
        "changed by the coordinator",
    ]
    page = client.get(f"/staff/matching/rounds/{proposal.round_id}/").content.decode()
    assert "offre la plus proche Marc : texte d&#x27;avant" in page
