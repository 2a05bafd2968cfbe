"""The rules' reasons stored with a referral carry the language they are written in, so that
a reader of another language hears them in the right voice (issue 22, item 2)."""

from __future__ import annotations

import pytest
from django.template import Context, Template
from django.utils import translation
from tests.support.referrals import PLANNED, Network

from passerelle.core.i18n import language_of
from passerelle.web.apps.referrals.services import referral_create

pytestmark = pytest.mark.django_db


def test_referral_eligibility_reasons_are_stored_with_their_language(
    consented: Network,
) -> None:
    with translation.override("nl"), language_of("nl"):
        referral = referral_create(
            actor=consented.actor("cw_a"),
            person_id=consented.person.pk,
            programme=consented.mentoring,
            planned_start=PLANNED,
            fields=["identity", "contact", "profile"],
        )
    assert referral.eligibility["language"] == "nl"
    with translation.override("ar"):
        html = Template(
            "{% load passerelle %}<ul{% foreign_attrs eligibility.language %}></ul>"
        ).render(Context({"eligibility": referral.eligibility}))
    assert html == '<ul lang="nl" dir="ltr"></ul>'
