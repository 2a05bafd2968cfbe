"""Administrative outcomes imported from a file of encodings (issue 17, item 2), over
synthetic people (`core.linkage.synthetic`, SYNTHETIC DATA ONLY): rows matched to the right
persons with the run's model, unmatched and ambiguous rows reported and not stored, bad
files refused whole, a file imported once, the page for analysts only."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import polars as pl
import pytest
from django.test import Client
from tests.support.beneficiaries import csv_bytes
from tests.support.outcomes import (
    EMPLOYED,
    IDENTITY,
    LOOKING,
    OTHER_KEY,
    TODAY,
    outcome_file,
    persons_on_platform,
    platform_records,
    stranger,
    twin_row,
)

from passerelle.web.apps.audit.models import AuditEntry
from passerelle.web.apps.beneficiaries import selectors, services
from passerelle.web.apps.beneficiaries.models import (
    ImportedOutcome,
    LinkageRun,
    OutcomeImport,
)
from passerelle.web.apps.beneficiaries.outcome_matching import (
    AMBIGUOUS,
    MATCHED,
    UNMATCHED,
    Candidate,
    match_row,
)
from passerelle.web.apps.beneficiaries.uploads import UploadError
from passerelle.web.common.outcomes import MAX_HOURS_PER_WEEK


def test_rows_match_the_right_persons_strangers_are_unmatched_twins_ambiguous(
    outcome_run: LinkageRun,
) -> None:
    known = persons_on_platform(12)
    identities = pl.concat([known.select("record_id", *IDENTITY), stranger(), twin_row()])
    content = outcome_file(identities, [EMPLOYED] * 6 + [LOOKING] * 8)
    result = services.outcomes_import(content=content, actor_label="test", today=TODAY)
    assert (result.stored, result.unmatched_rows, result.ambiguous_rows) == (12, [13], [14])
    truth = dict(zip(*platform_records().select("record_id", "person_id"), strict=True))
    outcomes = list(ImportedOutcome.objects.order_by("id"))
    for outcome, person in zip(outcomes, known["person_id"].to_list(), strict=True):
        # the link is a record of the same person (perhaps at another organisation)
        assert truth[outcome.record_id] == person
        assert outcome.match_probability >= outcome_run.threshold
    assert not ImportedOutcome.objects.filter(record_id__startswith="twin").exists()
    first = outcomes[0]
    assert (first.situation, first.contract_type, first.hours, first.source) == (
        "employed",
        "article_60",
        Decimal("38.0"),
        "actiris-2026q1",
    )
    # the selector gives each outcome the person key of the run's participations
    frame = selectors.imported_outcomes(outcome_run)
    assert frame.columns == list(selectors.IMPORTED_OUTCOMES_SCHEMA)
    assert frame.height == 12
    persons = selectors.participations_frame(outcome_run)["person"]
    assert frame["person"].is_in(persons.implode()).all()
    assert frame["person"].n_unique() == 12
    assert selectors.imported_outcomes(outcome_run, sources=["other"]).is_empty()
    assert selectors.imported_outcomes(outcome_run, end=dt.date(2026, 1, 1)).is_empty()
    entry = AuditEntry.objects.get(action="outcomes_import")
    assert entry.detail | {"sha256": ""} == {
        "sha256": "",
        "run": outcome_run.pk,
        "rows": 14,
        "stored": 12,
        "already_stored": 0,
        "unmatched": 1,
        "ambiguous": 1,
        "repeated": False,
    }

    # erasing a person file erases the outcomes imported for it
    class File:  # what `encodings_forget_person` reads of a person file
        pk = first.record_id
        organisation_id = first.organisation_id

    services.encodings_forget_person(person=File())
    assert not ImportedOutcome.objects.filter(pk=first.pk).exists()
    assert ImportedOutcome.objects.count() == 11


def test_rows_encoded_with_another_key_are_unmatched_and_a_dry_run_stores_nothing(
    outcome_run: LinkageRun,
) -> None:
    known = persons_on_platform(4)
    ours = pl.read_csv(outcome_file(known.head(2), [LOOKING] * 2), infer_schema=False)
    theirs = pl.read_csv(
        outcome_file(known.tail(2), [LOOKING] * 2, key=OTHER_KEY), infer_schema=False
    )
    content = csv_bytes(pl.concat([ours, theirs]))
    result = services.outcomes_import(content=content, dry_run=True, today=TODAY)
    assert (result.stored, result.unmatched_rows, result.ambiguous_rows) == (2, [3, 4], [])
    assert result.dry_run
    assert not OutcomeImport.objects.exists()
    assert not ImportedOutcome.objects.exists()
    assert not AuditEntry.objects.filter(action="outcomes_import").exists()


def test_near_equal_candidates_are_ambiguous_a_clear_best_is_matched() -> None:
    one = Candidate((1, "a-1"), person=1, probability=0.97)
    assert match_row([one], threshold=0.5).status == MATCHED
    assert match_row([Candidate((1, "a-1"), 1, 0.45)], threshold=0.5).status == UNMATCHED
    assert match_row([], threshold=0.5).status == UNMATCHED
    # a rival below the threshold but within a factor 10 of the odds
    rival = Candidate((2, "b-7"), person=2, probability=0.8)
    assert match_row([one, rival], threshold=0.5).status == AMBIGUOUS
    # two records of the same person are no rivals
    same = Candidate((2, "b-1"), person=1, probability=0.96)
    found = match_row([one, same], threshold=0.5)
    assert (found.status, found.record) == (MATCHED, (1, "a-1"))
    far = Candidate((2, "b-7"), person=2, probability=0.5)
    assert match_row([one, far], threshold=0.5).status == AMBIGUOUS  # both at the threshold
    weak = Candidate((2, "b-7"), person=2, probability=0.6)
    assert match_row([Candidate((1, "a-1"), 1, 0.999), weak], threshold=0.7).status == MATCHED


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            {"situation": "working"},
            "column situation, row 2: 'working' is not a situation; "
            "allowed: employed, training, looking_for_work, not_looking, moved_away, unreachable",
        ),
        ({"contract_type": "permanent"}, "columns contract_type and hours, row 2: empty unless"),
        (
            {"outcome_date": "31/03/2026"},
            "column outcome_date, row 2: not a date; expected YYYY-MM-DD",
        ),
        ({"outcome_date": "2027-01-01"}, "column outcome_date, row 2: 2027-01-01 is outside"),
        (
            {"hours": "-3", "situation": "employed", "contract_type": "interim"},
            "column hours, row 2",
        ),
        ({"source": "Actiris Brussels"}, "column source, row 2: a short code is needed"),
    ],
)
def test_a_bad_value_refuses_the_whole_file_naming_column_row_and_allowed_values(
    outcome_run: LinkageRun, change: dict[str, str], expected: str
) -> None:
    known = persons_on_platform(3)
    content = outcome_file(known, [EMPLOYED, {**LOOKING, **change}, LOOKING])
    with pytest.raises(UploadError) as error:
        services.outcomes_import(content=content, today=TODAY)
    assert any(expected in message for _field, message in error.value.problems), error.value
    assert not OutcomeImport.objects.exists()
    assert not ImportedOutcome.objects.exists()


def test_a_missing_column_or_a_name_in_clear_refuses_the_file(outcome_run: LinkageRun) -> None:
    known = persons_on_platform(2)
    frame = pl.read_csv(outcome_file(known, [LOOKING] * 2), infer_schema=False)
    with pytest.raises(UploadError, match="missing column situation"):
        services.outcomes_import(content=csv_bytes(frame.drop("situation")), today=TODAY)
    with pytest.raises(UploadError, match="column surname would hold personal data in clear"):
        services.outcomes_import(
            content=csv_bytes(frame.with_columns(surname=pl.lit("x"))), today=TODAY
        )
    clear = frame.with_columns(pl.lit("1991-04-17").alias("dob_full"))
    with pytest.raises(UploadError, match=r"column dob_full, row 1 \(and 1 other rows\) is not"):
        services.outcomes_import(content=csv_bytes(clear), today=TODAY)
    assert not OutcomeImport.objects.exists()
    assert not ImportedOutcome.objects.exists()


def test_a_file_is_imported_once_and_no_outcome_is_stored_twice(outcome_run: LinkageRun) -> None:
    known = persons_on_platform(4)
    content = outcome_file(known, [LOOKING] * 4)
    first = services.outcomes_import(content=content, today=TODAY)
    again = services.outcomes_import(content=content, today=TODAY)
    assert (first.stored, again.stored, again.repeated, again.import_id) == (
        4,
        0,
        True,
        first.import_id,
    )
    # a later extract repeating these rows with one new outcome adds only the new one
    later = outcome_file(known.head(4), [LOOKING] * 3 + [{**EMPLOYED, "hours": "37,5"}])
    result = services.outcomes_import(content=later, today=TODAY)
    assert (result.stored, result.already_stored) == (1, 3)
    assert ImportedOutcome.objects.count() == 5
    assert ImportedOutcome.objects.get(situation="employed").hours == Decimal("37.5")
    assert OutcomeImport.objects.count() == 2


def test_no_run_to_match_with_is_a_clear_error(organisations: Any) -> None:
    content = outcome_file(persons_on_platform(1), [LOOKING])
    with pytest.raises(services.NoRunToMatchError, match="run the linkage first"):
        services.outcomes_import(content=content, today=TODAY)


def test_the_page_is_for_analysts_and_imports_a_file(
    clients: dict[str, Client], outcome_run: LinkageRun, django_capture_on_commit_callbacks: Any
) -> None:
    url = "/analysis/beneficiaries/outcomes/"
    content = outcome_file(
        pl.concat([persons_on_platform(2).select("record_id", *IDENTITY), stranger()]),
        [LOOKING] * 3,
    )
    for role in ("coordinator", "org_admin", "caseworker"):
        assert clients[role].get(url).status_code == 403
        posted = clients[role].post(url, {"file": _upload(content)})
        assert posted.status_code == 403
    assert not OutcomeImport.objects.exists()
    analyst = clients["analyst"]
    assert analyst.get(url).status_code == 200
    # the task runs when the upload's transaction commits (the tests' immediate backend)
    with django_capture_on_commit_callbacks(execute=True):
        posted = analyst.post(url, {"file": _upload(content)})
    response = analyst.get(posted["Location"])
    page = response.content.decode()
    assert response.status_code == 200, page
    assert "2 outcomes stored" in page
    assert "1 row unmatched: 3" in page
    with django_capture_on_commit_callbacks(execute=True):
        posted = analyst.post(url, {"file": _upload(b"situation\nemployed\n")})
    bad = analyst.get(posted["Location"])
    assert "missing column bf_given" in bad.content.decode()
    assert "Nothing was stored" in bad.content.decode()
    assert ImportedOutcome.objects.count() == 2
    assert analyst.post(url, {}).status_code == 400  # no file: the form says so


def _upload(content: bytes) -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("outcomes.csv", content, content_type="text/csv")


def test_weekly_hours_are_bounded_as_at_a_follow_up(outcome_run: LinkageRun) -> None:
    """One bound for imports and follow-ups (`common.outcomes.MAX_HOURS_PER_WEEK`): its
    value is accepted, a tenth more refuses the file naming the column and the bound."""
    known = persons_on_platform(2)
    over = outcome_file(known, [{**EMPLOYED, "hours": "60,1"}, LOOKING])
    with pytest.raises(UploadError) as error:
        services.outcomes_import(content=over, today=TODAY)
    assert [message for _field, message in error.value.problems] == [
        "column hours, row 1: weekly hours are a number above 0 and at most 60, or empty "
        "when unknown"
    ]
    assert not ImportedOutcome.objects.exists()
    at_bound = outcome_file(known, [{**EMPLOYED, "hours": "60"}, LOOKING])
    assert services.outcomes_import(content=at_bound, today=TODAY).stored == 2
    assert ImportedOutcome.objects.get(situation="employed").hours == MAX_HOURS_PER_WEEK
