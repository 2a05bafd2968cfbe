"""Words shown for the codes of the knowledge base, through gettext (one place), the
names of its programmes and organisations in the request's language, and decimal numbers
as the reader writes them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from django.utils.formats import number_format
from django.utils.translation import get_language, gettext, ngettext
from django.utils.translation import gettext_lazy as _

from passerelle.core.assessment import isco_label
from passerelle.core.i18n import country_name as core_country_name
from passerelle.core.i18n import language_of
from passerelle.core.i18n import reader_date as core_reader_date
from passerelle.knowledge.loader import load_knowledge

if TYPE_CHECKING:
    from django.utils.functional import _StrPromise as Promise


def request_language() -> str:
    """The code of the language of the current request, as in `settings.LANGUAGES` ("fr",
    "fa-af"), French by default."""
    return get_language() or "fr"


def decimal_text(value: float, places: int, *, grouping: bool = False) -> str:
    """`value` to `places` decimals in the request's language ("15,4" in French); `grouping`
    separates thousands even where the settings do not."""
    # Rounded first: Django's number_format cuts a float's extra decimals off (15.39 -> 15,3).
    return str(number_format(round(value, places), places, force_grouping=grouping))


CATEGORY_LABELS: dict[str, Promise] = {
    "language_course": _("Language course"),
    "integration_pathway": _("Integration pathway"),
    "mentoring": _("Mentoring"),
    "internship": _("Internship"),
    "job_search_support": _("Job search support"),
    "diploma_recognition": _("Diploma recognition"),
    "literacy": _("Literacy"),
    "employer_support": _("Support for employers"),
    "recruitment_event": _("Recruitment event"),
    "social_guidance": _("Social guidance"),
    "training": _("Training"),
}
WHO_LABELS: dict[str, Promise] = {
    "asylum_seekers": _("Asylum seekers"),
    "refugees": _("Refugees and protected persons"),
    "newcomers": _("All newcomers"),
}
TARGET_GROUP_LABELS: dict[str, Promise] = {
    "asylum_seekers": _("asylum seekers"),
    "refugees": _("refugees"),
    "subsidiary_protection": _("people with subsidiary protection"),
    "newcomers": _("newcomers"),
    "non_eu_newcomers": _("newcomers from outside the European Union"),
    "young_people_with_migration_background": _("young people with a migration background"),
    "job_seekers": _("job seekers"),
    "people_receiving_social_assistance": _("people receiving social assistance"),
    "adults_with_low_literacy": _("adults learning to read and write"),
    "employers": _("employers"),
    "organisations": _("organisations"),
    "retired_volunteers": _("retired volunteers"),
}
LANGUAGE_LABELS: dict[str, Promise] = {
    "fr": _("French"),
    "nl": _("Dutch"),
    "en": _("English"),
    "ar": _("Arabic"),
    "de": _("German"),
    "es": _("Spanish"),
    "tr": _("Turkish"),
    "ti": _("Tigrinya"),
    "fa": _("Persian"),
    "ps": _("Pashto"),
    "so": _("Somali"),
}
ORGANISATION_STATUS_LABELS: dict[str, Promise] = {
    "active": _("active"),
    "dormant": _("dormant"),
    "part_of": _("part of another organisation"),
    "closed": _("closed"),
    "not_yet_founded": _("not yet founded"),
    "unknown": _("no dated information"),
}
KIND_LABELS: dict[str, Promise] = {
    "public_employment_service": _("public employment service"),
    "public_social_welfare_centre": _("public social welfare centre (CPAS/OCMW)"),
    "municipal_employment_network": _("municipal employment network"),
    "reception_office": _("reception office for newcomers"),
    "regional_agency": _("regional agency"),
    "non_profit": _("non-profit organisation"),
    "de_facto_association": _("de facto association"),
    "employers_federation_initiative": _("employers' federation initiative"),
    "community_commission": _("community commission"),
    "municipality": _("municipality"),
    "international_network": _("international network"),
}
LEGAL_STATUS_LABELS: dict[str, Promise] = {
    "asylum_seeker": _("I have applied for asylum and wait for a decision"),
    "refugee": _("I am a recognised refugee"),
    "subsidiary_protection": _("I have subsidiary protection"),
    "temporary_protection": _("I have temporary protection (Ukraine)"),
    "eu_citizen": _("I am a citizen of the European Union"),
    "family_reunification": _("I came through family reunification"),
    "other_permit": _("I have another residence permit"),
    "no_permit": _("I have no residence permit"),
}
RIGHT_TO_WORK_LABELS: dict[str, Promise] = {
    "yes": _("You may work."),
    "no": _("You may not work yet."),
    "with_permit": _("You may work with a work permit."),
    "unknown": _("We cannot tell yet."),
}
PATHWAY_LABELS: dict[str, Promise] = {
    "obliged": _("The integration pathway is mandatory for you."),
    "eligible": _("You may follow the integration pathway."),
    "not_eligible": _("The integration pathway is not for you."),
    "unknown": _("We cannot tell yet."),
}
PROGRAMME_STATUS_LABELS: dict[str, Promise] = {
    "eligible": _("Open to you now"),
    "eligible_from": _("Open to you later"),
    "unknown": _("Answer more questions"),
    "not_eligible": _("Not for you"),
}
OPTION_GROUP_LABELS: dict[str, Promise] = {
    "eligible": _("Checked: open to you now"),
    "later": _("Open to you from a date, or after more answers"),
    "ask": _("No conditions recorded: ask the organisation"),
    "not_eligible": _("Not for you"),
}
PROFILE_FIELD_LABELS: dict[str, Promise] = {
    "birth_date": _("birth date"),
    "nationality": _("nationality"),
    "legal_status": _("your situation"),
    "asylum_application_date": _("date of the asylum application"),
    "asylum_decision_date": _("date of the decision"),
    "asylum_refusal_date": _("date of the first negative decision on your asylum application"),
    "appeal_lodged_date": _("date of your appeal to the Council for Alien Law Litigation"),
    "appeal_refusal_date": _("date the Council for Alien Law Litigation refused your appeal"),
    "subsequent_application": _("whether your asylum application is a new one"),
    "admissibility_date": _("date your new asylum application was declared admissible"),
    "family_of_eea_swiss_citizen": _("family member of an EU, EEA or Swiss citizen"),
    "integration_certificate": _("integration certificate already obtained"),
    "integration_other_exemption": _("another exemption from the integration obligation"),
    "residence_permit_months": _("validity of your residence permit"),
    "labour_market_access": _("access to work written on your residence card"),
    "arrival_in_belgium": _("date of arrival in Belgium"),
    "first_registration_brussels": _(
        "date of your first entry in a Brussels foreigners' register with a permit of more than "
        "three months"
    ),
    "municipality": _("municipality"),
    "languages": _("languages"),
    "education_isced": _("education"),
    "migration_background": _("migration background"),
}


def display_name(identifier: str, language: str | None = None) -> str:
    """The knowledge base's name of a programme or organisation in the language (short name
    of an organisation when it has one); the id itself when the knowledge base lacks it."""
    language = (language or get_language() or "fr")[:2]
    knowledge = load_knowledge()
    organisation = knowledge.organisations.get(identifier)
    if organisation is not None:
        return organisation.names.short or organisation.names.get(language)
    if identifier in knowledge.programmes:
        return knowledge.programme_latest(identifier).names.get(language)
    return identifier


# --- Staff pages ---------------------------------------------------------------------------
# A caseworker reads about someone else: the person in the third person, the fields named as
# a file names them (not the finder's questions), each value with its unit.

STAFF_LEGAL_STATUS_LABELS: dict[str, Promise] = {
    "asylum_seeker": _("asylum seeker, waiting for a decision"),
    "refugee": _("recognised refugee"),
    "subsidiary_protection": _("subsidiary protection"),
    "temporary_protection": _("temporary protection (Ukraine)"),
    "eu_citizen": _("citizen of the European Union"),
    "family_reunification": _("family reunification"),
    "other_permit": _("another residence permit"),
    "no_permit": _("no residence permit"),
}
STAFF_RIGHT_TO_WORK_LABELS: dict[str, Promise] = {
    "yes": _("May work."),
    "no": _("May not work yet."),
    "with_permit": _("May work with a work permit."),
    "unknown": _("Cannot be told yet: the file lacks an answer."),
}
STAFF_PATHWAY_LABELS: dict[str, Promise] = {
    "obliged": _("The integration pathway is mandatory for this person."),
    "eligible": _("This person may follow the integration pathway."),
    "not_eligible": _("The integration pathway does not concern this person."),
    "unknown": _("Cannot be told yet: the file lacks an answer."),
}
STAFF_PROGRAMME_STATUS_LABELS: dict[str, Promise] = {
    # Both the statuses and the finder's groups (checked now, later, ask) are keys here.
    "eligible": _("Checked: open to this person now"),
    "eligible_from": _("Open to this person from a date"),
    "later": _("Open to this person from a date, or once the file answers more questions"),
    "unknown": _("The file lacks answers"),
    "ask": _("No conditions recorded: ask the organisation"),
    "not_eligible": _("Not open to this person"),
}
STAFF_PROFILE_FIELD_LABELS: dict[str, Promise] = {
    "birth_date": _("birth date"),
    "nationality": _("nationality"),
    "legal_status": _("residence status"),
    "asylum_application_date": _("date of the asylum application"),
    "asylum_decision_date": _("date of the asylum decision"),
    "asylum_refusal_date": _("date of the first negative asylum decision"),
    "appeal_lodged_date": _("date of the appeal to the Council for Alien Law Litigation"),
    "appeal_refusal_date": _("date the Council for Alien Law Litigation refused the appeal"),
    "subsequent_application": _("subsequent asylum application"),
    "admissibility_date": _("date the subsequent application was declared admissible"),
    "family_of_eea_swiss_citizen": _("family member of an EU, EEA or Swiss citizen"),
    "integration_certificate": _("integration certificate obtained"),
    "integration_other_exemption": _("other exemption from the integration obligation"),
    "residence_permit_months": _("validity of the residence permit"),
    "labour_market_access": _("access to work on the residence card"),
    "arrival_in_belgium": _("date of arrival in Belgium"),
    "first_registration_brussels": _(
        "first entry in a Brussels foreigners' register (permit of more than three months)"
    ),
    "municipality": _("municipality"),
    "languages": _("languages"),
    "education_isced": _("education"),
    "migration_background": _("migration background"),
}
REFERRAL_EVENT_LABELS: dict[str, Promise] = {
    "draft": _("wrote the referral as a draft"),
    "sent": _("sent the referral"),
    "accepted": _("accepted the referral"),
    "rejected": _("rejected the referral"),
    "waitlisted": _("put the person on the waiting list"),
    "in_progress": _("recorded that the person started"),
    "completed": _("recorded the outcome"),
    "no_show": _("recorded that the person did not come"),
    "withdrawn": _("withdrew the referral"),
}
"""A referral's timeline: what each step did, by the state it led to."""
AUDIT_CSV_COLUMNS: dict[str, Promise] = {
    "at": _("when (ISO 8601, with the offset from UTC)"),
    "action": _("action (code)"),
    "actor": _("user"),
    "object_kind": _("kind of record"),
    "object_id": _("record id"),
    "flagged": _("flagged (1 = yes)"),
    "detail": _("detail (JSON)"),
}
"""The audit log's CSV columns, headed in the reader's language; the cells stay
machine-readable (codes, ISO dates), which each header says."""
FILE_FIELD_LABELS: dict[str, Promise] = {
    "given_names": _("given names"),
    "family_name": _("family name"),
    "given_names_latin": _("given names in Latin letters"),
    "family_name_latin": _("family name in Latin letters"),
    "birth_date": _("birth date"),
    "phone": _("phone"),
    "email": _("e-mail"),
    "language": _("language for letters and exports"),
    "profile": _("status, dates and languages"),
    "literacy": _("literacy"),
    "diplomas": _("diplomas"),
    "experience": _("work experience"),
    "wished_occupations": _("wished occupations"),
    "wishes": _("wishes"),
    "social_needs": _("social needs"),
    "notes": _("notes"),
}
"""The fields of a person file, as its history names them."""


def label(labels: Mapping[str, Promise], code: object) -> str:
    """The word for a code in the reader's language; a code the table lacks is shown as it
    is rather than hidden (a test lists every known code, so a new one is noticed)."""
    found = labels.get(code) if isinstance(code, str) else None
    return str(found) if found is not None else str(code)


def organisation_label(organisation: Any, language: str | None = None) -> str:
    """An organisation's name in the language (the knowledge base's short name first), never
    its slug: for a model instance or a knowledge id."""
    if isinstance(organisation, str):
        return display_name(organisation, language)
    knowledge = load_knowledge().organisations.get(organisation.slug)
    if knowledge is not None and knowledge.names.short:
        return knowledge.names.short
    return str(organisation.name(language or request_language()))


def country_name(code: str | None, language: str | None = None) -> str:
    """A country's name in the language (the rules engine's naming, core/i18n.py); the code
    itself when it names no country."""
    if not code:
        return ""
    with language_of(language or request_language()):
        return core_country_name(code)


def reader_date(value: object, language: str | None = None) -> str:
    """A date (or a date known to the month or the year) as the engines write it in the
    language: "1er juin 2023", "20 januari 2023" (core/i18n.py, docs/i18n.md "Dates"), so that
    pages and the rules' sentences write dates alike."""
    if not value:
        return ""
    with language_of(language or request_language()):
        return core_reader_date(value)


def language_level(code: str, level: object = None) -> str:
    """ "nl", "C2" → "Dutch C2" in the reader's language."""
    name = label(LANGUAGE_LABELS, code)
    return f"{name} {level}" if level else name


def words_list(words: Iterable[object]) -> str:
    """Words joined with the comma of the reader's script (Arabic, Persian and Pashto write
    "،")."""
    separator = "، " if request_language()[:2] in ("ar", "fa", "ps") else ", "
    return separator.join(str(word) for word in words)


def language_levels(levels: Mapping[str, object]) -> str:
    return words_list(language_level(code, level) for code, level in sorted(levels.items()))


def occupation_label(code: object) -> str:
    """An ISCO-08 code with the name of its major group in the reader's language (the
    knowledge base holds no finer titles): "7112 · Craft and related trades workers"."""
    text = str(code)
    return f"{text} · {gettext(isco_label(text))}"


def months_label(months: object) -> str:
    try:
        count = int(str(months))
    except ValueError:
        return str(months)
    return ngettext("%(count)s month", "%(count)s months", count) % {"count": count}
