"""Learning from the review queue (SYNTHETIC DATA ONLY): decisions become labels, the model
is re-estimated from them and kept only when the held-out check finds it better."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from passerelle.core.linkage import LinkageInputError
from passerelle.web.apps.beneficiaries import relearn, selectors, services
from passerelle.web.apps.beneficiaries.models import RunStatus


def _decide_queue(run: Any, records: pl.DataFrame, user: Any) -> int:
    """Decide every pair of the run's queue as a clerk who knows the truth would."""
    person = dict(records.select("record_id", "person_id").iter_rows())
    queue = selectors.review_queue(run)
    for pair in queue:
        same = person[pair.record_a.record_id] == person[pair.record_b.record_id]
        services.decision_record(
            user=user, pair_id=pair.pk, decision="match" if same else "non_match"
        )
    return len(queue)


def test_decisions_become_labels_and_a_better_model_is_kept_for_later_runs(
    shared: pl.DataFrame,
    make_user: Any,
    settings: Any,
    tmp_path: Path,
) -> None:
    settings.LINKAGE_MODEL_FILE = str(tmp_path / "model.json")
    analyst = make_user("analyst", platform_role="analyst")
    first = services.run_execute(run_id=services.run_start(review_low=0.02).pk)
    decided = _decide_queue(first, shared, analyst)
    records, labels = relearn.labelled_pairs()
    assert labels.height == decided
    assert records.height == shared.height
    report, kept = relearn.relearn_from_decisions(apply=True, actor_label="test")
    assert report.labels == decided
    assert report.held_out + report.matches_used <= decided
    # kept exactly when the held-out check says the new model is better, never otherwise
    assert kept == report.better
    stored = relearn.accepted_model()
    if kept:
        assert stored == report.model
        saved = json.loads(Path(settings.LINKAGE_MODEL_FILE).read_text(encoding="utf-8"))
        assert saved["report"]["held_out"] == report.held_out
        # the next run scores with the accepted model instead of training its own
        second = services.run_execute(run_id=services.run_start().pk)
        assert second.status == RunStatus.DONE, second.error
    else:
        assert stored is None


def test_too_few_decisions_or_no_model_file_are_refused(
    shared: pl.DataFrame,
    settings: Any,
) -> None:
    settings.LINKAGE_MODEL_FILE = ""
    with pytest.raises(relearn.ModelFileMissingError):
        relearn.relearn_from_decisions(apply=True)
    with pytest.raises(LinkageInputError, match="at least"):
        relearn.relearn_from_decisions()  # no decisions yet
