"""The versioned records' shared pieces (`web/common/versions.py`): the refusal of a stale
edit and the changes of a version row, as person files and follow-ups use them."""

from __future__ import annotations

from passerelle.web.apps.followups.models import FollowUpVersion
from passerelle.web.apps.followups.services import FollowUpVersionError
from passerelle.web.apps.people.models import PersonVersion
from passerelle.web.apps.people.services import ConcurrentEditError
from passerelle.web.common.versions import StaleVersionError, changed_fields


def test_stale_edits_name_the_version_field_and_the_record() -> None:
    # The API answers 409 with the message after "version: "; the words are each record's.
    assert str(ConcurrentEditError(4)) == (
        "version: this file was changed by someone else (now version 4); "
        "reload it and apply your changes again"
    )
    assert str(FollowUpVersionError(2)) == (
        "version: this follow-up was changed by someone else (now version 2); "
        "reload it and record again"
    )
    for error in (ConcurrentEditError(7), FollowUpVersionError(7)):
        assert isinstance(error, StaleVersionError)
        assert error.current_version == 7


def test_changed_fields_keeps_only_what_changed_as_old_and_new() -> None:
    before = {"situation": None, "hours": 20, "state": "due"}
    after = {"situation": "employed", "hours": 20, "state": "recorded"}
    assert changed_fields(before, after) == {
        "situation": [None, "employed"],
        "state": ["due", "recorded"],
    }
    assert changed_fields(after, dict(after)) == {}


def test_both_version_tables_have_the_same_columns_and_their_own_key() -> None:
    shared = {"number", "changed_by", "changed_by_label", "changed_at", "changes"}
    person = {field.name for field in PersonVersion._meta.get_fields()}
    follow_up = {field.name for field in FollowUpVersion._meta.get_fields()}
    assert shared <= person
    assert shared <= follow_up
    assert person - shared == {"id", "person"}
    assert follow_up - shared == {"id", "follow_up"}
