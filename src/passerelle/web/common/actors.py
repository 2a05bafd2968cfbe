"""Who acts, and what the roles and scopes let them do: the actor of every staff page and
API call, the policy table, and the two refusals every app answers the same way.

An *actor* is a staff user acting for one of their organisations (pages) or an
organisation's API token (API). What it acts on stands in a relation to the actor's
organisation (`Relation`); `POLICY` (roles) and `SCOPE_OPERATIONS` (token scopes) say
which operations each relation allows. Something in no relation does not exist for the
actor: lookups raise `PersonNotFoundError` (answered 404, so that a guessed id reveals
nothing); a visible thing whose operation is not allowed raises `OperationDeniedError`
(answered 403). The lookups themselves live in each app's `access` module.

This module imports no app but the accounts models (the roles, scopes and tokens an actor
is made of), so every app can use it without an import cycle (import-linter contract).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from passerelle.web.apps.accounts.models import (
    EMPLOYER_KINDS,
    PERSON_DATA_SCOPES,
    ApiScope,
    ApiToken,
    Role,
)

Operation = Literal[
    # person files (own, disclosed)
    "list", "view", "edit", "export", "erase", "consent", "override", "audit", "refer",
    # referrals (sender, receiver)
    "referral_view", "referral_act",
    # the organisation's own records and settings (organisation)
    "mentors_view", "mentors_edit", "offers_view", "offers_edit", "rounds_view", "rounds_run",
    "encodings_share", "settings_view", "settings", "integrations", "aggregates_view",
]  # fmt: skip
"""Every operation `POLICY` and `SCOPE_OPERATIONS` name."""
Relation = Literal["own", "disclosed", "sender", "receiver", "organisation"]
"""How what is acted on stands to the actor's organisation: a person file it holds (`own`)
or was shown (`disclosed`); a referral it sent (`sender`) or received (`receiver`); its own
records, settings and integrations (`organisation`: mentors, offers, vacancies, matching
rounds, encodings, capacities). Anything else is `other` and does not exist for the actor."""

_FILE = frozenset({"list", "view", "edit", "export", "consent", "refer"})
_REFERRAL = frozenset({"referral_view", "referral_act"})
_MENTORS = frozenset({"mentors_view", "mentors_edit"})
_OFFERS = frozenset({"offers_view", "offers_edit"})
_RUNNING = frozenset(
    {"rounds_view", "rounds_run", "encodings_share", "settings_view", "settings", "aggregates_view"}
)

POLICY: dict[str, dict[Relation, frozenset[str]]] = {
    Role.CASEWORKER: {
        "own": _FILE,
        "disclosed": frozenset({"list", "view"}),
        "sender": _REFERRAL,
        "receiver": _REFERRAL,
        "organisation": _MENTORS | {"settings_view"},
    },
    Role.COORDINATOR: {
        "own": _FILE | {"erase", "override"},
        "disclosed": frozenset({"list", "view"}),
        "sender": _REFERRAL,
        "receiver": _REFERRAL,
        "organisation": _MENTORS | _OFFERS | _RUNNING,
    },
    Role.ORG_ADMIN: {
        "own": _FILE | {"erase", "override", "audit"},
        "disclosed": frozenset({"list", "view"}),
        "sender": _REFERRAL,
        "receiver": _REFERRAL,
        "organisation": _MENTORS | _OFFERS | _RUNNING | {"integrations"},
    },
    # Employers and host organisations publish offers and vacancies and read the gap
    # analysis (counts): no person file, no referral, no disclosure, whatever their
    # organisation receives.
    Role.EMPLOYER: {
        "own": frozenset(),
        "disclosed": frozenset(),
        "sender": frozenset(),
        "receiver": frozenset(),
        "organisation": _OFFERS,
    },
}
"""What each organisation role may do, by relation: the one table that decides every role ×
action × relation for person files, referrals, matching and encodings (people,
referrals, matching and beneficiaries ask `Actor.allowed`). Platform admins and analysts
have no organisation role: they never see a person, a referral or a round. docs/people.md
prints it; tests/web/people/test_authorization_matrix.py and
tests/web/security/test_authorization_matrix.py check every cell through pages and API."""

SCOPE_OPERATIONS: dict[str, dict[Relation, frozenset[str]]] = {
    ApiScope.PERSONS_READ: {
        "own": frozenset({"list", "view"}),
        "disclosed": frozenset({"list", "view"}),
    },
    ApiScope.PERSONS_WRITE: {"own": frozenset({"edit", "refer"})},
    ApiScope.PERSONS_EXPORT: {"own": frozenset({"export"})},
    ApiScope.REFERRALS_READ: {
        "sender": frozenset({"referral_view"}),
        "receiver": frozenset({"referral_view"}),
    },
    ApiScope.REFERRALS_WRITE: {
        "sender": frozenset({"referral_act"}),
        "receiver": frozenset({"referral_act"}),
    },
    ApiScope.MATCHING_READ: {
        "organisation": frozenset({"mentors_view", "offers_view", "rounds_view"})
    },
    ApiScope.MATCHING_WRITE: {
        "organisation": frozenset({"mentors_edit", "offers_edit", "rounds_run"})
    },
    ApiScope.ENCODINGS_WRITE: {"organisation": frozenset({"encodings_share"})},
}
"""What an API token's scopes allow, by relation, in the same terms as `POLICY`. A token
never erases, overrides a missing consent or reads the audit log. Creating a referral
needs `refer` on the file (persons:write) and `referral_act` (referrals:write)."""


class PersonNotFoundError(LookupError):
    """No such file for this actor (also when it exists elsewhere): answer 404."""


class OperationDeniedError(PermissionError):
    """The actor sees the file but may not do this: answer 403."""


@dataclass(frozen=True)
class Actor:
    organisation: Any
    """The directory Organisation the actor acts for, or None (platform roles)."""
    label: str
    role: str | None = None
    scopes: frozenset[str] = frozenset()
    user: Any = None
    token: ApiToken | None = None

    def allowed(self, operation: str, relation: Relation) -> bool:
        """May the actor do `operation` on something in `relation` to its organisation?
        The only place where roles and scopes are read (POLICY, SCOPE_OPERATIONS)."""
        if self.organisation is None:
            return False
        if self.token is not None:
            return any(
                operation in SCOPE_OPERATIONS.get(scope, {}).get(relation, frozenset())
                for scope in self.scopes
            )
        if self.role is None:
            return False
        return operation in POLICY[self.role][relation]


def actor_for_token(token: ApiToken) -> Actor:
    scopes = frozenset(token.scopes)
    if token.organisation.kind in EMPLOYER_KINDS:
        # Refused at issuance; a token issued before that rule holds them in vain.
        scopes -= PERSON_DATA_SCOPES
    return Actor(
        organisation=token.organisation, label=f"api:{token.name}", scopes=scopes, token=token
    )
