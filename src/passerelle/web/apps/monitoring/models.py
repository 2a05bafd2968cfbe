"""What the monitoring app keeps between views: the figures' aggregates (every recorded
change marks its person pending; the pending ones are taken in before the next view and by
the queue, `aggregates.py`) and the evaluations computed by the
queue (`tasks.py`). Aggregates only: no name, no file id (persons by their stable id)."""

from __future__ import annotations

from django.db import models


class AggregateCell(models.Model):
    """One measure of one cell of a scope's aggregates (`core.indicators.aggregates`): the
    sum over the scope's persons."""

    scope = models.CharField(max_length=160)
    family = models.CharField(max_length=32)
    part = models.CharField(max_length=160, blank=True, default="")
    """The programme, for the funder report's families (so that a report reads its own)."""
    cell = models.CharField(max_length=400)
    measure = models.CharField(max_length=32)
    value = models.BigIntegerField()

    class Meta:
        constraints = (
            models.UniqueConstraint(
                fields=("scope", "family", "cell", "measure"), name="aggregate_cell_unique"
            ),
        )
        indexes = (models.Index(fields=("scope", "family", "part"), name="aggregate_cell_read"),)


class AggregatePerson(models.Model):
    """A person's rows (the engine's frames, linked) as last taken in: what a change of
    this person subtracts (their cells) before it adds those of the new rows."""

    person_id = models.BigIntegerField(primary_key=True)
    frames = models.TextField()
    """JSON: the person's rows of the persons, holders, events and referrals frames."""


class AggregatePending(models.Model):
    """A person file whose change the aggregates have not taken in yet: what every write
    leaves (one plain insert, in its own transaction, so that writes never wait on one
    another), and what the applier (`aggregates.aggregates_apply`) takes in and deletes.
    No unique key: two writes of the same file leave two rows, neither waits."""

    id = models.BigAutoField(primary_key=True)
    file = models.CharField(max_length=64)


class AggregateState(models.Model):
    """The one row that says what the aggregates were built for (a rebuild is needed when
    any of these changes) and counts the changes applied since (`version`)."""

    as_of = models.DateField(null=True)
    secret = models.CharField(max_length=64, blank=True, default="")
    links = models.CharField(max_length=200, blank=True, default="")
    partnerships = models.CharField(max_length=64, blank=True, default="")
    version = models.BigIntegerField(default=0)
    built_at = models.DateTimeField(null=True)
    build_seconds = models.FloatField(default=0.0)


class EvaluationState(models.TextChoices):
    COMPUTING = "computing"
    DONE = "done"
    FAILED = "failed"


class PlatformEvaluationRun(models.Model):
    """A platform evaluation (programme x scope) computed by the queue for one version of
    the records; the page shows the latest finished one, and says when a newer computes."""

    scope = models.CharField(max_length=160)
    programme = models.CharField(max_length=160)
    version = models.CharField(max_length=64)
    """A digest of the records' version the evaluation was computed on."""
    state = models.CharField(max_length=16, choices=EvaluationState.choices)
    result = models.BinaryField(null=True)
    """The pickled `data.PlatformEvaluation` (computed here, never from outside)."""
    error = models.TextField(blank=True, default="")
    queued_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True)

    class Meta:
        constraints = (
            models.UniqueConstraint(
                fields=("scope", "programme", "version"), name="evaluation_run_unique"
            ),
        )
        indexes = (
            models.Index(
                fields=("scope", "programme", "state", "finished_at"), name="evaluation_run_latest"
            ),
        )
