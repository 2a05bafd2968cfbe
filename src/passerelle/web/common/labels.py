"""Words shown for the codes of the knowledge base, through gettext (one place), and the
names of its programmes and organisations in the request's language."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from passerelle.knowledge.loader import load_knowledge

if TYPE_CHECKING:
    from django.utils.functional import _StrPromise as Promise


def request_language() -> str:
    """The code of the language of the current request, as in `settings.LANGUAGES` ("fr",
    "fa-af"), French by default."""
    return get_language() or "fr"


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
