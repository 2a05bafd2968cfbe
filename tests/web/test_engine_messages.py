"""The engines' validation messages reach the reader in the page's language."""

from __future__ import annotations

import re

import pytest
from django.test import Client


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("fr", "n'est pas un code de pays ISO 3166-1 alpha-2"),
        ("nl", "is geen ISO 3166-1 alpha-2-landcode"),
        ("en", "is not an ISO 3166-1 alpha-2 country code"),
    ],
)
def test_the_finder_explains_a_bad_country_in_the_visitors_language(
    db: None, language: str, expected: str
) -> None:
    response = Client().post(
        "/what-can-i-do/", {"nationality": "UK"}, HTTP_ACCEPT_LANGUAGE=language
    )
    errors = " ".join(re.findall(r'class="error"[^>]*>([^<]+)<', response.content.decode()))
    assert expected in errors.replace("&#x27;", "'")
    assert "GB" in errors
