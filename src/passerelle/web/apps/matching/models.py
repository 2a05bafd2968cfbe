"""Matching in the platform: mentors (volunteers of a mentoring organisation), internship
offers of host organisations, vacancies of employers, and matching rounds with their
proposals. The engine is `passerelle.core.matching`; candidates are person files whose
consent covers matching (`candidates.py`).

A proposal names its person by id and by a pseudonym within the round ("candidate 7"):
the coordinator of the organisation running the programme reviews pseudonyms, reasons and
the referring organisation, never a name from another organisation's file; identities
cross organisations only through the referral that confirmation sends (with consent).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from passerelle.core.matching.explain import render

ISCO_VALIDATOR = RegexValidator(r"^[0-9]{2,4}$", _("an ISCO-08 code of 2 to 4 digits"))
LANGUAGE_VALIDATOR = RegexValidator(r"^[a-z]{2}$", _("an ISO 639-1 code of two letters"))


class Cefr(models.TextChoices):
    A1 = "A1", "A1"
    A2 = "A2", "A2"
    B1 = "B1", "B1"
    B2 = "B2", "B2"
    C1 = "C1", "C1"
    C2 = "C2", "C2"


class KindChoices(models.TextChoices):
    """The engine's `passerelle.core.matching.model.Kind` as the database's choices, with
    labels: the engine's enum is the one that computes, this one is stored and shown."""

    MENTORING = "mentoring", _("mentoring")
    INTERNSHIP = "internship", _("internship")
    VACANCY = "vacancy", _("vacancy")


class Timestamped(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    active = models.BooleanField(_("open for matching"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class Mentor(Timestamped):
    """A volunteer mentor, a record of the mentoring organisation (Duo for a Job, say)."""

    organisation = models.ForeignKey(
        "directory.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    label = models.CharField(
        _("name or initials, as the organisation knows the mentor"), max_length=80
    )
    age = models.PositiveSmallIntegerField(
        _("age"), validators=[MinValueValidator(18), MaxValueValidator(99)]
    )
    retired = models.BooleanField(_("retired"), default=True)
    occupations = models.JSONField(
        _("former occupations (ISCO-08 codes)"), default=list, blank=True
    )
    sectors = models.JSONField(
        _("sectors (ISCO-08 major or sub-major groups)"), default=list, blank=True
    )
    languages = models.JSONField(
        _("languages with the mentor's CEFR level"), default=dict, blank=True
    )
    mentee_level = models.CharField(
        _("level a mentee needs in one of these languages"),
        max_length=2,
        choices=Cefr.choices,
        default=Cefr.A2,
    )
    municipality = models.CharField(_("municipality"), max_length=80, blank=True)
    available_from = models.DateField(_("available from"), null=True, blank=True)
    available_to = models.DateField(_("available until"), null=True, blank=True)
    max_mentees = models.PositiveSmallIntegerField(
        _("mentees at once"), default=1, validators=[MinValueValidator(1), MaxValueValidator(10)]
    )

    class Meta:
        ordering = ("label",)
        verbose_name = _("mentor")
        verbose_name_plural = _("mentors")

    def __str__(self) -> str:
        return self.label


class InternshipOffer(Timestamped):
    """An internship at a host organisation (two weeks at an international organisation,
    for Tandem), offered through a programme whose coordinator matches it."""

    host = models.ForeignKey("directory.Organisation", on_delete=models.PROTECT, related_name="+")
    programme = models.ForeignKey("directory.Programme", on_delete=models.PROTECT, related_name="+")
    title = models.CharField(_("title"), max_length=120)
    occupation = models.CharField(
        _("field (ISCO-08 code)"), max_length=4, blank=True, validators=[ISCO_VALIDATOR]
    )
    working_language = models.CharField(
        _("working language"), max_length=2, default="en", validators=[LANGUAGE_VALIDATOR]
    )
    language_level = models.CharField(
        _("minimum level in the working language"),
        max_length=2,
        choices=Cefr.choices,
        default=Cefr.B1,
    )
    municipality = models.CharField(_("municipality"), max_length=80, blank=True)
    start_date = models.DateField(_("first day"))
    end_date = models.DateField(_("last day"))
    allowance = models.DecimalField(
        _("allowance (euros a day)"), max_digits=7, decimal_places=2, null=True, blank=True
    )
    places = models.PositiveSmallIntegerField(
        _("places"), default=1, validators=[MinValueValidator(1), MaxValueValidator(50)]
    )

    class Meta:
        ordering = ("start_date", "title")
        verbose_name = _("internship offer")
        verbose_name_plural = _("internship offers")

    def __str__(self) -> str:
        return self.title


class Vacancy(Timestamped):
    """A job an employer wants to fill, published through a matching programme."""

    employer = models.ForeignKey(
        "directory.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    programme = models.ForeignKey(
        "directory.Programme",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The programme whose coordinator proposes candidates."),
    )
    title = models.CharField(_("title"), max_length=120)
    occupation = models.CharField(
        _("occupation (ISCO-08 code)"), max_length=4, validators=[ISCO_VALIDATOR]
    )
    languages = models.JSONField(
        _("accepted languages with the minimum CEFR level (any one suffices)"),
        default=dict,
        blank=True,
    )
    diploma_isced_required = models.PositiveSmallIntegerField(
        _("minimum diploma (ISCED level)"),
        null=True,
        blank=True,
        validators=[MaxValueValidator(8)],
    )
    recognition_required = models.BooleanField(
        _("a foreign diploma must be recognised"), default=False
    )
    driving_licence_required = models.BooleanField(_("driving licence required"), default=False)
    municipality = models.CharField(_("municipality"), max_length=80, blank=True)
    start_date = models.DateField(_("start date"))
    posts = models.PositiveSmallIntegerField(
        _("posts"), default=1, validators=[MinValueValidator(1), MaxValueValidator(100)]
    )

    class Meta:
        ordering = ("start_date", "title")
        verbose_name = _("vacancy")
        verbose_name_plural = _("vacancies")

    def __str__(self) -> str:
        return self.title


class RoundStatus(models.TextChoices):
    PROPOSED = "proposed", pgettext_lazy("matching round", "proposed")
    CONFIRMED = "confirmed", pgettext_lazy("matching round", "confirmed")


class MatchingRound(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(
        "directory.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    programme = models.ForeignKey("directory.Programme", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=16, choices=KindChoices.choices)
    on = models.DateField(_("round date"))
    options = models.JSONField(default=dict)
    summary = models.JSONField(default=dict)
    status = models.CharField(
        max_length=16, choices=RoundStatus.choices, default=RoundStatus.PROPOSED
    )
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_by_label = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    confirmed_by_label = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ("-created_at",)
        verbose_name = _("matching round")
        verbose_name_plural = _("matching rounds")


class ProposalStatus(models.TextChoices):
    PROPOSED = "proposed", pgettext_lazy("matching proposal", "proposed")
    UNMATCHED = "unmatched", pgettext_lazy("matching proposal", "no match")
    REMOVED = "removed", pgettext_lazy("matching proposal", "removed")
    CONFIRMED = "confirmed", pgettext_lazy("matching proposal", "referred")
    CONSENT_MISSING = "consent_missing", _("not referred: no consent to disclose")
    REFUSED = "refused", _("not referred: refused by the referral rules")


class Proposal(models.Model):
    """One person's outcome in a round: a proposed match, or none with the reason."""

    round = models.ForeignKey(MatchingRound, on_delete=models.CASCADE, related_name="proposals")
    number = models.PositiveIntegerField()
    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="+")
    referring_organisation = models.ForeignKey(
        "directory.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(max_length=16, choices=ProposalStatus.choices)
    reason = models.CharField(max_length=32, help_text=_("The engine's reason code."))
    mentor = models.ForeignKey(
        Mentor, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    offer = models.ForeignKey(
        InternshipOffer, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    vacancy = models.ForeignKey(
        Vacancy, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    start_date = models.DateField(null=True, blank=True)
    fit = models.FloatField(null=True, blank=True)
    probability = models.FloatField(null=True, blank=True)
    terms = models.JSONField(default=dict)
    explanation = models.JSONField(
        default=list,
        help_text=_(
            "Why this match or none: the engine's terms ({code, params}), rendered in the "
            "reader's language when read."
        ),
    )
    adjusted = models.BooleanField(default=False)
    problem = models.TextField(blank=True)
    referral = models.ForeignKey(
        "referrals.Referral", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ("number",)
        constraints = (
            models.UniqueConstraint(fields=["round", "number"], name="one_number_per_round"),
        )

    @property
    def explanation_text(self) -> list[str]:
        """The explanation in the reader's language (`passerelle.core.i18n`, set per request
        by `EngineLanguageMiddleware`). Rows stored before the terms existed hold sentences
        in their author's language: they are shown as they are."""
        return [render(item) for item in self.explanation or []]

    @property
    def slot(self) -> Mentor | InternshipOffer | Vacancy | None:
        return self.mentor or self.offer or self.vacancy
