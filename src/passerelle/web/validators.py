"""The text rules of `core.validation` as Django form validators, so that a page refuses
what the API refuses, with the same message at the field."""

from __future__ import annotations

from django.core.exceptions import ValidationError

from passerelle.core.validation import text_problem


def plain_text(value: str) -> None:
    """Free text: no control characters (tab and new lines aside), no bidirectional controls."""
    problem = text_problem(value)
    if problem:
        raise ValidationError(problem, code="text")


def person_name(value: str) -> None:
    """A name: as free text, and no invisible characters either."""
    problem = text_problem(value, name=True)
    if problem:
        raise ValidationError(problem, code="name")
