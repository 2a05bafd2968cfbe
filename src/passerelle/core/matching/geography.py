"""Commute within Brussels, from municipality centroids.

The centroids are approximate (the centre of each municipality's built-up area, WGS84,
rounded to 0.005 degrees, read off a map); they serve a commute proxy between two of the 19
municipalities, not routing. A place outside the region (a postcode) has no distance.
"""

from __future__ import annotations

import math

import numpy as np
import polars as pl

CENTROIDS: dict[str, tuple[float, float]] = {
    "anderlecht": (50.835, 4.305),
    "auderghem": (50.815, 4.435),
    "berchem-sainte-agathe": (50.865, 4.290),
    "bruxelles": (50.850, 4.350),
    "etterbeek": (50.835, 4.390),
    "evere": (50.870, 4.400),
    "forest": (50.810, 4.320),
    "ganshoren": (50.870, 4.310),
    "ixelles": (50.825, 4.375),
    "jette": (50.880, 4.325),
    "koekelberg": (50.860, 4.330),
    "molenbeek-saint-jean": (50.855, 4.320),
    "saint-gilles": (50.825, 4.345),
    "saint-josse-ten-noode": (50.855, 4.375),
    "schaerbeek": (50.865, 4.380),
    "uccle": (50.800, 4.335),
    "watermael-boitsfort": (50.800, 4.415),
    "woluwe-saint-lambert": (50.845, 4.430),
    "woluwe-saint-pierre": (50.830, 4.445),
}
MUNICIPALITIES = tuple(sorted(CENTROIDS))
COMMUTE_ZERO_KM = 15.0
"""Distance at which the commute term reaches zero (the region is about 16 km across)."""


def _distance_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Equirectangular approximation; exact enough over a few kilometres."""
    mean_lat = math.radians((a[0] + b[0]) / 2)
    dx = math.radians(b[1] - a[1]) * math.cos(mean_lat)
    dy = math.radians(b[0] - a[0])
    return 6371.0 * math.hypot(dx, dy)


DISTANCES = np.array(
    [[_distance_km(CENTROIDS[a], CENTROIDS[b]) for b in MUNICIPALITIES] for a in MUNICIPALITIES],
    dtype=np.float32,
)


def municipality_codes(column: pl.Series) -> np.ndarray:
    """Index of each municipality in `MUNICIPALITIES`, -1 when outside or unknown."""
    lookup = {name: i for i, name in enumerate(MUNICIPALITIES)}
    return (
        column.replace_strict(lookup, default=-1, return_dtype=pl.Int16)
        .fill_null(-1)
        .to_numpy()
        .astype(np.int16)
    )
