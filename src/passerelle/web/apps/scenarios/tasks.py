"""Background work of scenarios: the comparisons computed ahead of the analysts' visits."""

from __future__ import annotations

from passerelle.web.apps.ops.queue import background_task
from passerelle.web.apps.scenarios.services import (
    comparison,
    is_cached,
    shipped_scenarios,
    sizes_from_settings,
)


@background_task(retries=1)
def scenarios_precompute() -> dict[str, int]:
    """Schedule `scenarios-precompute`: each shipped scenario not yet in the shared cache is
    computed into it (a change of the assumptions or of a scenario changes its cache key),
    so that an analyst's page reads the comparison instead of computing it in the request."""
    sizes = sizes_from_settings()
    counts = {"computed": 0, "cached": 0}
    for scenario in shipped_scenarios():
        if is_cached(scenario, sizes):
            counts["cached"] += 1
            continue
        comparison(scenario, sizes)
        counts["computed"] += 1
    return counts
