"""Record ids in URLs and API paths: random UUIDs, so that a guessed id finds nothing. An id
that is not a UUID names no record: it is answered as the record's not-found error (404),
never as a server error, and never reaches the database."""

from __future__ import annotations

import uuid


def record_key(value: object, not_found: type[Exception]) -> uuid.UUID:
    """`value` as a UUID, or `not_found(value)` raised when it is not one."""
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise not_found(str(value)) from None
