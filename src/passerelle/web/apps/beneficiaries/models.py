"""Unique beneficiaries across organisations, from encodings only.

Each organisation's records arrive as keyed Bloom-filter encodings (`passerelle encode`,
or the platform encoding its own person files with the sector key) together with their
programme participations. Nothing here holds a name, a birth date, a postcode or a phone
number in clear: an `EncodedRecord` is the organisation's record id and the encodings.

A `LinkageRun` links every organisation's encodings (`core.linkage`), keeps the clusters
(one cluster = one person) and the candidate pairs whose match probability lies between
the review thresholds; a coordinator's `ReviewDecision` on a pair (match / not a match) is
kept by the organisations' record ids, so later runs apply it even after new uploads.
"""

from __future__ import annotations

import uuid
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

# The outcomes' vocabulary, shared with the follow-ups (re-exported: outcome_files reads it here).
from passerelle.web.common.outcomes import ContractType as ContractType
from passerelle.web.common.outcomes import Situation as Situation


class BatchSource(models.TextChoices):
    UPLOAD = "upload", _("encodings uploaded by the organisation")
    PLATFORM = "platform", _("person files encoded on the platform")


class EncodingBatch(models.Model):
    """The encodings an organisation shares: one current batch per organisation; a new
    upload replaces it in one transaction."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.OneToOneField(
        "directory.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    source = models.CharField(max_length=16, choices=BatchSource.choices)
    records = models.PositiveIntegerField(default=0)
    participations = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("encoding batch")
        verbose_name_plural = _("encoding batches")


class EncodedRecord(models.Model):
    """One record of an organisation, as encodings only (the columns of `bloom.encode`
    without `record_id`, in `encoding`)."""

    batch = models.ForeignKey(EncodingBatch, on_delete=models.CASCADE, related_name="items")
    organisation = models.ForeignKey(
        "directory.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    record_id = models.CharField(max_length=64)
    encoding = models.JSONField()

    class Meta:
        constraints = (
            models.UniqueConstraint(
                fields=("organisation", "record_id"), name="one_encoding_per_record"
            ),
        )


class Participation(models.Model):
    """A record's participation in a programme: what the counts are made of."""

    record = models.ForeignKey(
        EncodedRecord, on_delete=models.CASCADE, related_name="participations"
    )
    programme = models.ForeignKey("directory.Programme", on_delete=models.PROTECT, related_name="+")
    measure_type = models.CharField(max_length=32)
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True)


class RunStatus(models.TextChoices):
    RUNNING = "running", _("running")
    DONE = "done", _("done")
    FAILED = "failed", _("failed")


class LinkageRun(models.Model):
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_by_label = models.CharField(max_length=150, blank=True)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=RunStatus.choices, default=RunStatus.RUNNING)
    step = models.PositiveSmallIntegerField(default=0)
    steps = models.PositiveSmallIntegerField(default=8)
    progress = models.CharField(max_length=120, blank=True)
    error = models.CharField(max_length=300, blank=True)
    threshold = models.FloatField()
    review_low = models.FloatField()
    review_high = models.FloatField()
    records = models.PositiveIntegerField(default=0)
    organisations = models.PositiveIntegerField(default=0)
    clusters = models.PositiveIntegerField(default=0)
    decisions_applied = models.PositiveIntegerField(default=0)
    model = models.JSONField(null=True, blank=True, editable=False)
    """The Fellegi-Sunter model the run scored its pairs with (m and u per comparison
    level): imported outcomes are matched with it, at the run's thresholds."""

    class Meta:
        ordering = ("-started_at", "-id")
        verbose_name = _("linkage run")
        verbose_name_plural = _("linkage runs")


class ClusterMember(models.Model):
    """Which person (cluster) a record belongs to in a run."""

    run = models.ForeignKey(LinkageRun, on_delete=models.CASCADE, related_name="members")
    record = models.ForeignKey(EncodedRecord, on_delete=models.CASCADE, related_name="+")
    cluster = models.PositiveIntegerField()

    class Meta:
        indexes = (models.Index(fields=("run", "cluster")),)


class CandidatePair(models.Model):
    """A pair of records with an uncertain match probability (between the run's review
    thresholds): levels and weights per comparison, never a field value."""

    run = models.ForeignKey(LinkageRun, on_delete=models.CASCADE, related_name="pairs")
    record_a = models.ForeignKey(EncodedRecord, on_delete=models.CASCADE, related_name="+")
    record_b = models.ForeignKey(EncodedRecord, on_delete=models.CASCADE, related_name="+")
    match_probability = models.FloatField()
    match_weight = models.FloatField()
    comparisons = models.JSONField(default=list)

    class Meta:
        ordering = ("match_probability", "id")


class Decision(models.TextChoices):
    MATCH = "match", _("the same person")
    NON_MATCH = "non_match", _("not the same person")


class ReviewDecision(models.Model):
    """A coordinator's decision on a pair, by the organisations' record ids (the first of
    the two in the order (organisation id, record id)); the latest decision counts."""

    organisation_a = models.ForeignKey(
        "directory.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    record_id_a = models.CharField(max_length=64)
    organisation_b = models.ForeignKey(
        "directory.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    record_id_b = models.CharField(max_length=64)
    decision = models.CharField(max_length=16, choices=Decision.choices)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(auto_now=True)
    run = models.ForeignKey(
        LinkageRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = (
            models.UniqueConstraint(
                fields=("organisation_a", "record_id_a", "organisation_b", "record_id_b"),
                name="one_decision_per_pair",
            ),
        )


class OutcomeImport(models.Model):
    """One file of administrative outcomes, imported once (its SHA-256 is unique): what
    matched, and the row numbers of what did not. No row of the file is kept in clear."""

    sha256 = models.CharField(max_length=64, unique=True)
    run = models.ForeignKey(LinkageRun, on_delete=models.PROTECT, related_name="+")
    rows = models.PositiveIntegerField()
    stored = models.PositiveIntegerField()
    already_stored = models.PositiveIntegerField(default=0)
    unmatched = models.PositiveIntegerField()
    ambiguous = models.PositiveIntegerField()
    unmatched_rows = models.JSONField(default=list)
    ambiguous_rows = models.JSONField(default=list)
    sources = models.JSONField(default=list)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    imported_by_label = models.CharField(max_length=150, blank=True)
    imported_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("-imported_at", "-id")
        verbose_name = _("outcome import")
        verbose_name_plural = _("outcome imports")


class ImportedOutcome(models.Model):
    """A person's situation on a date from an outside source, linked to the person by an
    organisation's record (organisation, record id: as review decisions are, so the link
    outlives runs and new uploads of the same records); the person is that record's
    cluster in a run. Only the link, the outcome, the date, the source and the import."""

    outcome_import = models.ForeignKey(
        OutcomeImport, on_delete=models.CASCADE, related_name="outcomes"
    )
    organisation = models.ForeignKey(
        "directory.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    record_id = models.CharField(max_length=64)
    match_probability = models.FloatField()
    outcome_date = models.DateField()
    situation = models.CharField(max_length=20, choices=Situation.choices)
    contract_type = models.CharField(max_length=16, choices=ContractType.choices, blank=True)
    hours = models.DecimalField(max_digits=4, decimal_places=1, null=True, blank=True)
    source = models.CharField(max_length=64)

    class Meta:
        indexes = (models.Index(fields=("organisation", "record_id")),)
        ordering = ("outcome_date", "id")


class ImportStatus(models.TextChoices):
    QUEUED = "queued", _("queued")
    RUNNING = "running", _("running")
    DONE = "done", _("done")
    FAILED = "failed", _("failed")


class ImportJob(models.Model):
    """What the three imports' jobs share (docs/operations.md, "Imports"): a file kept for,
    or imported by, a task. The upload waits in `content` (and in the subclass's other
    `CONTENT_FIELDS`) only until the task ends: it is cleared when the import is done or
    has failed. `report` is what the import found (counts, row numbers), `problems` why it
    failed (field, message), as the page and the command show them. The lifecycle
    (start, end, failure, a lost worker, an administrator's retry) is `jobs.py`'s."""

    CONTENT_FIELDS: ClassVar[tuple[str, ...]] = ("content",)
    KIND: ClassVar[str] = ""
    """The import's name in logs and audit entries."""

    status = models.CharField(max_length=16, choices=ImportStatus.choices, default="queued")
    content = models.BinaryField(null=True, editable=False)
    language = models.CharField(max_length=16, blank=True)
    """The language the requester reads the problems in ("" for English)."""
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_by_label = models.CharField(max_length=150, blank=True)
    requested_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    report = models.JSONField(null=True, blank=True)
    problems = models.JSONField(default=list, blank=True)

    class Meta:
        abstract = True
        ordering = ("-requested_at", "-id")

    @property
    def finished(self) -> bool:
        return self.status in (ImportStatus.DONE, ImportStatus.FAILED)

    def has_upload(self) -> bool:
        """Whether there is something to import again (an administrator's retry)."""
        return all(getattr(self, name) is not None for name in self.CONTENT_FIELDS)


class OutcomeImportJob(ImportJob):
    """A file of outcomes waiting for, or imported by, the task `outcomes_import_job`. The
    file holds the source's keyed encodings and outcomes, never a name in clear (the file's
    checks refuse one)."""

    KIND = "outcomes"

    sha256 = models.CharField(max_length=64)
    dry_run = models.BooleanField(default=False)
    outcome_import = models.ForeignKey(
        OutcomeImport, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta(ImportJob.Meta):
        verbose_name = _("outcome import task")
        verbose_name_plural = _("outcome import tasks")


class EncodingsUploadJob(ImportJob):
    """An organisation's upload of its encodings (`content`, the file `passerelle encode`
    wrote: keyed encodings only, the file's checks refuse a column in clear) and of its
    participations (record id, programme, measure, dates), waiting for, or stored by, the
    task `encodings_upload_job`. Both files are deleted when the job ends; `batch` is what
    it stored, until a later upload replaces it. With `from_person_files` there is no file:
    the task encodes the organisation's own person files ("Encode and share") as `role`."""

    CONTENT_FIELDS = ("content", "participations")
    KIND = "encodings"

    organisation = models.ForeignKey(
        "directory.Organisation", on_delete=models.CASCADE, related_name="+"
    )
    participations = models.BinaryField(null=True, editable=False)
    batch = models.ForeignKey(
        EncodingBatch, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    from_person_files = models.BooleanField(default=False)
    role = models.CharField(max_length=32, blank=True)
    """The requester's role in the organisation, which the encoding of its files acts as."""

    class Meta(ImportJob.Meta):
        verbose_name = _("encodings upload task")
        verbose_name_plural = _("encodings upload tasks")

    def has_upload(self) -> bool:
        return self.from_person_files or super().has_upload()
