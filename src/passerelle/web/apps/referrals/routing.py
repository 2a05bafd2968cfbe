"""Where to refer: organisations' published protocols, and the knowledge base's
partnerships that route people between their members (by age, say)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Q
from django.utils.translation import gettext as _

from passerelle.core.profile import ProfileError
from passerelle.core.rules.explain import evaluate
from passerelle.core.rules.fields import DateOutOfCoverageError
from passerelle.core.rules.situation import Situation
from passerelle.knowledge.criteria import CriteriaError, parse_criterion
from passerelle.knowledge.loader import load_knowledge
from passerelle.web.apps.directory.models import Programme
from passerelle.web.apps.directory.selectors import programmes_visible
from passerelle.web.apps.people.models import Person
from passerelle.web.apps.people.schemas import PersonDataError, rules_profile
from passerelle.web.apps.referrals.eligibility import eligibility_on
from passerelle.web.apps.referrals.models import RoutingProtocol
from passerelle.web.common.labels import request_language


@dataclass(frozen=True)
class Suggestion:
    programme: Programme
    why: str
    reasons: tuple[str, ...]


def protocols_on(on: dt.date) -> list[RoutingProtocol]:
    return list(
        RoutingProtocol.objects.filter(valid_from__lte=on)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=on))
        .select_related("organisation", "programme")
    )


def suggestions_for(person: Person, on: dt.date) -> list[Suggestion]:
    knowledge = load_knowledge()
    language = request_language()
    found: dict[int, Suggestion] = {}
    try:
        situation = Situation(rules_profile(person.birth_date, person.profile), knowledge)
    except ProfileError:
        return []
    for protocol in protocols_on(on):
        try:
            result = evaluate(parse_criterion(protocol.criteria), situation, on)
        except (CriteriaError, DateOutOfCoverageError):
            continue
        if result.outcome:
            found.setdefault(
                protocol.programme_id,
                Suggestion(
                    protocol.programme,
                    _("{organisation}'s protocol “{name}”").format(
                        organisation=protocol.organisation.name(language), name=protocol.name
                    ),
                    tuple(condition.text for condition in result.conditions),
                ),
            )
    for partnership in knowledge.partnerships.values():
        if not partnership.routing_basis:
            continue
        programmes = programmes_visible().filter(organisation__slug__in=partnership.members)
        for programme in programmes:
            if programme.pk in found:
                continue
            answer = eligibility_on(person, programme, on)
            if answer["status"] == "eligible":
                found[programme.pk] = Suggestion(
                    programme,
                    _("{partnership} (routing by {basis})").format(
                        partnership=partnership.names.get(language) or partnership.id,
                        basis=", ".join(partnership.routing_basis),
                    ),
                    tuple(answer["reasons"]),
                )
    return list(found.values())


def protocol_publish(
    *,
    organisation: Any,
    programme: Programme,
    name: str,
    criteria: object,
    valid_from: dt.date,
    valid_to: dt.date | None,
    by: Any,
) -> RoutingProtocol:
    try:
        parse_criterion(criteria, "criteria")
    except CriteriaError as error:
        raise PersonDataError({"criteria": str(error)}) from None
    if valid_to is not None and valid_to < valid_from:
        raise PersonDataError({"valid_to": "must be on or after valid_from"})
    if not name.strip():
        raise PersonDataError({"name": "give the protocol a name"})
    return RoutingProtocol.objects.create(
        organisation=organisation,
        programme=programme,
        name=name.strip(),
        criteria=criteria,
        valid_from=valid_from,
        valid_to=valid_to,
        published_by=by,
    )
