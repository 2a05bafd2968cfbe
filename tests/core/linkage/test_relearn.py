"""Re-estimating the model from clerical labels, with its held-out check."""

from __future__ import annotations

import copy

import polars as pl
import pytest

from passerelle.core.linkage import LinkageInputError, dedupe_encoded, encode
from passerelle.core.linkage.pairs import score_pairs
from passerelle.core.linkage.relearn import HELD_OUT_SHARE, MIN_MATCHES, _held_out, relearn
from passerelle.core.linkage.synthetic import generate

KEY = bytes(range(32))


@pytest.fixture(scope="module")
def setting() -> tuple[pl.DataFrame, dict, pl.DataFrame]:
    records = generate(3_000, seed=11)
    encoded = encode(records, KEY)
    model = dedupe_encoded(encoded).model
    # the review queue: the uncertain pairs, decided by a clerk who knows the truth
    pairs = score_pairs(encoded, model, min_probability=0.05)
    truth = dict(records.select("record_id", "person_id").iter_rows())
    labels = pairs.select("record_id_l", "record_id_r").with_columns(
        is_match=pl.struct("record_id_l", "record_id_r").map_elements(
            lambda pair: truth[pair["record_id_l"]] == truth[pair["record_id_r"]],
            return_dtype=pl.Boolean,
        )
    )
    return encoded, model, labels


def _spoilt(model: dict) -> dict:
    """`model` with its name levels' m probabilities reversed: a model that labels fix."""
    spoilt = copy.deepcopy(model)
    for comparison in spoilt["comparisons"]:
        if comparison["output_column_name"] == "name":
            levels = [lv for lv in comparison["comparison_levels"] if "m_probability" in lv]
            values = [lv["m_probability"] for lv in levels]
            for level, value in zip(levels, reversed(values), strict=True):
                level["m_probability"] = value
    return spoilt


def test_labels_repair_a_bad_model_and_the_check_says_so(setting) -> None:
    encoded, model, labels = setting
    assert labels["is_match"].sum() >= MIN_MATCHES
    report = relearn(encoded, _spoilt(model), labels, threshold=0.5)
    assert report.held_out > 0
    assert report.labels == labels.height
    assert report.relearned.brier < report.current.brier
    assert report.better
    # the relearned model is a whole model that a run can use as it is
    assert dedupe_encoded(encoded, model=report.model).clusters.height == encoded.height


def test_the_check_refuses_a_model_learnt_from_wrong_labels(setting) -> None:
    encoded, model, labels = setting
    # the decisions learnt from are all wrong, the held-out ones right
    held = pl.Series(
        [
            _held_out(a, b, HELD_OUT_SHARE)
            for a, b in labels.select(pl.col("record_id_l", "record_id_r")).iter_rows()
        ]
    )
    wrong = labels.with_columns(pl.when(held).then("is_match").otherwise(~pl.col("is_match")))
    report = relearn(encoded, model, wrong, threshold=0.5)
    assert report.relearned.brier > report.current.brier
    assert not report.better


def test_bad_labels_name_the_column(setting) -> None:
    encoded, model, labels = setting
    with pytest.raises(LinkageInputError, match="is_match"):
        relearn(encoded, model, labels.drop("is_match"), threshold=0.5)
    with pytest.raises(LinkageInputError, match="record_id_l: 'nobody'"):
        relearn(
            encoded,
            model,
            labels.with_columns(pl.lit("nobody").alias("record_id_l")),
            threshold=0.5,
        )
    with pytest.raises(LinkageInputError, match="at least"):
        relearn(encoded, model, labels.head(5), threshold=0.5)


def test_scoring_records_with_no_pair_above_the_floor_gives_an_empty_table(setting) -> None:
    # DuckDB hands an empty result over as a stream without batches; it must still become
    # a table with the pairs' columns (the demo's run on few encodings failed here).
    encoded, model, _labels = setting
    strangers = encoded.head(2)
    pairs = score_pairs(strangers, model, min_probability=0.999999)
    assert pairs.height == 0
    assert {"record_id_l", "record_id_r", "match_probability", "vetoed"} <= set(pairs.columns)
