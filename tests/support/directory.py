"""The organisations every web test starts from: a CPAS (a), Duo for a Job (b) and BAPA
(c), by key."""

from __future__ import annotations

from passerelle.web.apps.directory.models import Organisation, stable_uuid


def three_organisations() -> dict[str, Organisation]:
    made = {}
    for key, slug in (("a", "cpas-anderlecht"), ("b", "duo-for-a-job"), ("c", "bapa-bxl")):
        made[key] = Organisation.objects.create(
            slug=slug,
            uuid=stable_uuid("organisation", slug),
            origin="knowledge",
            in_knowledge=True,
            names={"fr": slug, "nl": slug, "en": slug},
            kind="ngo",
        )
    return made
