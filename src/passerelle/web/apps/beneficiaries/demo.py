"""Demo encodings for `passerelle demo-data`: SYNTHETIC DATA ONLY (`core.linkage.synthetic`),
encoded as each organisation would, with programme participations, and one linkage run
so that the figures, the overlaps and the review queue have something to show."""

from __future__ import annotations

import datetime as dt
import hashlib
import random

import polars as pl

from passerelle.core.i18n import _
from passerelle.core.linkage import encode
from passerelle.core.linkage.synthetic import generate
from passerelle.web.apps.beneficiaries import services
from passerelle.web.apps.beneficiaries.models import EncodingBatch, LinkageRun
from passerelle.web.apps.beneficiaries.uploads import ParsedUpload

DEMO_KEY = hashlib.sha256(b"passerelle demo sector key (synthetic data only)").digest()
"""The demo's sector key: public, so it protects nothing; never use it for real records."""
DEMO_ORGANISATIONS = {
    # generator's organisation -> (directory organisation, its programme)
    "Actiris": ("actiris", "actiris-job-support"),
    "Convivial": ("convivial", "convivial-socio-professional-guidance"),
    "Mission locale Molenbeek": ("be-face", "be-face-mentoring"),
    "Duo for a Job": ("duo-for-a-job", "duo-for-a-job-mentoring"),
    "BAPA BXL": ("bapa-bxl", "bapa-bxl-integration-pathway"),
    "Via": ("bapa-via", "bapa-via-integration-pathway"),
    "Ciré": ("cire", "cire-diploma-recognition"),
}
DEMO_RECORDS = 2400


def demo_beneficiaries(seed: int = 2026) -> str:
    """Share synthetic encodings for the demo organisations and run the linkage once; does
    nothing when encodings exist. Returns a one-line summary."""
    from passerelle.web.apps.directory.models import Organisation

    if EncodingBatch.objects.exists():
        return _("Unique beneficiaries: demo encodings already shared.")
    rng = random.Random(seed)
    records = generate(DEMO_RECORDS, seed=seed)
    shared = 0
    for source, (slug, programme) in DEMO_ORGANISATIONS.items():
        organisation = Organisation.objects.filter(slug=slug).first()
        programmes = services.programmes_of(organisation) if organisation else {}
        if organisation is None or programme not in programmes:
            continue
        part = records.filter(pl.col("organisation") == source)
        participations = []
        for record_id in part["record_id"].to_list():
            start = dt.date(2024, 10, 1) + dt.timedelta(days=rng.randrange(540))
            months = rng.randint(2, 9)
            end = start + dt.timedelta(days=30 * months) if rng.random() < 0.8 else None
            participations.append(
                {
                    "record_id": record_id,
                    "programme": programme,
                    "measure_type": programmes[programme][0],
                    "start_date": start,
                    "end_date": end,
                }
            )
        services.encodings_replace(
            organisation=organisation,
            parsed=ParsedUpload(encodings=encode(part, DEMO_KEY), participations=participations),
            source="upload",
            actor_label="demo",
        )
        shared += part.height
    if not shared:
        return _("Unique beneficiaries: no demo organisation loaded (run `passerelle load`).")
    run: LinkageRun = services.run_execute(run_id=services.run_start(actor_label="demo").pk)
    return _(
        "Unique beneficiaries: {records} synthetic encoded records shared; linkage run "
        "{status}: {persons} distinct people, {pairs} pairs to review."
    ).format(records=shared, status=run.status, persons=run.clusters, pairs=run.pairs.count())
