"""The kept pages' CSRF tokens (web/common/csrf_tokens.py) are Django's: the same secret
handling and a masked token that Django's own unmasking reads back, drawn uniformly."""

from __future__ import annotations

import collections

from django.middleware.csrf import (
    CSRF_ALLOWED_CHARS,
    _check_token_format,
    _unmask_cipher_token,
    get_token,
)
from django.test import RequestFactory

from passerelle.web.common.csrf_tokens import random_csrf_string, visitor_csrf_token


def test_a_new_visitor_gets_a_secret_flagged_for_the_cookie_as_with_get_token() -> None:
    ours, django = RequestFactory().get("/"), RequestFactory().get("/")
    token = visitor_csrf_token(ours)
    get_token(django)
    assert set(ours.META) - set(django.META) == set() == set(django.META) - set(ours.META)
    assert ours.META["CSRF_COOKIE_NEEDS_UPDATE"] is True
    secret = ours.META["CSRF_COOKIE"]
    assert len(secret) == len(django.META["CSRF_COOKIE"]) == 32
    _check_token_format(token)  # raises on a wrong length or character
    assert _unmask_cipher_token(token) == secret


def test_a_known_visitor_keeps_their_secret_and_gets_a_new_mask_each_time() -> None:
    request = RequestFactory().get("/")
    request.META["CSRF_COOKIE"] = secret = random_csrf_string()
    tokens = {visitor_csrf_token(request) for _ in range(20)}
    assert len(tokens) == 20
    assert {_unmask_cipher_token(token) for token in tokens} == {secret}
    assert request.META["CSRF_COOKIE"] == secret
    assert request.META["CSRF_COOKIE_NEEDS_UPDATE"] is True


def test_every_allowed_character_is_equally_likely() -> None:
    """Bytes 248-255 are dropped, not folded: folded, the first 8 characters would come 25 %
    more often than the others."""
    counts = collections.Counter("".join(random_csrf_string(62) for _ in range(2000)))
    assert set(counts) == set(CSRF_ALLOWED_CHARS)
    first = sum(counts[char] for char in CSRF_ALLOWED_CHARS[:8]) / 8
    rest = sum(counts[char] for char in CSRF_ALLOWED_CHARS[8:]) / (len(CSRF_ALLOWED_CHARS) - 8)
    assert 0.92 < first / rest < 1.08
    assert max(counts.values()) < 1.2 * min(counts.values())
