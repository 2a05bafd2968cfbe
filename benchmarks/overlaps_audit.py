"""The disclosure audit of the overlaps (`core.indicators.beneficiaries`, its
`complementary_suppression`) on synthetic
tables (random combinations of programmes with random counts; no real data): time, peak
memory, the small combinations, what is withheld, and the narrowest range an attacker
gets for a small count (at least the threshold when protected), beside primary
suppression alone (the baseline: small counts only withheld) in the same process.

    python benchmarks/overlaps_audit.py [--programmes 8] [--combinations 30 60 120 255]
                                        [--repeats 3] [--seed 1] [--quick]

The machine is shared: times are noisy.
"""

from __future__ import annotations

import functools
import itertools
import math
import random

from harness import arguments, timed, traced_peak
from passerelle.core.indicators.beneficiaries import (
    Cell,
    complementary_suppression,
    feasible_ranges,
    overlap_equations,
)

THRESHOLD = 5


def table(programmes: int, combinations: int, rng: random.Random) -> dict[Cell, int]:
    """The figures of one synthetic table: combinations, sizes, people, multi."""
    every = [
        c for k in range(1, programmes + 1) for c in itertools.combinations(range(programmes), k)
    ]
    chosen = rng.sample(every, min(combinations, len(every)))
    values: dict[Cell, int] = {
        ("combo", c): rng.choice([1, 2, 3, 4, 6, 10, 25, 80]) for c in chosen
    }
    for i in range(programmes):
        values[("size", (i,))] = sum(n for (_k, c), n in values.items() if i in c)
    combos = [cell for cell in values if cell[0] == "combo"]
    values[("people", ())] = sum(values[c] for c in combos)
    values[("multi", ())] = sum(values[c] for c in combos if len(c[1]) >= 2)
    return values


def narrowest(
    values: dict[Cell, int],
    withheld: set[Cell],
    small: set[Cell],
    equations: list[tuple[list[Cell], list[Cell]]],
) -> float:
    """The narrowest range an attacker gets for a small count, from what is published."""
    ranges = feasible_ranges(values, withheld, equations, small)
    return min((high - low for low, high in ranges.values()), default=math.inf)


def main() -> None:
    parser = arguments(__doc__)
    parser.add_argument("--programmes", type=int, default=8)
    parser.add_argument("--combinations", type=int, nargs="+", default=[30, 60, 120, 255])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--quick", action="store_true", help="4 programmes, 5 and 15 combinations")
    args = parser.parse_args()
    if args.quick:
        args.programmes, args.combinations = 4, [5, 15]
    rng = random.Random(args.seed)
    print(
        f"{'combos':>6} {'small':>5} {'withheld':>8} {'totals':>6} {'seconds':>8} "
        f"{'peak MB':>7} {'narrowest':>9} {'baseline narrowest':>18}"
    )
    for combinations in args.combinations:
        for _ in range(args.repeats):
            values = table(args.programmes, combinations, rng)
            combos = [cell[1] for cell in values if cell[0] == "combo"]
            equations = overlap_equations(args.programmes, combos)
            small = {cell for cell, n in values.items() if 1 <= n < THRESHOLD}
            suppress = functools.partial(
                complementary_suppression, values, small, equations, protection=THRESHOLD
            )
            withheld, seconds = timed(suppress)
            peak = traced_peak(suppress)[1] / 1e6
            print(
                f"{len(combos):>6} {sum(c[0] == 'combo' for c in small):>5} "
                f"{sum(c[0] == 'combo' for c in withheld):>8} "
                f"{sum(c[0] != 'combo' for c in withheld):>6} {seconds:>8.2f} {peak:>7.1f} "
                f"{narrowest(values, withheld, small, equations):>9.1f} "
                f"{narrowest(values, small, small, equations):>18.1f}"
            )


if __name__ == "__main__":
    main()
