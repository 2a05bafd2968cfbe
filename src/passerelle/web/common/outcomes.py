"""A person's situation on a date and the contract types of employment: one vocabulary for
the outcomes an outside source reports (beneficiaries' outcome imports, docs/outcomes.md)
and those a caseworker records at a follow-up (followups, docs/follow-ups.md), so that the
analysis side reads both the same way.

The contract types and their legal texts are in docs/outcomes.md; the bound on weekly hours
shared by both paths is `MAX_HOURS_PER_WEEK`."""

from __future__ import annotations

from decimal import Decimal

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


MAX_HOURS_PER_WEEK = Decimal(60)
"""The most weekly hours a recorded or imported outcome may state: one bound for follow-ups
and outcome imports alike (docs/follow-ups.md, "Hours per week").

The law: an employee's normal working time is at most 8 hours a day and 38 a week (Labour
Act of 16 March 1971, art. 19, the 38 hours since 1 January 2003 by the Act of 10 August
2001); with the overtime the Act allows (art. 25 and 26), actual working time may not
exceed 11 hours a day or 50 hours a week (art. 27, §1). Secondary source: ILO CEACR, Direct
Request on Convention No. 1, Belgium, adopted 2009 (it cites sections 26bis(1) and 27(1):
"actual working time may not exceed 11 hours a day or 50 hours a week"), and FPS Employment,
"Working time and rest periods" (the 8 and 38 hours).

ASSUMPTION: the number 60 itself. No text bounds a survey answer: a person may hold two
jobs, be self-employed (no legal bound on working time) or work under a scheme without a
weekly ceiling (Act of 17 March 1987, 12 hours a day). 60 is the legal ceiling of 50 plus
room for such weeks; it catches typing errors (380 for 38.0) without refusing a long week
that happens."""
