"""A visitor's CSRF token for a kept public page, as Django's `get_token` makes it (the same
secret, cookie flags and masked 64-character token, which `CsrfViewMiddleware` checks), with
the randomness drawn in one `os.urandom` read per string instead of one per character.

Django's `get_random_string` calls `secrets.choice` for each of a token's 64 characters:
measured, this was a third of the CPU of a kept page served to a visitor without a cookie
(docs/benchmarks.md, "CPU per request"). Each character is drawn uniformly from the 62
allowed (bytes 248 to 255 are dropped rather than folded, so no character is likelier).
"""

from __future__ import annotations

import os

from django.http import HttpRequest
from django.middleware.csrf import CSRF_ALLOWED_CHARS, CSRF_SECRET_LENGTH

_COUNT = len(CSRF_ALLOWED_CHARS)
_KEPT_BYTES = 256 - 256 % _COUNT
_TABLE = bytes(ord(CSRF_ALLOWED_CHARS[byte % _COUNT]) for byte in range(256))
_DROPPED = bytes(range(_KEPT_BYTES, 256))
_INDEX = {char: position for position, char in enumerate(CSRF_ALLOWED_CHARS)}


def random_csrf_string(length: int = CSRF_SECRET_LENGTH) -> str:
    """`length` characters of CSRF_ALLOWED_CHARS, each uniform and independent."""
    text = b""
    while len(text) < length:
        # about 3 % of bytes are dropped: 8 spare bytes almost always suffice
        text += os.urandom(length + 8).translate(_TABLE, _DROPPED)
    return text[:length].decode("ascii")


def visitor_csrf_token(request: HttpRequest) -> str:
    """`django.middleware.csrf.get_token`: the visitor's secret (from their cookie, read by
    the CSRF middleware's `process_request`, or a new one), flagged for the cookie to be
    sent, masked with a new mask."""
    secret = request.META.get("CSRF_COOKIE")
    if secret is None:
        secret = request.META["CSRF_COOKIE"] = random_csrf_string()
    request.META["CSRF_COOKIE_NEEDS_UPDATE"] = True
    mask = random_csrf_string()
    cipher = "".join(
        CSRF_ALLOWED_CHARS[(_INDEX[char] + _INDEX[key]) % _COUNT]
        for char, key in zip(secret, mask, strict=False)  # as Django: a secret is 32
    )
    return mask + cipher
