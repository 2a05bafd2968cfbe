"""A person's situation on a date, shaped for pages: the public finder and the caseworker's
view of a person file show the same result (the rules engine's `options`)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from passerelle.core.i18n import language_of
from passerelle.core.profile import Profile
from passerelle.core.rules.options import OPTION_GROUPS, options, options_json
from passerelle.knowledge.loader import load_knowledge
from passerelle.web.apps.directory.criteria_text import condition_sentence
from passerelle.web.apps.directory.reader import with_reader_name
from passerelle.web.common.labels import (
    OPTION_GROUP_LABELS,
    PATHWAY_LABELS,
    PROFILE_FIELD_LABELS,
    RIGHT_TO_WORK_LABELS,
    request_language,
)

PATH_ORDER = (
    "language_course",
    "literacy",
    "integration_pathway",
    "diploma_recognition",
    "mentoring",
    "internship",
    "training",
    "job_search_support",
    "recruitment_event",
    "social_guidance",
    "employer_support",
)
"""The order of a sensible path into work: language, recognition, mentoring or internship,
job search."""


def situation_for(profile: Profile, on: dt.date) -> dict[str, Any]:
    """Raises DateOutOfCoverageError for a date the rules do not cover."""
    knowledge = load_knowledge()
    with language_of(request_language()):
        return situation_result(options_json(options(profile, on, knowledge), knowledge))


def situation_result(data: dict[str, Any]) -> dict[str, Any]:
    """The `options` JSON shaped for the pages: rights with labels, programmes in the
    engine's groups (checked and open now, later, ask the organisation, not open) and
    ordered as a path; a programme to ask about carries how to contact its organisation."""
    knowledge = load_knowledge()
    groups: dict[str, list[dict[str, Any]]] = {group: [] for group in OPTION_GROUPS}
    elsewhere = [item for item in data["programmes"] if item["local_elsewhere"]]
    for item in data["programmes"]:
        if item["local_elsewhere"]:
            continue
        programme = knowledge.programme_latest(item["id"])
        rank = min(
            (PATH_ORDER.index(c) for c in programme.categories if c in PATH_ORDER),
            default=len(PATH_ORDER),
        )
        organisation = knowledge.organisations[programme.organisation]
        reader = knowledge.reader_text("programmes", programme.id, request_language())
        groups[item["group"]].append(
            {
                **item,
                "website": organisation.website,
                "how_to_apply": reader.text.how_to_apply if reader is not None else None,
                "rank": rank,
                "name": programme.names.get(request_language()),
                "names": with_reader_name(
                    programme.names.model_dump(exclude_none=True),
                    "programmes",
                    programme.id,
                    knowledge,
                ),
                "organisation_names": with_reader_name(
                    knowledge.organisations[programme.organisation].names.model_dump(
                        exclude_none=True
                    ),
                    "organisations",
                    programme.organisation,
                    knowledge,
                ),
                "missing_labels": [str(PROFILE_FIELD_LABELS.get(m, m)) for m in item["missing"]],
                "reasons": (
                    [condition_sentence(c) for c in item["conditions"]]
                    if item["conditions"]
                    else item["reasons"]
                ),
                "from_date": dt.date.fromisoformat(item["from"]) if item["from"] else None,
            }
        )
    for items in groups.values():
        items.sort(key=lambda entry: (entry["rank"], entry["name"]))
    rights = data["rights"]
    return {
        "on": dt.date.fromisoformat(data["on"]),
        "right_to_work": {
            **rights["right_to_work"],
            "label": RIGHT_TO_WORK_LABELS[rights["right_to_work"]["value"]],
            "next_label": RIGHT_TO_WORK_LABELS.get(rights["right_to_work"]["next_value"] or ""),
            "from_date": _date(rights["right_to_work"]["from"]),
        },
        "integration_pathway": {
            **rights["integration_pathway"],
            "label": PATHWAY_LABELS[rights["integration_pathway"]["value"]],
            "next_label": PATHWAY_LABELS.get(rights["integration_pathway"]["next_value"] or ""),
            "from_date": _date(rights["integration_pathway"]["from"]),
        },
        "elsewhere_count": len(elsewhere),
        "groups": [
            (group, OPTION_GROUP_LABELS[group], groups[group])
            for group in OPTION_GROUPS
            if groups[group]
        ],
        "missing_fields": sorted(
            {m for item in data["programmes"] for m in item["missing"]}
            | {m for fact in rights.values() for m in fact["missing"]}
        ),
        "missing": sorted(
            {
                str(PROFILE_FIELD_LABELS.get(m, m))
                for item in data["programmes"]
                for m in item["missing"]
            }
            | {
                str(PROFILE_FIELD_LABELS.get(m, m))
                for fact in rights.values()
                for m in fact["missing"]
            }
        ),
    }


def _date(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def condition_sentences(conditions: list[dict[str, Any]]) -> list[str]:
    """Evaluated conditions (`condition_json`) in words in the reader's language, for pages
    outside the directory (a referral's eligibility)."""
    return [condition_sentence(condition) for condition in conditions]
