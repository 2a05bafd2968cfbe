"""The engines' catalogues are opened once per language and process (issue 19, the public
side's CPU: every public request opened one from disk), and still translate per context."""

from __future__ import annotations

from passerelle.core import i18n


def test_a_language_s_catalogue_is_opened_once_and_still_names_its_language() -> None:
    assert i18n._catalogue("nl") is i18n._catalogue("nl")
    assert i18n._catalogue("nl") is not i18n._catalogue("fr")
    with i18n.language_of("nl"):
        assert i18n.current_language() == "nl"
        with i18n.language_of("ar"):
            assert i18n.current_language() == "ar"
        assert i18n.current_language() == "nl"
    assert i18n.current_language() == "en"
