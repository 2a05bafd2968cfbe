"""Linkage runs over synthetic encodings (SYNTHETIC DATA ONLY): clusters against the
generator's ground truth, the platform's clustering against the engine's, and review
decisions respected by the next run."""

from __future__ import annotations

from typing import Any

import polars as pl
from tests.support.beneficiaries import SHARED_PERSONS, parsed_for

from passerelle.core.linkage import dedupe_encoded
from passerelle.core.linkage.evaluate import pairwise_quality
from passerelle.web.apps.audit.models import AuditEntry
from passerelle.web.apps.beneficiaries import selectors, services
from passerelle.web.apps.beneficiaries.linking import cluster
from passerelle.web.apps.beneficiaries.models import (
    CandidatePair,
    ClusterMember,
    EncodedRecord,
    RunStatus,
)
from passerelle.web.apps.beneficiaries.views import LEVEL_LABELS

PERSONS = SHARED_PERSONS


def clusters_of(run: Any) -> pl.DataFrame:
    """record_id (the organisation's) -> cluster of the run."""
    rows = ClusterMember.objects.filter(run=run).values_list("record__record_id", "cluster")
    return pl.DataFrame(
        list(rows), schema={"record_id": pl.String, "cluster_id": pl.Int64}, orient="row"
    )


def test_a_run_finds_the_people_of_the_synthetic_truth_as_the_engine_does(
    shared: pl.DataFrame,
) -> None:
    run = services.run_execute(run_id=services.run_start().pk)
    assert run.status == RunStatus.DONE, run.error
    assert run.records == shared.height
    assert run.organisations == 3
    quality = pairwise_quality(clusters_of(run), shared)
    assert quality.true_pairs > 300
    assert quality.precision >= 0.9, quality
    assert quality.recall >= 0.85, quality
    assert run.clusters == clusters_of(run)["cluster_id"].n_unique()
    # the model the pairs were scored with is kept: imported outcomes are matched with it
    assert run.model is not None
    assert run.model["comparisons"]
    # distinct people close to the truth, far below the records
    truth = shared["person_id"].n_unique()
    assert abs(run.clusters - truth) / truth < 0.1
    assert run.clusters < 0.8 * shared.height
    # uncertain pairs wait in the queue, with levels and weights only
    pairs = CandidatePair.objects.filter(run=run)
    assert pairs.exists()
    for pair in pairs:
        assert run.review_low <= pair.match_probability < run.review_high
        assert {item["comparison"] for item in pair.comparisons} == {
            "name",
            "birth_date",
            "postcode",
            "phone",
            "candidates",  # the engine's candidate adjustment, shown with its weight
        }
        # every level has a translated label on the review page
        assert all(item["level"] in LEVEL_LABELS for item in pair.comparisons), pair.comparisons
    assert AuditEntry.objects.filter(action="linkage_run", object_id=str(run.pk)).exists()
    # without decisions, the platform's clusters are exactly the engine's
    frame = pl.DataFrame(
        [
            {"record_id": str(pk), **encoding}
            for pk, encoding in EncodedRecord.objects.values_list("pk", "encoding")
        ]
    )
    engine = dedupe_encoded(frame.select(sorted(frame.columns)), threshold=run.threshold)
    ids = dict(EncodedRecord.objects.values_list("pk", "record_id"))
    ours = clusters_of(run)
    theirs = engine.clusters.with_columns(
        pl.col("record_id").cast(pl.Int64).replace_strict(ids, return_dtype=pl.String)
    )
    agreement = pairwise_quality(ours, theirs.rename({"cluster_id": "person_id"}))
    assert agreement.precision == 1.0
    assert agreement.recall == 1.0


def test_decisions_are_respected_by_the_next_run(
    shared: pl.DataFrame, make_user: Any, organisations: Any, programmes: Any
) -> None:
    coordinator = make_user("analyst", platform_role="analyst")
    first = services.run_execute(run_id=services.run_start().pk)
    queue = selectors.review_queue(first)
    joined = [p for p in queue if p.match_probability >= first.threshold]
    apart = [p for p in queue if p.match_probability < first.threshold]
    assert joined, "the queue holds pairs above the threshold"
    assert apart, "and below it"

    def together(run: Any, pair: Any) -> bool:
        members = dict(
            ClusterMember.objects.filter(
                run=run, record__in=[pair.record_a_id, pair.record_b_id]
            ).values_list("record_id", "cluster")
        )
        assert len(members) == 2
        return members[pair.record_a_id] == members[pair.record_b_id]

    split = joined[0]
    join = next(pair for pair in apart if not together(first, pair))
    assert together(first, split)
    services.decision_record(user=coordinator, pair_id=split.pk, decision="non_match")
    services.decision_record(user=coordinator, pair_id=join.pk, decision="match")
    assert split not in selectors.review_queue(first)
    assert join not in selectors.review_queue(first)
    # an organisation uploads again: new rows, same record ids; the decisions still hold
    organisation = split.record_a.organisation
    key = next(k for k, org in organisations.items() if org.pk == organisation.pk)
    services.encodings_replace(
        organisation=organisation,
        parsed=parsed_for(shared.filter(pl.col("org") == key), programmes[key].slug),
        source="upload",
    )
    second = services.run_execute(run_id=services.run_start().pk)
    assert second.decisions_applied == 2
    cluster_of = {
        (org, rid): number
        for org, rid, number in ClusterMember.objects.filter(run=second).values_list(
            "record__organisation_id", "record__record_id", "cluster"
        )
    }

    def key(record: Any) -> tuple[int, str]:
        return (record.organisation_id, record.record_id)

    assert cluster_of[key(split.record_a)] != cluster_of[key(split.record_b)]
    assert cluster_of[key(join.record_a)] == cluster_of[key(join.record_b)]
    entries = AuditEntry.objects.filter(action="linkage_decision")
    assert entries.count() == 2
    assert {entry.detail["decision"] for entry in entries} == {"match", "non_match"}


def test_clustering_keeps_apart_what_a_decision_separates_even_through_a_chain() -> None:
    records = ["1", "2", "3", "4"]
    scored = [("1", "2", 0.95, False), ("2", "3", 0.9, False), ("3", "4", 0.2, False)]
    plain = cluster(records, scored, threshold=0.6)
    assert plain.cluster_of["1"] == plain.cluster_of["3"] != plain.cluster_of["4"]
    decided = cluster(records, scored, threshold=0.6, non_links=[("1", "3")], links=[("3", "4")])
    c = decided.cluster_of
    assert c["1"] == c["2"]
    assert c["3"] == c["4"]
    assert c["1"] != c["3"]
    assert decided.links_skipped == 1
    vetoed = cluster(records, [("1", "2", 0.99, True)], threshold=0.6)
    assert len(set(vetoed.cluster_of.values())) == 4


def test_a_run_with_too_few_records_fails_with_a_reason(organisations: Any) -> None:
    run = services.run_execute(run_id=services.run_start().pk)
    assert run.status == RunStatus.FAILED
    assert "records" in run.error
    assert not ClusterMember.objects.filter(run=run).exists()
