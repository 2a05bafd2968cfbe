"""Learning from the review queue: the coordinators' decisions become labels, an analyst
re-estimates the model from them, and the new model is used only once a held-out check
says it is better (`core.linkage.relearn`; docs/linkage.md, "Learning from the review
queue").

The accepted model is a JSON file (settings.LINKAGE_MODEL_FILE): later runs score pairs
with it instead of training their own (`run_execute`), until the file is removed.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

import polars as pl
from django.conf import settings
from django.utils import timezone

from passerelle.core.i18n import _
from passerelle.core.linkage import DEFAULT_THRESHOLD, LinkageInputError, dedupe_encoded
from passerelle.core.linkage.bloom import ENCODED_COLUMNS
from passerelle.core.linkage.relearn import MIN_MATCHES, RelearnReport, relearn
from passerelle.web.apps.beneficiaries.models import Decision, EncodedRecord, ReviewDecision


class ModelFileMissingError(RuntimeError):
    """No place to keep an accepted model (settings.LINKAGE_MODEL_FILE is empty)."""


def _model_path() -> Path | None:
    path = settings.LINKAGE_MODEL_FILE
    return Path(path) if path else None


def accepted_model() -> dict[str, Any] | None:
    """The model accepted by `relearn_from_decisions(apply=True)`, or None (runs train)."""
    path = _model_path()
    if path is None or not path.exists():
        return None
    stored: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    model: dict[str, Any] = stored["model"]
    return model


def labelled_pairs() -> tuple[pl.DataFrame, pl.DataFrame]:
    """Every organisation's encodings (record_id = the encoded record's key) and the review
    decisions on pairs of them as labels (record_id_l, record_id_r, is_match)."""
    records = list(
        EncodedRecord.objects.values_list("pk", "organisation_id", "record_id", "encoding")
    )
    frame = pl.DataFrame(
        [{"record_id": str(pk), **encoding} for pk, _org, _rid, encoding in records],
        schema=dict.fromkeys(ENCODED_COLUMNS, pl.String),
    )
    pk_of = {(org, rid): str(pk) for pk, org, rid, _encoding in records}
    rows = []
    for decision in ReviewDecision.objects.all():
        a = pk_of.get((decision.organisation_a_id, decision.record_id_a))
        b = pk_of.get((decision.organisation_b_id, decision.record_id_b))
        if a is not None and b is not None:  # records replaced since are left out
            rows.append((min(a, b), max(a, b), decision.decision == Decision.MATCH))
    labels = pl.DataFrame(
        rows,
        schema={"record_id_l": pl.String, "record_id_r": pl.String, "is_match": pl.Boolean},
        orient="row",
    )
    return frame, labels


def relearn_from_decisions(
    *, threshold: float = DEFAULT_THRESHOLD, apply: bool = False, actor_label: str = ""
) -> tuple[RelearnReport, bool]:
    """Re-estimate the model from the review decisions and check it on held-out decisions.

    The model compared against is the one runs use now: the accepted model, or a model
    trained on the encodings as a run trains it. With `apply`, the relearned model is kept
    (settings.LINKAGE_MODEL_FILE) only if the check says it is better. Returns the report
    and whether the model was kept. Raises `LinkageInputError` when there are too few
    decisions, `ModelFileMissingError` when `apply` has nowhere to keep the model.
    """
    path = _model_path()
    if apply and path is None:
        raise ModelFileMissingError(
            _("LINKAGE_MODEL_FILE is not set: no place to keep an accepted model")
        )
    frame, labels = labelled_pairs()
    matches = labels.filter(pl.col("is_match")).height
    if matches < MIN_MATCHES:  # before training a model to compare with (minutes)
        raise LinkageInputError(
            "is_match",
            f"{matches} decisions 'the same person'; at least {MIN_MATCHES} are needed "
            "(decide more pairs in the review queue)",
        )
    current = accepted_model()
    if current is None:
        current = dedupe_encoded(frame, threshold=threshold).model
    report = relearn(frame, current, labels, threshold=threshold)
    kept = apply and report.better
    if kept and path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        record = {
            "accepted_at": timezone.now().isoformat(),
            "accepted_by": actor_label,
            "report": {key: value for key, value in asdict(report).items() if key != "model"},
            "model": report.model,
        }
        temporary = path.with_suffix(".tmp")
        temporary.write_text(json.dumps(record), encoding="utf-8")
        temporary.replace(path)  # whole or not at all: a run never reads half a model
    return report, kept
