"""Person files: held by one organisation, shared only through a disclosure backed by the
person's consent (or a coordinator's recorded override).

Every read of these models goes through `people.access` (a test fails when a view or API
module imports them). Ids are random UUIDs, so a guessed id finds nothing.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from passerelle.web.common.versions import VersionRow


class FieldGroup(models.TextChoices):
    """The parts of a file that consent and disclosure name, one by one."""

    IDENTITY = "identity", _("names")
    BIRTH_DATE = "birth_date", _("birth date")
    CONTACT = "contact", _("contact details")
    PROFILE = "profile", _("status, dates and languages (what the rules need)")
    EDUCATION = "education", _("literacy and diplomas")
    EXPERIENCE = "experience", _("work experience and wishes")
    SOCIAL_NEEDS = "social_needs", _("social needs")


class FileStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("person file", "open")
    CLOSED = "closed", pgettext_lazy("person file", "closed")
    ANONYMISED = "anonymised", pgettext_lazy("person file", "anonymised")


class Person(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(
        "directory.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    given_names = models.CharField(_("given names, as the person writes them"), max_length=200)
    family_name = models.CharField(
        _("family name, as the person writes it"), max_length=200, blank=True
    )
    given_names_latin = models.CharField(_("given names, in Latin letters"), max_length=200)
    family_name_latin = models.CharField(
        _("family name, in Latin letters"), max_length=200, blank=True
    )
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    language = models.CharField(_("language for letters and exports"), max_length=2, default="fr")
    profile = models.JSONField(default=dict, blank=True)
    assessment = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=16, choices=FileStatus.choices, default=FileStatus.OPEN)
    closed_on = models.DateField(null=True, blank=True)
    anonymised_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = (
            "family_name_latin",
            "given_names_latin",
        )
        indexes = (
            models.Index(
                fields=(
                    "organisation",
                    "status",
                )
            ),
        )


class PersonVersion(VersionRow):
    """Who changed what, when: one row per change of a file, with the old and new values of
    each changed field. Removed with the file's personal data at erasure."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="versions")

    class Meta:
        ordering = ("-number",)
        constraints = (
            models.UniqueConstraint(fields=["person", "number"], name="one_row_per_version"),
        )


class ConsentPurpose(models.TextChoices):
    REFERRAL = "referral", _("disclosure to a named organisation for a referral")
    MATCHING = "matching", _("matching with mentors, internships and vacancies")
    RESEARCH = "research", _("research statistics")
    FOLLOW_UP = "follow_up", _("follow-up of the situation 6 and 12 months after a programme")


class Consent(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="consents")
    purpose = models.CharField(max_length=16, choices=ConsentPurpose.choices)
    recipient = models.ForeignKey(
        "directory.Organisation",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The organisation the data may go to (referral consent only)."),
    )
    fields = models.JSONField(default=list)
    given_on = models.DateField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)
    withdrawn_on = models.DateField(null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = (
            "-given_on",
            "-recorded_at",
        )

    @property
    def active(self) -> bool:
        return self.withdrawn_on is None


class Disclosure(models.Model):
    """Fields of a file made visible to another organisation, under a consent or, when the
    person could not consent, a coordinator's override with a written reason."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="disclosures")
    recipient = models.ForeignKey(
        "directory.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    fields = models.JSONField(default=list)
    consent = models.ForeignKey(
        Consent, null=True, blank=True, on_delete=models.PROTECT, related_name="disclosures"
    )
    override_reason = models.TextField(blank=True)
    disclosed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    disclosed_at = models.DateTimeField(auto_now_add=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-disclosed_at",)
