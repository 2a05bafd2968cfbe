"""A person's profile: what the rules need to know, nothing more.

Every field is optional: a rule that needs a missing field answers `unknown` and names it.
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
from pathlib import Path
from typing import Annotated, Any

import pycountry
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from passerelle.core.i18n import _, gettext_noop
from passerelle.core.validation import (
    BirthDate,
    InvalidFieldsError,
    field_errors,
    json_loads_bounded,
)
from passerelle.knowledge.criteria import CefrLevel, LabourMarketAccess, LegalStatus
from passerelle.knowledge.loader import load_knowledge

COMMON_COUNTRY_MISTAKES = {
    "UK": gettext_noop("the United Kingdom is GB"),
    "EL": gettext_noop("Greece is GR (EL is the European Union's own code)"),
    "KV": gettext_noop("Kosovo has no ISO code; XK is the code in common use"),
}


EVENT_DATES = (
    "asylum_application_date",
    "asylum_decision_date",
    "asylum_refusal_date",
    "appeal_lodged_date",
    "appeal_refusal_date",
    "admissibility_date",
    "arrival_in_belgium",
    "first_registration_brussels",
)
"""The profile's dates of what happened to the person (none can precede the birth)."""


def _before_message() -> str:
    return _("{date} is before {field} {other}")


class ProfileError(ValueError):
    """Bad profile input; `errors` maps each field to what is wrong with it."""

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{name}: {message}" for name, message in errors.items()))


class Profile(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    birth_date: BirthDate | None = None
    nationality: Annotated[str, Field(pattern=r"^[A-Z]{2}$")] | None = None
    legal_status: LegalStatus | None = None
    asylum_application_date: dt.date | None = None
    asylum_decision_date: dt.date | None = None
    """The decision that ended the procedure: the date a status was granted, or, for
    `no_permit`, the date the procedure ended if the dates below do not say it."""
    asylum_refusal_date: dt.date | None = None
    """A first-instance negative decision (refusal or inadmissibility) was notified."""
    appeal_lodged_date: dt.date | None = None
    """A suspensive appeal was lodged with the Council for Alien Law Litigation."""
    appeal_refusal_date: dt.date | None = None
    """The Council for Alien Law Litigation's negative decision was notified."""
    subsequent_application: bool | None = None
    """The application on `asylum_application_date` is a subsequent (repeat) one."""
    admissibility_date: dt.date | None = None
    """The subsequent application was declared admissible."""
    residence_permit_months: Annotated[int, Field(ge=0, le=1200)] | None = None
    labour_market_access: LabourMarketAccess | None = None
    arrival_in_belgium: dt.date | None = None
    first_registration_brussels: dt.date | None = None
    """The first entry in a Brussels municipality's foreigners' register with a residence
    permit of more than three months (not the waiting register of the asylum procedure)."""
    family_of_eea_swiss_citizen: bool | None = None
    """A family member of a citizen of the EU, the EEA or Switzerland (F card)."""
    integration_certificate: bool | None = None
    """Already holds an integration certificate from a Belgian region or community."""
    integration_other_exemption: bool | None = None
    """Another exemption from the integration obligation the law provides applies (for
    example a medical certificate)."""
    municipality: str | None = None
    """A Brussels municipality's name in French or Dutch, or a Belgian postcode; stored
    normalised to the municipality id, or to the postcode outside the Brussels region."""
    languages: dict[Annotated[str, Field(pattern=r"^[a-z]{2}$")], CefrLevel] | None = None
    education_isced: Annotated[int, Field(ge=0, le=8)] | None = None
    migration_background: bool | None = None

    @field_validator("nationality", mode="before")
    @classmethod
    def _upper_country(cls, value: Any) -> Any:
        return value.strip().upper() if isinstance(value, str) else value

    @field_validator("nationality")
    @classmethod
    def _known_country(cls, value: str | None) -> str | None:
        if value is None or pycountry.countries.get(alpha_2=value) is not None:
            return value
        hint = COMMON_COUNTRY_MISTAKES.get(value)
        raise ValueError(
            _("{value} is not an ISO 3166-1 alpha-2 country code; {hint}").format(
                value=repr(value), hint=_(hint) if hint else _("for example SY, AF, ER, GB")
            )
        )

    @field_validator("languages", mode="before")
    @classmethod
    def _normalise_languages(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {
                str(code).strip().lower(): level.strip().upper()
                if isinstance(level, str)
                else level
                for code, level in value.items()
            }
        return value

    @field_validator("municipality")
    @classmethod
    def _known_municipality(cls, value: str | None) -> str | None:
        if value is None:
            return None
        knowledge = load_knowledge()
        municipality_id = knowledge.municipality_id(value)
        if municipality_id is not None:
            return municipality_id
        if value.isdigit() and len(value) == 4 and 1000 <= int(value) <= 9999:
            return value
        names = sorted(
            name
            for municipality in knowledge.municipalities.values()
            for name in (municipality.names.fr, municipality.names.nl)
        )
        close = difflib.get_close_matches(value, names, n=3, cutoff=0.6)
        message = _(
            "{value} is not one of the 19 Brussels municipalities (French or Dutch name); "
            "outside Brussels give the 4-digit postcode."
        ).format(value=repr(value))
        if close:
            message += " " + _("Did you mean {names}?").format(names=", ".join(close))
        raise ValueError(message)

    @model_validator(mode="after")
    def _dates_are_possible(self) -> Profile:
        errors: dict[str, str] = {}
        application, decision = self.asylum_application_date, self.asylum_decision_date
        if decision is not None and application is not None and decision < application:
            errors["asylum_decision_date"] = _before_message().format(
                date=decision, field="asylum_application_date", other=application
            )
        if decision is not None and self.legal_status == "asylum_seeker":
            errors.setdefault("asylum_decision_date", "")
            errors["asylum_decision_date"] = "; ".join(
                part
                for part in (
                    errors["asylum_decision_date"],
                    _(
                        "an asylum seeker has no final decision yet (a first-instance refusal "
                        "under appeal is asylum_refusal_date); give the status the decision "
                        "granted in legal_status (refugee, subsidiary_protection, ...)"
                    ),
                )
                if part
            )
        errors.update(_procedure_order_errors(self))
        if self.birth_date is not None:
            for name in EVENT_DATES:
                other = getattr(self, name)
                if other is not None and other < self.birth_date:
                    errors[name] = _before_message().format(
                        date=other, field="birth_date", other=self.birth_date
                    )
        arrival = self.arrival_in_belgium
        if arrival is not None:
            for name in ("asylum_application_date", "first_registration_brussels"):
                other = getattr(self, name)
                if other is not None and other < arrival:
                    errors[name] = _before_message().format(
                        date=other, field="arrival_in_belgium", other=arrival
                    )
        if errors:
            raise ValueError(json.dumps(errors))
        return self

    @property
    def municipality_in_brussels(self) -> bool | None:
        if self.municipality is None:
            return None
        return not self.municipality.isdigit()


def _procedure_order_errors(profile: Profile) -> dict[str, str]:
    """The asylum procedure's events in an impossible order, each error at the later
    field: refusal after application, appeal after refusal, the Council's decision after
    the appeal, admissibility only for a subsequent application."""
    errors: dict[str, str] = {}
    application = profile.asylum_application_date
    refusal = profile.asylum_refusal_date
    lodged = profile.appeal_lodged_date
    appeal_refusal = profile.appeal_refusal_date
    admissibility = profile.admissibility_date
    for name, value, earlier_name, earlier in (
        ("asylum_refusal_date", refusal, "asylum_application_date", application),
        ("admissibility_date", admissibility, "asylum_application_date", application),
        ("asylum_refusal_date", refusal, "admissibility_date", admissibility),
        ("appeal_lodged_date", lodged, "asylum_refusal_date", refusal),
        ("appeal_refusal_date", appeal_refusal, "appeal_lodged_date", lodged),
        ("asylum_decision_date", profile.asylum_decision_date, "appeal_lodged_date", lodged),
        ("asylum_decision_date", profile.asylum_decision_date, "asylum_refusal_date", refusal),
    ):
        if value is not None and earlier is not None and value < earlier and name not in errors:
            errors[name] = _before_message().format(date=value, field=earlier_name, other=earlier)
    if lodged is not None and refusal is None:
        errors["appeal_lodged_date"] = _(
            "an appeal is lodged against a first-instance negative decision; give "
            "asylum_refusal_date too"
        )
    if appeal_refusal is not None and lodged is None:
        errors["appeal_refusal_date"] = _(
            "the Council for Alien Law Litigation decides on an appeal; give appeal_lodged_date too"
        )
    if admissibility is not None and profile.subsequent_application is not True:
        errors["admissibility_date"] = _(
            "only a subsequent application is declared admissible; set subsequent_application "
            "to true"
        )
    if (refusal or lodged or appeal_refusal or admissibility) and application is None:
        errors.setdefault(
            "asylum_application_date",
            _("the dates of the asylum procedure count from the application; give its date"),
        )
    if appeal_refusal is not None and profile.legal_status == "asylum_seeker":
        errors["appeal_refusal_date"] = _(
            "after the Council's negative decision the procedure has ended: legal_status is "
            "no_permit (or the status a later application granted)"
        )
    registration = profile.first_registration_brussels
    decision = profile.asylum_decision_date
    if (
        registration is not None
        and decision is not None
        and registration < decision
        and profile.legal_status in ("refugee", "subsidiary_protection")
    ):
        errors["first_registration_brussels"] = _(
            "{date} is before the decision {decision} that granted the residence permit: give "
            "the first entry in the foreigners' register with a permit of more than three "
            "months, not the registration during the asylum procedure"
        ).format(date=registration, decision=decision)
    return errors


def profile_from_data(data: object) -> Profile:
    """Validate profile data (parsed JSON); raise `ProfileError` naming every bad field."""
    if not isinstance(data, dict):
        raise ProfileError({"(profile)": "expected a JSON object with the profile fields"})
    try:
        # Strict: a birth date of 0 or "yes" for a boolean is an error, not a guess.
        return Profile.model_validate_json(json.dumps(data, default=str), strict=True)
    except ValidationError as error:
        raise ProfileError(field_errors(error, Profile)) from None


def profile_from_file(path: Path) -> Profile:
    try:
        data = json_loads_bounded(path.read_text(encoding="utf-8"), field="(file)")
    except FileNotFoundError:
        raise ProfileError({"(file)": f"{path} does not exist"}) from None
    except InvalidFieldsError as error:
        raise ProfileError({"(file)": f"{path} is {error.errors['(file)']}"}) from None
    return profile_from_data(data)
