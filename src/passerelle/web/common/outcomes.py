"""A person's situation on a date and the contract types of employment: one vocabulary for
the outcomes an outside source reports (beneficiaries' outcome imports, docs/outcomes.md)
and those a caseworker records at a follow-up (followups, docs/follow-ups.md), so that the
analysis side reads both the same way.

The contract types and their legal texts are in docs/outcomes.md."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Situation(models.TextChoices):
    """A person's situation on a date (issue 17)."""

    EMPLOYED = "employed", _("employed")
    TRAINING = "training", _("in training or education")
    LOOKING = "looking_for_work", _("looking for work")
    NOT_LOOKING = "not_looking", _("not looking for work")
    MOVED_AWAY = "moved_away", _("moved away")
    UNREACHABLE = "unreachable", _("unreachable")


class ContractType(models.TextChoices):
    PERMANENT = "permanent", _("permanent contract")
    FIXED_TERM = "fixed_term", _("fixed-term contract")
    INTERIM = "interim", _("interim (temporary agency work)")
    ARTICLE_60 = "article_60", _("article 60 (employment through the CPAS/OCMW)")
    SELF_EMPLOYED = "self_employed", _("self-employed")
