"""Replications and parameter sweeps in parallel through Dask.

By default a local cluster (one single-threaded worker process per core) is started for the
duration of the call; `scheduler` gives the address of an existing cluster
(`tcp://host:8786`), or `"synchronous"` runs in this process without Dask (tests, small
runs). Each task is one replication; `progress(done, total)` is called as tasks finish.
Seeds come from one `numpy.random.SeedSequence`, so results do not depend on the order in
which workers finish, and the scenario and the baseline share their seeds.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from passerelle.core.simulation.model import Prepared, RunResult, run

Progress = Callable[[int, int], None]
SYNCHRONOUS = "synchronous"


def replication_seeds(seed: int, replications: int) -> list[np.random.SeedSequence]:
    return list(np.random.SeedSequence(seed).spawn(replications))


def run_many(
    jobs: Sequence[tuple[Prepared, int, np.random.SeedSequence]],
    scheduler: str | None = None,
    progress: Progress | None = None,
    workers: int | None = None,
) -> list[RunResult]:
    """Run (prepared, persons, seed) jobs; results in the order of the jobs."""
    total = len(jobs)
    if scheduler == SYNCHRONOUS or total == 0:
        results = []
        for done, (prepared, persons, seed) in enumerate(jobs, start=1):
            results.append(run(prepared, persons, seed))
            if progress is not None:
                progress(done, total)
        return results
    distributed: Any = importlib.import_module("dask.distributed")
    cluster: Any = None
    client: Any
    if scheduler is None:
        cluster = distributed.LocalCluster(
            n_workers=workers or min(os.cpu_count() or 1, total),
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
        )
        client = distributed.Client(cluster)
    else:
        client = distributed.Client(scheduler, timeout="10s")
    try:
        distinct: dict[int, Any] = {}
        for prepared, _, _ in jobs:
            if id(prepared) not in distinct:
                distinct[id(prepared)] = client.scatter(prepared, broadcast=True)
        futures = [
            client.submit(run, distinct[id(prepared)], persons, seed, pure=False)
            for prepared, persons, seed in jobs
        ]
        position = {future.key: index for index, future in enumerate(futures)}
        collected: list[RunResult | None] = [None] * total
        for done, future in enumerate(distributed.as_completed(futures), start=1):
            collected[position[future.key]] = future.result()
            if progress is not None:
                progress(done, total)
        return [result for result in collected if result is not None]
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
