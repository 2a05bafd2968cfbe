"""Cell-key perturbation (`core.disclosure`) on synthetic data (no real person): what it
costs (the funder report with and without a secret), how far it moves the published counts,
and what an attacker who differences two cells that differ by k people learns.

    python benchmarks/disclosure.py [--persons 20000] [--pairs 20000] [--seed 1]

The machine is shared: times are noisy.
"""

from __future__ import annotations

import functools
import random
import statistics
from collections import Counter

from harness import arguments, timings
from passerelle.core.disclosure import (
    MODULUS,
    SYNTHETIC_SECRET,
    cell_key,
    noise,
    publish_count,
    record_key,
)
from passerelle.core.evaluation.synthetic import MENTORING, CohortParameters, generate_cohort
from passerelle.core.indicators import funder_report, parse_period

THRESHOLD = 5


def report_times(persons: int, seed: int, repeats: int = 3) -> list[tuple[str, float, float]]:
    cohort = generate_cohort(CohortParameters(persons=persons, seed=seed))
    rows = []
    for label, secret in (("exact (secret=None)", None), ("perturbed", SYNTHETIC_SECRET)):
        times = timings(
            functools.partial(
                funder_report,
                cohort.events,
                cohort.referrals,
                MENTORING,
                parse_period("2022"),
                secret=secret,
            ),
            repeats,
        )
        rows.append((label, min(times), statistics.median(times)))
    return rows


def attacker(pairs: int, rng: random.Random) -> list[tuple[int, float, float, float]]:
    """For k = 1, 2, 3 people between two cells: how often the published difference equals
    k, and how often the best guess of k from the difference (maximum likelihood over
    k = 1..3, equal priors) is right; the mean absolute error of a published count."""
    seen: dict[int, Counter[int]] = {k: Counter() for k in (1, 2, 3)}
    errors = []
    for trial in range(pairs):
        size = rng.randint(THRESHOLD + 2, 500)
        base = cell_key(record_key(rng.randrange(10**9), SYNTHETIC_SECRET) for _ in range(3))
        a = publish_count(size, base, threshold=THRESHOLD)
        assert a is not None
        errors.append(abs(a - size))
        for k in seen:
            extra = [record_key(f"{trial}/{i}", SYNTHETIC_SECRET) for i in range(k)]
            b = publish_count(size + k, cell_key([base, *extra]), threshold=THRESHOLD)
            assert b is not None
            seen[k][b - a] += 1
    guess = {d: max(seen, key=lambda k: seen[k][d]) for d in range(-10, 11)}
    right = sum(seen[k][d] for k in seen for d in seen[k] if guess[d] == k) / (3 * pairs)
    mae = statistics.fmean(errors)
    return [(k, seen[k][k] / pairs, right, mae) for k in seen]


def main() -> None:
    parser = arguments(__doc__)
    parser.add_argument("--persons", type=int, default=20_000)
    parser.add_argument("--pairs", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    table = Counter(noise(key) for key in range(MODULUS))
    print("perturbation table (noise: share of cell keys)")
    print(" ".join(f"{n:+d}: {table[n] / MODULUS:.3f}" for n in sorted(table)))
    print()
    print(f"funder report, {args.persons} synthetic persons, {MENTORING}, 2022")
    print(f"{'mode':<22}{'best s':>10}{'median s':>10}")
    for label, best, median in report_times(args.persons, args.seed):
        print(f"{label:<22}{best:>10.3f}{median:>10.3f}")
    print()
    print(f"differencing two cells that differ by k people ({args.pairs} pairs each)")
    print(f"{'k':>3}{'difference = k':>16}{'best guess right':>18}{'mean |noise|':>14}")
    for k, exact, right, mae in attacker(args.pairs, random.Random(args.seed)):
        print(f"{k:>3}{exact:>16.3f}{right:>18.3f}{mae:>14.3f}")
    print("(exact counts: difference = k and the guess right 1.000 of the time)")


if __name__ == "__main__":
    main()
