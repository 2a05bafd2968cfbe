"""The only writers of this app: encodings in (upload, or the platform's own person
files), linkage runs, review decisions. Each writes its audit entry (ids and counts only).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext

from passerelle.core.i18n import _, gettext_noop
from passerelle.core.linkage import (
    DEFAULT_THRESHOLD,
    KeyFileError,
    dedupe_encoded,
    encode,
    load_key,
)
from passerelle.core.linkage.bloom import ENCODED_COLUMNS
from passerelle.core.linkage.pairs import score_pairs
from passerelle.knowledge.loader import load_knowledge
from passerelle.web.apps.audit.models import Action
from passerelle.web.apps.audit.services import audit_record
from passerelle.web.apps.beneficiaries import relearn
from passerelle.web.apps.beneficiaries.jobs import (
    job_lost,
    job_requester,
    job_requeue,
    job_run,
    worker_stopped,
)
from passerelle.web.apps.beneficiaries.linking import cluster
from passerelle.web.apps.beneficiaries.models import (
    BatchSource,
    CandidatePair,
    ClusterMember,
    Decision,
    EncodedRecord,
    EncodingBatch,
    EncodingsUploadJob,
    ImportedOutcome,
    LinkageRun,
    OutcomeImport,
    OutcomeImportJob,
    Participation,
    ReviewDecision,
    RunStatus,
)
from passerelle.web.apps.beneficiaries.outcome_files import ParsedOutcomes, parse_outcomes
from passerelle.web.apps.beneficiaries.outcome_matching import (
    AMBIGUOUS,
    MATCHED,
    UNMATCHED,
    Candidate,
    RowMatch,
    lowest_rival,
    match_row,
)
from passerelle.web.apps.beneficiaries.uploads import ParsedUpload, UploadError, parse_upload
from passerelle.web.common.actors import Actor

logger = logging.getLogger(__name__)

REVIEW_LOW = 0.3
REVIEW_HIGH = 0.9
"""Pairs with a match probability in [REVIEW_LOW, REVIEW_HIGH) go to the review queue."""
MIN_RECORDS = 50
"""Fewer records than this cannot train the model (EM needs pairs)."""
RUN_STEPS = 9


class SectorKeyMissingError(RuntimeError):
    """The platform has no sector key (settings.LINKAGE_SECTOR_KEY_FILE)."""


def sector_key() -> bytes:
    """The sector key from the file named by settings (PASSERELLE_LINKAGE_KEY_FILE)."""
    path = settings.LINKAGE_SECTOR_KEY_FILE
    if not path:
        raise SectorKeyMissingError("PASSERELLE_LINKAGE_KEY_FILE is not set")
    return load_key(Path(path))


def programmes_of(organisation: Any) -> dict[str, list[str]]:
    """The organisation's programmes (slug → measure types, from the categories)."""
    from passerelle.web.apps.directory.models import Programme

    return {
        programme.slug: list(programme.categories)
        for programme in Programme.objects.filter(organisation=organisation)
        if programme.categories
    }


@transaction.atomic
def encodings_replace(
    *,
    organisation: Any,
    parsed: ParsedUpload,
    source: str,
    user: Any = None,
    actor_label: str = "",
) -> EncodingBatch:
    """Replace the organisation's encodings and participations by `parsed`, all or nothing.
    Uploads of one organisation are serialised: the organisation's row is locked first (on
    PostgreSQL), so a second upload waits for the first to commit and then replaces it,
    rather than failing on the one-batch-per-organisation constraint."""
    from passerelle.web.apps.directory.models import Organisation

    Organisation.objects.select_for_update(no_key=True).filter(pk=organisation.pk).first()
    previous = EncodingBatch.objects.select_for_update().filter(organisation=organisation).first()
    replaced = 0
    if previous is not None:
        replaced = previous.records
        previous.delete()
    batch = EncodingBatch.objects.create(
        organisation=organisation,
        source=source,
        records=parsed.encodings.height,
        participations=len(parsed.participations),
        created_by=user if getattr(user, "is_authenticated", False) else None,
    )
    _batch_rows_create(batch, parsed)
    audit_record(
        action=Action.ENCODINGS_REPLACE,
        actor=user,
        actor_label=actor_label,
        organisation=organisation,
        object_kind="encoding_batch",
        object_id=batch.pk,
        subject_organisation=organisation,
        detail={
            "source": source,
            "records": batch.records,
            "participations": batch.participations,
            "replaced_records": replaced,
        },
    )
    return batch


def _batch_rows_create(batch: EncodingBatch, parsed: ParsedUpload) -> None:
    """The batch's encoded records and their participations."""
    from passerelle.web.apps.directory.models import Programme

    organisation = batch.organisation
    columns = [column for column in ENCODED_COLUMNS if column != "record_id"]
    records = EncodedRecord.objects.bulk_create(
        [
            EncodedRecord(
                batch=batch,
                organisation=organisation,
                record_id=row["record_id"],
                encoding={column: row[column] for column in columns},
            )
            for row in parsed.encodings.iter_rows(named=True)
        ],
        batch_size=1000,
    )
    by_id = {record.record_id: record for record in records}
    if any(record.pk is None for record in records):  # backends without RETURNING
        by_id = {record.record_id: record for record in EncodedRecord.objects.filter(batch=batch)}
    programme_ids = dict(
        Programme.objects.filter(
            slug__in={row["programme"] for row in parsed.participations}
        ).values_list("slug", "pk")
    )
    Participation.objects.bulk_create(
        [
            Participation(
                record=by_id[row["record_id"]],
                programme_id=programme_ids[row["programme"]],
                measure_type=row["measure_type"],
                start_date=row["start_date"],
                end_date=row["end_date"],
            )
            for row in parsed.participations
        ],
        batch_size=1000,
    )


def encodings_upload(
    *,
    organisation: Any,
    user: Any,
    encodings: bytes,
    participations: bytes,
    actor_label: str = "",
) -> EncodingBatch:
    """Validate an organisation's files (UploadError lists every problem) and store them
    (from the page, or from the organisation's system through the API: `actor_label`)."""
    parsed = parse_upload(encodings, participations, programmes_of(organisation))
    return encodings_replace(
        organisation=organisation,
        parsed=parsed,
        source=BatchSource.UPLOAD,
        user=user,
        actor_label=actor_label,
    )


def _postcode(profile: dict[str, Any]) -> str | None:
    value = str(profile.get("postcode") or profile.get("municipality") or "").strip()
    if value.isdigit():
        return value
    knowledge = load_knowledge()
    municipality = knowledge.municipality_id(value) if value else None
    if municipality is None:
        return None
    postcodes = knowledge.municipalities[municipality].postcodes
    return postcodes[0] if len(postcodes) == 1 else None


def _participation(referral: Any) -> dict[str, Any]:
    """A referral that holds or held a place as a participation: its programme's first
    category as the measure, from the expected (or planned) start to its completion."""
    from passerelle.web.apps.referrals.models import State

    categories = list(referral.programme.categories) or ["other"]
    end = None
    if referral.state == State.COMPLETED:
        done = [e for e in referral.events.all() if e.to_state == State.COMPLETED]
        end = done[-1].at.date() if done else None
    return {
        "record_id": str(referral.person_id),
        "programme": referral.programme.slug,
        "measure_type": categories[0],
        "start_date": referral.expected_start or referral.planned_start,
        "end_date": end,
    }


def encodings_from_person_files(*, actor: Any, key: bytes | None = None) -> EncodingBatch:
    """Encode the actor's organisation's own person files with the sector key, on the
    server, with their participations (referrals received that hold or held a place), and
    replace the organisation's encodings. Files without a participation are left out."""
    from passerelle.web.apps.people.access import persons_for
    from passerelle.web.apps.referrals.models import HOLDS_A_PLACE, Referral

    key = key if key is not None else sector_key()
    organisation = actor.organisation
    persons = {
        str(person.pk): person for person in persons_for(actor).filter(organisation=organisation)
    }
    referrals = (
        Referral.objects.filter(
            receiver=organisation, state__in=HOLDS_A_PLACE, person_id__in=list(persons)
        )
        .select_related("programme")
        .prefetch_related("events")
    )
    participations = [_participation(referral) for referral in referrals]
    taking_part = {row["record_id"] for row in participations}
    rows = [
        {
            "record_id": record_id,
            "given_name": person.given_names_latin,
            "surname": person.family_name_latin,
            "birth_date": person.birth_date.isoformat() if person.birth_date else None,
            "postcode": _postcode(person.profile or {}),
            "phone": person.phone or None,
        }
        for record_id, person in persons.items()
        if record_id in taking_part
    ]
    frame = pl.DataFrame(
        rows,
        schema=dict.fromkeys(
            ("record_id", "given_name", "surname", "birth_date", "postcode", "phone"), pl.String
        ),
    )
    encoded = encode(frame, key, lenient_dates=True)  # names stay in this function
    return encodings_replace(
        organisation=organisation,
        parsed=ParsedUpload(encodings=encoded, participations=participations),
        source=BatchSource.PLATFORM,
        user=actor.user,
        actor_label=actor.label,
    )


def run_start(
    *,
    user: Any = None,
    actor_label: str = "",
    threshold: float = DEFAULT_THRESHOLD,
    review_low: float = REVIEW_LOW,
    review_high: float = REVIEW_HIGH,
) -> LinkageRun:
    """Create a run (status running); `run_execute` does the work."""
    if not 0 < review_low <= threshold < review_high < 1:
        raise ValueError(
            f"thresholds: need 0 < review_low ({review_low}) <= threshold ({threshold}) "
            f"< review_high ({review_high}) < 1"
        )
    label = actor_label or (user.get_username() if getattr(user, "is_authenticated", False) else "")
    return LinkageRun.objects.create(
        started_by=user if getattr(user, "is_authenticated", False) else None,
        started_by_label=label,
        threshold=threshold,
        review_low=review_low,
        review_high=review_high,
        steps=RUN_STEPS,
    )


def _step(run: LinkageRun, message: str) -> None:
    run.step = min(run.step + 1, run.steps)
    run.progress = message[:120]
    LinkageRun.objects.filter(pk=run.pk).update(step=run.step, progress=run.progress)


def _encoded_frame(records: list[tuple[Any, Any, Any, Any]]) -> pl.DataFrame:
    if len(records) < MIN_RECORDS:
        raise ValueError(
            _("records: {count} encoded records; a run needs at least {least}").format(
                count=len(records), least=MIN_RECORDS
            )
        )
    return pl.DataFrame(
        [{"record_id": str(pk), **encoding} for pk, _org, _rid, encoding in records],
        schema=dict.fromkeys(ENCODED_COLUMNS, pl.String),
    )


def _decisions(
    pk_of: dict[tuple[Any, Any], str],
) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """The reviewers' decisions on records still shared: links and non-links, by record pk."""
    links: list[tuple[str, str]] = []
    non_links: list[tuple[str, str]] = []
    for decision in ReviewDecision.objects.all():
        a = pk_of.get((decision.organisation_a_id, decision.record_id_a))
        b = pk_of.get((decision.organisation_b_id, decision.record_id_b))
        if a is None or b is None:
            continue
        (links if decision.decision == Decision.MATCH else non_links).append((a, b))
    return links, non_links


def _inside_engine_clusters(scored: pl.DataFrame, clusters: pl.DataFrame) -> pl.DataFrame:
    """The scored pairs whose two records the engine put in one cluster.

    The engine splits loose components at their weak links: only links it kept inside one
    of its clusters are automatic here, so that without decisions the clusters are exactly
    the engine's."""
    engine_cluster = clusters.select(
        pl.col("record_id").cast(pl.String), pl.col("cluster_id").cast(pl.String)
    )
    return (
        scored.join(
            engine_cluster.rename({"record_id": "record_id_l", "cluster_id": "cluster_l"}),
            on="record_id_l",
            how="left",
        )
        .join(
            engine_cluster.rename({"record_id": "record_id_r", "cluster_id": "cluster_r"}),
            on="record_id_r",
            how="left",
        )
        .filter(pl.col("cluster_l") == pl.col("cluster_r"))
    )


def _pairs_to_review(run: LinkageRun, scored: pl.DataFrame) -> list[CandidatePair]:
    """The uncertain pairs (between the review bounds, not vetoed), with their levels and
    weights per comparison only."""
    names = [c.removeprefix("level_") for c in scored.columns if c.startswith("level_")]
    uncertain = scored.filter(
        pl.col("match_probability").is_between(run.review_low, run.review_high, closed="left")
        & ~pl.col("vetoed")
    )
    return [
        CandidatePair(
            run=run,
            record_a_id=int(row["record_id_l"]),
            record_b_id=int(row["record_id_r"]),
            match_probability=row["match_probability"],
            match_weight=row["match_weight"],
            comparisons=[
                {
                    "comparison": name,
                    "level": row[f"level_{name}"],
                    "weight": round(row[f"weight_{name}"], 3),
                }
                for name in names
            ],
        )
        for row in uncertain.iter_rows(named=True)
    ]


@transaction.atomic
def _run_store(
    run: LinkageRun,
    records: list[tuple[Any, Any, Any, Any]],
    result: Any,
    pairs: list[CandidatePair],
    decisions_applied: int,
) -> None:
    """The clusters, the pairs to review and the run's figures, in one transaction, with
    the audit entry."""
    ClusterMember.objects.bulk_create(
        [
            ClusterMember(run=run, record_id=int(pk), cluster=number)
            for pk, number in result.cluster_of.items()
        ],
        batch_size=2000,
    )
    CandidatePair.objects.bulk_create(pairs, batch_size=1000)
    run.status = RunStatus.DONE
    run.finished_at = timezone.now()
    run.records = len(records)
    run.organisations = len({org for _pk, org, _rid, _e in records})
    run.clusters = len(set(result.cluster_of.values()))
    run.decisions_applied = decisions_applied
    run.step, run.progress = run.steps, gettext_noop("done")
    run.save()
    audit_record(
        action=Action.LINKAGE_RUN,
        actor=run.started_by,
        actor_label=run.started_by_label or "system",
        object_kind="linkage_run",
        object_id=run.pk,
        detail={
            "records": run.records,
            "organisations": run.organisations,
            "clusters": run.clusters,
            "pairs_to_review": len(pairs),
            "decisions_applied": run.decisions_applied,
            "links_skipped_by_decisions": result.links_skipped,
        },
    )


def run_execute(*, run_id: int, progress: Callable[[str], None] | None = None) -> LinkageRun:
    """Link every organisation's encodings, apply the decisions, store the clusters and
    the pairs to review. A failure is stored on the run (status failed), never half-results."""
    run = LinkageRun.objects.get(pk=run_id)

    def step(message: str) -> None:
        _step(run, message)
        if progress is not None:
            progress(message)

    try:
        step(gettext_noop("reading encodings"))
        records = list(
            EncodedRecord.objects.values_list("pk", "organisation_id", "record_id", "encoding")
        )
        frame = _encoded_frame(records)
        linked = dedupe_encoded(
            frame, threshold=run.threshold, progress=step, model=relearn.accepted_model()
        )
        step(gettext_noop("scoring pairs for review"))
        scored = score_pairs(frame, linked.model, min_probability=run.review_low)
        key_of = {str(pk): (org, rid) for pk, org, rid, _encoding in records}
        links, non_links = _decisions({value: pk for pk, value in key_of.items()})
        step(gettext_noop("clustering with decisions"))
        kept = _inside_engine_clusters(scored, linked.clusters)
        result = cluster(
            list(key_of),
            kept.select("record_id_l", "record_id_r", "match_probability", "vetoed").iter_rows(),
            threshold=run.threshold,
            links=links,
            non_links=non_links,
        )
        run.model = linked.model
        _run_store(run, records, result, _pairs_to_review(run, scored), len(links) + len(non_links))
    except Exception as error:  # the run records why it failed; nothing half-written
        logger.exception("linkage run %s failed", run.pk)
        LinkageRun.objects.filter(pk=run.pk).update(
            status=RunStatus.FAILED, error=str(error)[:300], finished_at=timezone.now()
        )
        run.refresh_from_db()
    return run


@transaction.atomic
def decision_record(*, user: Any, pair_id: int, decision: str) -> ReviewDecision:
    """A coordinator's decision on a pair to review; the latest decision on a pair counts
    and is applied by every later run."""
    if decision not in Decision.values:
        raise ValueError(f"decision: {decision!r}; allowed: {', '.join(Decision.values)}")
    pair = CandidatePair.objects.select_related("record_a", "record_b").get(pk=pair_id)
    first, second = sorted(
        (pair.record_a, pair.record_b), key=lambda r: (r.organisation_id, r.record_id)
    )
    made, _created = ReviewDecision.objects.update_or_create(
        organisation_a_id=first.organisation_id,
        record_id_a=first.record_id,
        organisation_b_id=second.organisation_id,
        record_id_b=second.record_id,
        defaults={"decision": decision, "decided_by": user, "run": pair.run},
    )
    audit_record(
        action=Action.LINKAGE_DECISION,
        actor=user,
        object_kind="review_decision",
        object_id=made.pk,
        detail={
            "pair": pair.pk,
            "run": pair.run_id,
            "decision": decision,
            "match_probability": round(pair.match_probability, 4),
        },
    )
    return made


@transaction.atomic
def encodings_forget_person(*, person: Any) -> int:
    """Delete the encodings made from a person file on the platform (record id: the file's
    id), with their participations, run memberships, review pairs and decisions, when the
    file is erased or purged: encodings are keyed hashes of the name, birth date and phone,
    so personal data under the GDPR. The batch's counts follow. An organisation's own
    uploads use its own record ids, which the platform cannot tie to a file: it deletes them
    by uploading again (docs/beneficiaries.md). Returns how many records were deleted."""
    record_id = str(person.pk)
    records = EncodedRecord.objects.filter(organisation=person.organisation_id, record_id=record_id)
    for record in records.select_related("batch").select_for_update(of=("self",)):
        batch = record.batch
        gone = Participation.objects.filter(record=record).count()
        EncodingBatch.objects.filter(pk=batch.pk).update(
            records=max(batch.records - 1, 0), participations=max(batch.participations - gone, 0)
        )
    deleted = records.count()
    records.delete()
    ReviewDecision.objects.filter(
        organisation_a=person.organisation_id, record_id_a=record_id
    ).delete()
    ReviewDecision.objects.filter(
        organisation_b=person.organisation_id, record_id_b=record_id
    ).delete()
    # outcomes imported for this person are personal data linked to the file too
    ImportedOutcome.objects.filter(
        organisation=person.organisation_id, record_id=record_id
    ).delete()
    return deleted


# --- administrative outcomes imported (docs/outcomes.md) ------------------------------------


class NoRunToMatchError(RuntimeError):
    """No finished linkage run holds a model to match outcome rows with."""


@dataclass
class OutcomesResult:
    """What an import did (or, with `dry_run`, would do). Row numbers count from 1 after the
    header."""

    sha256: str
    rows: int
    stored: int = 0
    already_stored: int = 0
    unmatched_rows: list[int] = field(default_factory=list)
    ambiguous_rows: list[int] = field(default_factory=list)
    run_id: int | None = None
    import_id: int | None = None
    repeated: bool = False
    """The same file was imported before (`import_id`): nothing was stored this time."""
    dry_run: bool = False

    def counts(self) -> dict[str, Any]:
        """The run, the counts and whether the file came again: no row, no value."""
        return {
            "run": self.run_id,
            "rows": self.rows,
            "stored": self.stored,
            "already_stored": self.already_stored,
            "unmatched": len(self.unmatched_rows),
            "ambiguous": len(self.ambiguous_rows),
            "repeated": self.repeated,
        }


OutcomesProgress = Callable[[str, int, int], None]
"""progress(step, done, total)."""


def _outcome_run() -> LinkageRun:
    run = (
        LinkageRun.objects.filter(status=RunStatus.DONE, model__isnull=False)
        .order_by("-started_at", "-id")
        .first()
    )
    if run is None:
        raise NoRunToMatchError(
            _(
                "no finished linkage run to match with: run the linkage first "
                "(passerelle link-run, or the linkage runs page)"
            )
        )
    return run


def outcome_matches(
    parsed: ParsedOutcomes, run: LinkageRun, progress: OutcomesProgress | None = None
) -> dict[int, RowMatch]:
    """Each row's match (by row number) against the persons of `run`, with the run's model
    and thresholds. Rows with the same encodings are scored once, so that a person's several
    outcomes in one file do not count as look-alikes of each other (the engine's candidate
    adjustment)."""

    def step(name: str, done: int, total: int) -> None:
        if progress is not None:
            progress(name, done, total)

    if run.model is None:
        raise NoRunToMatchError(_("linkage run {id} kept no model").format(id=run.pk))
    members = list(
        ClusterMember.objects.filter(run=run).values_list(
            "record_id",
            "cluster",
            "record__organisation_id",
            "record__record_id",
            "record__encoding",
        )
    )
    identity = [column for column in ENCODED_COLUMNS if column != "record_id"]
    rows = parsed.encodings.with_columns(
        pl.concat_str([pl.col(c).fill_null("") for c in identity], separator="|").alias("key")
    )
    first_of = rows.group_by("key", maintain_order=True).agg(
        pl.col("record_id").first().alias("identity"), pl.col("record_id").alias("rows")
    )
    identities = rows.filter(pl.col("record_id").is_in(first_of["identity"].implode()))
    step("scoring", 0, 1)
    platform = pl.DataFrame(
        [{"record_id": f"p{pk}", **encoding} for pk, _c, _o, _r, encoding in members],
        schema=dict.fromkeys(ENCODED_COLUMNS, pl.String),
    )
    incoming = identities.select((pl.lit("r") + pl.col("record_id")).alias("record_id"), *identity)
    scored = score_pairs(
        pl.concat([platform, incoming]), run.model, min_probability=lowest_rival(run.threshold)
    )
    step("scoring", 1, 1)
    candidates = _candidates_by_row(scored, members)
    matches: dict[int, RowMatch] = {}
    total = first_of.height
    for index, (identity_row, same_rows) in enumerate(
        first_of.select("identity", "rows").iter_rows(), start=1
    ):
        found = match_row(candidates.get(identity_row, []), threshold=run.threshold)
        for row in same_rows:
            matches[int(row)] = found
        if index % 1000 == 0 or index == total:
            step("matching", index, total)
    return matches


def _candidates_by_row(
    scored: pl.DataFrame, members: list[tuple[Any, ...]]
) -> dict[str, list[Candidate]]:
    """For each row of the file (by its record id), the platform's records it may be: the
    scored pairs between a platform record (`p` + its key) and a row (`r` + its id)."""
    of_record = {f"p{pk}": (cluster, (org, rid)) for pk, cluster, org, rid, _e in members}
    candidates: dict[str, list[Candidate]] = {}
    for left, right, probability, vetoed in scored.select(
        "record_id_l", "record_id_r", "match_probability", "vetoed"
    ).iter_rows():
        if vetoed or not (left.startswith("p") and right.startswith("r")):
            continue  # pairs within the platform or within the file
        person, record = of_record[left]
        candidates.setdefault(right[1:], []).append(Candidate(record, person, probability))
    return candidates


def _outcome_key(record: tuple[int, str], row: Any) -> tuple[int, str, dt.date, str, str, str, Any]:
    return (
        record[0],
        record[1],
        row.outcome_date,
        row.source,
        row.situation,
        row.contract_type,
        row.hours,
    )


def outcomes_import(
    *,
    content: bytes,
    user: Any = None,
    actor_label: str = "",
    dry_run: bool = False,
    today: dt.date | None = None,
    progress: OutcomesProgress | None = None,
) -> OutcomesResult:
    """Import a file of outcomes: validate it (UploadError names every problem), match its
    rows to persons of the latest run, and store the matched ones, all or nothing, once
    per file (by its SHA-256): a file imported before stores nothing again. Rows identical
    to an outcome already stored from another file are not stored twice. With `dry_run`,
    nothing is stored. Audited (counts only)."""
    sha256 = hashlib.sha256(content).hexdigest()
    earlier = OutcomeImport.objects.filter(sha256=sha256).first()
    if earlier is not None:
        result = OutcomesResult(
            sha256=sha256,
            rows=earlier.rows,
            stored=0,
            already_stored=earlier.stored + earlier.already_stored,
            unmatched_rows=list(earlier.unmatched_rows),
            ambiguous_rows=list(earlier.ambiguous_rows),
            run_id=earlier.run_id,
            import_id=earlier.pk,
            repeated=True,
            dry_run=dry_run,
        )
        if not dry_run:
            _audit_outcomes(result, user, actor_label)
        return result
    parsed = parse_outcomes(
        content,
        today=today or timezone.localdate(),
        progress=(lambda done, total: progress("reading", done, total)) if progress else None,
    )
    run = _outcome_run()
    matches = outcome_matches(parsed, run, progress)
    result = OutcomesResult(
        sha256=sha256,
        rows=len(parsed.rows),
        run_id=run.pk,
        unmatched_rows=sorted(n for n, m in matches.items() if m.status == UNMATCHED),
        ambiguous_rows=sorted(n for n, m in matches.items() if m.status == AMBIGUOUS),
        dry_run=dry_run,
    )
    if dry_run:
        result.stored = sum(1 for m in matches.values() if m.status == MATCHED)
        return result
    try:
        # one transaction (a savepoint inside a caller's): a process that dies in the
        # middle leaves nothing of the file stored, and a rival's commit is seen below
        with transaction.atomic():
            return _outcomes_store(parsed, matches, run, result, user, actor_label, progress)
    except IntegrityError:
        # the same file, imported at the same moment by someone else: theirs counts
        if not OutcomeImport.objects.filter(sha256=sha256).exists():
            raise
        return outcomes_import(content=content, user=user, actor_label=actor_label, today=today)


@transaction.atomic
def _stored_outcome_keys(records: set[tuple[int, str]]) -> set[tuple[Any, ...]]:
    """The outcomes already stored for these (organisation, record id) pairs, as
    `_outcome_key` gives them."""
    return set(
        ImportedOutcome.objects.filter(record_id__in={rid for _org, rid in records}).values_list(
            "organisation_id",
            "record_id",
            "outcome_date",
            "source",
            "situation",
            "contract_type",
            "hours",
        )
    )


def _outcomes_store(
    parsed: ParsedOutcomes,
    matches: dict[int, RowMatch],
    run: LinkageRun,
    result: OutcomesResult,
    user: Any,
    actor_label: str,
    progress: OutcomesProgress | None,
) -> OutcomesResult:
    matched = [(matches[row.row], row) for row in parsed.rows if matches[row.row].status == MATCHED]
    records = {match.record for match, _row in matched if match.record is not None}
    existing = _stored_outcome_keys(records)
    is_authenticated = getattr(user, "is_authenticated", False)
    made = OutcomeImport.objects.create(
        sha256=result.sha256,
        run=run,
        rows=result.rows,
        stored=0,
        unmatched=len(result.unmatched_rows),
        ambiguous=len(result.ambiguous_rows),
        unmatched_rows=result.unmatched_rows,
        ambiguous_rows=result.ambiguous_rows,
        sources=sorted({row.source for row in parsed.rows}),
        imported_by=user if is_authenticated else None,
        imported_by_label=actor_label or (user.get_username() if is_authenticated else ""),
    )
    outcomes = []
    for match, row in matched:
        if match.record is None or match.probability is None:
            continue
        key = _outcome_key(match.record, row)
        if key in existing:
            result.already_stored += 1
            continue
        existing.add(key)
        outcomes.append(
            ImportedOutcome(
                outcome_import=made,
                organisation_id=match.record[0],
                record_id=match.record[1],
                match_probability=match.probability,
                outcome_date=row.outcome_date,
                situation=row.situation,
                contract_type=row.contract_type,
                hours=row.hours,
                source=row.source,
            )
        )
    ImportedOutcome.objects.bulk_create(outcomes, batch_size=2000)
    made.stored, made.already_stored = len(outcomes), result.already_stored
    made.save(update_fields=["stored", "already_stored"])
    result.stored, result.import_id = len(outcomes), made.pk
    if progress is not None:
        progress("storing", len(outcomes), len(outcomes))
    _audit_outcomes(result, user, actor_label)
    return result


def _audit_outcomes(result: OutcomesResult, user: Any, actor_label: str) -> None:
    audit_record(
        action=Action.OUTCOMES_IMPORT,
        actor=user,
        actor_label=actor_label,
        object_kind="outcome_import",
        object_id=result.import_id or "",
        detail={"sha256": result.sha256, **result.counts()},
    )


# --- imports as tasks (docs/operations.md, "Imports"; the job's life is jobs.py's) ---------


def outcomes_job_create(
    *,
    content: bytes,
    user: Any = None,
    actor_label: str = "",
    dry_run: bool = False,
    language: str = "",
) -> OutcomeImportJob:
    """Keep a file of outcomes for its import: by the task (`tasks.outcomes_import_queue`)
    or by the caller itself (`passerelle import-outcomes --wait`)."""
    return OutcomeImportJob.objects.create(
        content=content,
        sha256=hashlib.sha256(content).hexdigest(),
        dry_run=dry_run,
        language=language,
        **job_requester(user, actor_label),
    )


def job_report(result: OutcomesResult) -> dict[str, Any]:
    """What a job keeps of its import: the counts and the row numbers (never a row)."""
    return {
        "import": result.import_id,
        **result.counts(),
        "unmatched_rows": result.unmatched_rows,
        "ambiguous_rows": result.ambiguous_rows,
        "dry_run": result.dry_run,
    }


def outcomes_job_run(
    *, job_id: int, progress: OutcomesProgress | None = None, last_attempt: bool = False
) -> str:
    """Import the job's file (what the task and `import-outcomes --wait` run) and return the
    job's status (`jobs.job_run`: all or nothing, once)."""

    def work(job: OutcomeImportJob) -> dict[str, Any]:
        try:
            result = outcomes_import(
                content=bytes(job.content or b""),
                user=job.requested_by,
                actor_label=job.requested_by_label,
                dry_run=job.dry_run,
                progress=progress,
            )
        except NoRunToMatchError as error:
            raise UploadError([("file", str(error))]) from error
        return {
            "report": job_report(result),
            "outcome_import_id": None if result.dry_run else result.import_id,
        }

    return job_run(OutcomeImportJob, job_id, work, last_attempt=last_attempt)


def outcomes_job_lost(times: int, job_id: int) -> None:
    """The queue's `lost` hook of an outcome import (`jobs.job_lost`)."""
    job_lost(OutcomeImportJob, times, job_id)


def outcomes_job_requeue(job_id: int) -> None:
    """The queue's `retried` hook of an outcome import (`jobs.job_requeue`)."""
    job_requeue(OutcomeImportJob, job_id)


def encodings_job_create(
    *,
    organisation: Any,
    encodings: bytes | None = None,
    participations: bytes | None = None,
    from_person_files: bool = False,
    role: str = "",
    user: Any = None,
    actor_label: str = "",
    language: str = "",
) -> EncodingsUploadJob:
    """Keep an organisation's two files for the task (`tasks.encodings_upload_queue`), or,
    `from_person_files`, ask the task to encode its person files as `role`."""
    return EncodingsUploadJob.objects.create(
        organisation=organisation,
        content=encodings,
        participations=participations,
        from_person_files=from_person_files,
        role=role,
        language=language,
        **job_requester(user, actor_label),
    )


def _encoded_person_files(job: EncodingsUploadJob) -> EncodingBatch:
    """The job's organisation's person files encoded and shared, as the requester."""
    actor = Actor(
        organisation=job.organisation,
        role=job.role or None,
        label=job.requested_by_label,
        user=job.requested_by,
    )
    try:
        return encodings_from_person_files(actor=actor)
    except (SectorKeyMissingError, KeyFileError) as error:
        message = gettext("The platform has no sector key: ask the platform administrator.")
        raise UploadError([("key", message)]) from error


def encodings_job_run(*, job_id: int, last_attempt: bool = False) -> str:
    """Validate and store the job's files (`encodings_upload`: they replace the
    organisation's encodings, all or nothing), or encode its person files, and return the
    job's status (`jobs.job_run`: stored once)."""

    def work(job: EncodingsUploadJob) -> dict[str, Any]:
        if job.from_person_files:
            batch = _encoded_person_files(job)
        else:
            batch = encodings_upload(
                organisation=job.organisation,
                user=job.requested_by,
                encodings=bytes(job.content or b""),
                participations=bytes(job.participations or b""),
                actor_label=job.requested_by_label,
            )
        report = {"records": batch.records, "participations": batch.participations}
        return {"report": report, "batch": batch}

    return job_run(EncodingsUploadJob, job_id, work, last_attempt=last_attempt)


def encodings_job_lost(times: int, job_id: int) -> None:
    """The queue's `lost` hook of an encodings upload (`jobs.job_lost`)."""
    job_lost(EncodingsUploadJob, times, job_id)


def encodings_job_requeue(job_id: int) -> None:
    """The queue's `retried` hook of an encodings upload (`jobs.job_requeue`)."""
    job_requeue(EncodingsUploadJob, job_id)


def run_lost(times: int, run_id: int) -> None:
    """A linkage run whose workers died `times` times: failed, with the reason (its task,
    retried by an administrator, runs it again from the start)."""
    run = LinkageRun.objects.select_for_update().filter(pk=run_id).first()
    if run is None or run.status != RunStatus.RUNNING:
        return
    run.status, run.finished_at, run.error = RunStatus.FAILED, timezone.now(), worker_stopped(times)
    run.save(update_fields=["status", "finished_at", "error"])
    logger.warning("linkage run %s failed: its worker stopped %s times", run_id, times)
