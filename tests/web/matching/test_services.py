"""Rounds, proposals and confirmation through the services; access; field errors."""

from __future__ import annotations

import pytest
from django.utils import timezone
from tests.support.matching import ROUND_DAY, Setting

from passerelle.web.apps.audit.models import Action, AuditEntry
from passerelle.web.apps.matching import access, services
from passerelle.web.apps.matching.candidates import candidates_on
from passerelle.web.apps.matching.models import ProposalStatus, RoundStatus
from passerelle.web.apps.matching.schemas import MatchingDataError
from passerelle.web.apps.referrals.models import Referral, State
from passerelle.web.common.actors import Actor, OperationDeniedError

pytestmark = pytest.mark.django_db


def start(setting: Setting, **options: object):  # type: ignore[no-untyped-def]
    return services.round_start(
        actor=setting.actor("co_b"),
        programme=setting.mentoring,
        kind="mentoring",
        on=ROUND_DAY,
        **options,
    )


def test_candidates_are_the_files_whose_consent_covers_matching(setting: Setting) -> None:
    found = {c.person.pk for c in candidates_on(ROUND_DAY)}
    assert setting.persons["not_matching"].pk not in found
    assert found == {setting.persons[k].pk for k in ("consented", "no_disclosure", "elsewhere")}
    engine = next(
        c.engine for c in candidates_on(ROUND_DAY) if c.person.organisation.slug == "bapa-bxl"
    )
    assert engine.occupation == "7112"
    assert engine.organisation == "bapa-bxl"
    assert engine.profile.languages == {"ti": "C2", "fr": "A2"}
    assert engine.diploma_isced == 3
    assert engine.diploma_foreign is True


def test_round_proposes_every_candidate_a_mentor_within_capacity(setting: Setting) -> None:
    matching_round = start(setting)
    proposals = list(matching_round.proposals.all())
    assert len(proposals) == 3
    assert matching_round.summary["places"] == 3
    assert all(p.status == ProposalStatus.PROPOSED for p in proposals)
    per_mentor: dict[str, int] = {}
    for proposal in proposals:
        per_mentor[proposal.mentor.label] = per_mentor.get(proposal.mentor.label, 0) + 1
        assert proposal.fit is not None
        assert 0 < proposal.fit <= 100
        assert set(proposal.terms) >= {"language", "occupation", "commute"}
        assert proposal.explanation_text[0].startswith("matched with")
        assert any(line.startswith("language +") for line in proposal.explanation_text)
    assert per_mentor == {"Marc": 1, "Anne": 2}
    entry = AuditEntry.objects.get(action=Action.MATCHING_ROUND)
    assert entry.object_id == str(matching_round.pk)
    assert entry.detail["matched"] == 3


def test_unmatched_people_get_their_reason(setting: Setting) -> None:
    setting.mentors[1].active = False
    setting.mentors[1].save()
    matching_round = start(setting)
    unmatched = list(matching_round.proposals.filter(status=ProposalStatus.UNMATCHED))
    assert len(unmatched) == 2
    assert {p.reason for p in unmatched} == {"capacity"}
    assert all(p.mentor is None and p.explanation for p in unmatched)
    assert matching_round.summary["unmatched"] == {"capacity": 2}


def test_too_old_for_duo_is_refused_with_the_rule(setting: Setting) -> None:
    from tests.support.accounts import actor_of
    from tests.support.matching import candidate

    older = candidate(actor_of(setting.users["cw_a"]), "Tekle")
    older.birth_date = older.birth_date.replace(year=1980)
    older.save()
    proposal = start(setting).proposals.get(person=older)
    assert proposal.status == ProposalStatus.UNMATCHED
    assert proposal.reason == "rules"
    assert "age" in " ".join(proposal.explanation_text)


def test_confirm_creates_referrals_and_reports_missing_consent(setting: Setting) -> None:
    matching_round = start(setting)
    done = services.round_confirm(actor=setting.actor("co_b"), round_id=matching_round.pk)
    assert (done.referred, done.consent_missing, done.refused) == (2, 1, 0)
    referrals = Referral.objects.filter(programme=setting.mentoring)
    assert {r.person_id for r in referrals} == {
        setting.persons["consented"].pk,
        setting.persons["elsewhere"].pk,
    }
    for referral in referrals:
        assert referral.state == State.SENT
        assert referral.sender_id == referral.person.organisation_id  # the holder refers
        assert referral.receiver == setting.organisations["b"]
        assert referral.disclosure is not None  # shared under the person's consent
    missing = matching_round.proposals.get(person=setting.persons["no_disclosure"])
    assert missing.status == ProposalStatus.CONSENT_MISSING
    assert missing.referral is None
    assert "consent" in missing.problem
    matching_round.refresh_from_db()
    assert matching_round.status == RoundStatus.CONFIRMED
    assert AuditEntry.objects.filter(action=Action.MATCHING_CONFIRM).count() == 1
    with pytest.raises(MatchingDataError):
        services.round_confirm(actor=setting.actor("co_b"), round_id=matching_round.pk)
    # Referred persons wait no more: the next round leaves them out.
    following = start(setting)
    assert following.proposals.count() == 1


def test_removed_proposals_are_not_referred_and_people_can_move(setting: Setting) -> None:
    marc, anne = setting.mentors
    anne.active = False
    anne.save()
    matching_round = start(setting)  # Marc's one place: one match, two without
    actor = setting.actor("co_b")
    matched = matching_round.proposals.get(status=ProposalStatus.PROPOSED)
    waiting = list(matching_round.proposals.filter(status=ProposalStatus.UNMATCHED))
    with pytest.raises(MatchingDataError) as caught:  # Marc's place is taken
        services.proposal_move(
            actor=actor, round_id=matching_round.pk, number=waiting[0].number, slot=marc.pk
        )
    assert set(caught.value.errors) == {"slot"}
    services.proposal_remove(actor=actor, round_id=matching_round.pk, number=matched.number)
    moved = services.proposal_move(
        actor=actor, round_id=matching_round.pk, number=waiting[0].number, slot=marc.pk
    )
    assert moved.status == ProposalStatus.PROPOSED
    assert moved.mentor_id == marc.pk
    assert moved.adjusted
    assert moved.explanation_text[0] == "changed by the coordinator"
    assert moved.fit is not None
    with pytest.raises(MatchingDataError):  # restoring would give Marc two mentees
        services.proposal_restore(actor=actor, round_id=matching_round.pk, number=matched.number)
    done = services.round_confirm(actor=actor, round_id=matching_round.pk)
    assert done.referred + done.consent_missing == 1
    assert not Referral.objects.filter(person=matched.person).exists()
    assert AuditEntry.objects.filter(action=Action.MATCHING_PROPOSAL).count() == 2


def test_another_organisation_can_neither_run_nor_see_a_round(setting: Setting) -> None:
    with pytest.raises(OperationDeniedError):
        services.round_start(
            actor=setting.actor("co_a"),
            programme=setting.mentoring,
            kind="mentoring",
            on=ROUND_DAY,
        )
    with pytest.raises(OperationDeniedError):  # a caseworker of Duo does not run rounds
        services.round_start(
            actor=setting.actor("cw_b"),
            programme=setting.mentoring,
            kind="mentoring",
            on=ROUND_DAY,
        )
    matching_round = start(setting)
    for name in ("co_a", "cw_c", "employer"):
        with pytest.raises(access.MatchingNotFoundError):
            access.round_for(setting.actor(name), matching_round.pk)
        with pytest.raises(access.MatchingNotFoundError):
            services.round_confirm(actor=setting.actor(name), round_id=matching_round.pk)
    assert not Referral.objects.exists()


def test_round_input_errors_name_their_fields(setting: Setting) -> None:
    with pytest.raises(MatchingDataError) as caught:
        services.round_start(
            actor=setting.actor("co_b"),
            programme=setting.mentoring,
            kind="dating",
            on=ROUND_DAY,
            min_score=140,
        )
    assert set(caught.value.errors) == {"kind", "min_score"}


def test_offer_and_vacancy_errors_name_their_fields(setting: Setting) -> None:
    employer = setting.actor("employer")
    with pytest.raises(MatchingDataError) as caught:
        services.vacancy_save(
            actor=employer,
            data={
                "title": "Bricklayer",
                "occupation": "71123",
                "languages": "fr:Z9",
                "municipality": "Atlantis",
            },
        )
    assert set(caught.value.errors) == {"occupation", "languages", "start_date", "municipality"}
    assert "A1" in caught.value.errors["languages"]
    with pytest.raises(MatchingDataError) as caught:
        services.offer_save(
            actor=employer,
            data={
                "title": "Two weeks at the OECD",
                "programme": "duo-for-a-job-mentoring",
                "start_date": "2026-12-07",
                "end_date": "2027-02-01",
            },
        )
    assert set(caught.value.errors) == {"end_date"}
    offer = services.offer_save(
        actor=employer,
        data={
            "title": "Two weeks",
            "programme": "duo-for-a-job-mentoring",
            "start_date": "2026-12-07",
        },
    )
    assert (offer.end_date - offer.start_date).days == 13  # two weeks by default
    with pytest.raises(OperationDeniedError):  # employers keep no mentors
        services.mentor_save(actor=employer, data={"label": "X", "age": 70, "languages": "fr:C2"})
    with pytest.raises(OperationDeniedError):  # caseworkers publish no vacancies
        services.vacancy_save(actor=setting.actor("cw_a"), data={})


def test_places_taken_by_another_round_are_not_given_twice(setting: Setting) -> None:
    first, second = start(setting), start(setting)
    done = services.round_confirm(actor=setting.actor("co_b"), round_id=first.pk)
    assert done.referred == 2
    again = services.round_confirm(actor=setting.actor("co_b"), round_id=second.pk)
    assert again.referred == 0
    assert again.refused == 2
    assert Referral.objects.count() == 2


def test_internship_and_vacancy_rounds(setting: Setting, make_user) -> None:  # type: ignore[no-untyped-def]
    from tests.support.accounts import actor_of
    from tests.support.matching import make_organisation
    from tests.support.referrals import make_programme

    from passerelle.web.apps.accounts.models import Membership

    tandem = make_organisation("tandem", kind="ngo")
    internships = make_programme(tandem, "tandem-internship")
    coordinator = make_user("co_tandem")
    Membership.objects.create(user=coordinator, organisation=tandem, role="coordinator")
    host = setting.actor("employer")
    services.offer_save(
        actor=host,
        data={
            "title": "Two weeks at an agency",
            "programme": "tandem-internship",
            "working_language": "fr",
            "language_level": "A2",
            "start_date": "2026-12-07",
            "places": 2,
        },
    )
    services.offer_save(  # before the round: not offered
        actor=host,
        data={"title": "Last month", "programme": "tandem-internship", "start_date": "2026-11-02"},
    )
    matching_round = services.round_start(
        actor=actor_of(coordinator), programme=internships, kind="internship", on=ROUND_DAY
    )
    assert matching_round.summary["slots"] == 1
    assert matching_round.summary["matched"] == 2
    assert {p.offer.title for p in matching_round.proposals.exclude(offer=None)} == {
        "Two weeks at an agency"
    }
    # A vacancy published through Duo's programme: the right to work decides, not Duo's rules.
    services.vacancy_save(
        actor=host,
        data={
            "title": "Bricklayer",
            "occupation": "7112",
            "languages": "fr:B1",
            "start_date": "2027-01-04",
            "programme": "duo-for-a-job-mentoring",
        },
    )
    vacancy_round = services.round_start(
        actor=setting.actor("co_b"), programme=setting.mentoring, kind="vacancy", on=ROUND_DAY
    )
    reasons = {p.reason for p in vacancy_round.proposals.all()}
    assert reasons == {"language"}  # French A2 where B1 is required, for all three
    assert "French A2 where B1 is required" in " ".join(
        vacancy_round.proposals.first().explanation_text
    )


def test_a_mentor_counts_every_occupation_and_sector(setting: Setting) -> None:
    """A former lawyer who worked in building (sector 71) mentors bricklayers (7112); a
    coordinator may still move someone to a mentor of other occupations."""
    for mentor in setting.mentors:
        mentor.active = False
        mentor.save()
    keeper = setting.actor("cw_b")
    rania, omar = (
        services.mentor_save(
            actor=keeper,
            data={
                "label": label,
                "age": 64,
                "occupations": occupations,
                "sectors": sectors,
                "languages": "fr:C2",
                "max_mentees": places,
            },
        )
        for label, occupations, sectors, places in (
            ("Rania", "2611", "71", 2),
            ("Omar", "2611 2612", "", 1),
        )
    )
    matching_round = start(setting)
    matched = list(matching_round.proposals.filter(status=ProposalStatus.PROPOSED))
    assert [p.mentor_id for p in matched] == [rania.pk, rania.pk]
    for proposal in matched:
        assert proposal.terms["occupation"] == 12.5  # two digits of four in common
        assert any("ISCO 7112 and 71" in line for line in proposal.explanation_text)
    waiting = matching_round.proposals.get(status=ProposalStatus.UNMATCHED)
    moved = services.proposal_move(
        actor=setting.actor("co_b"),
        round_id=matching_round.pk,
        number=waiting.number,
        slot=omar.pk,
    )
    assert moved.mentor_id == omar.pk


def test_a_round_without_choices_runs_as_the_one_click_and_the_api_ones(
    setting: Setting,
) -> None:
    """The defaults of a round are written once, in the service: a programme alone gives
    the programme's kind, today, no minimum score, priority to those waiting longest and no
    balancing (the one-click round's and the API's choices)."""
    matching_round = services.round_start(actor=setting.actor("co_b"), programme=setting.mentoring)
    assert matching_round.kind == "mentoring"  # duo-for-a-job-mentoring is a mentoring programme
    assert matching_round.on == timezone.localdate()
    assert matching_round.options == {
        "min_score": 0.0,
        "waiting_priority": True,
        "balance_organisations": False,
    }


def test_the_matching_page_opens_for_whoever_keeps_or_runs_something(setting: Setting) -> None:
    for name in ("cw_a", "co_b", "employer"):
        assert access.may_open_matching(setting.actor(name)), name
    # A platform role (no organisation role) has nothing to keep nor run there.
    nobody = Actor(organisation=setting.organisations["b"], label="analyst")
    assert not access.may_open_matching(nobody)
    with pytest.raises(OperationDeniedError):
        access.check_mentors(nobody)
    with pytest.raises(OperationDeniedError):
        access.check_offers(setting.actor("cw_a"), write=True)
