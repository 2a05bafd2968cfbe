"""Matching at scale: synthetic rounds of 10 000, 100 000 and 1 000 000 persons with about
50 candidate slots each, solved optimally (minimum-cost flow) and by the greedy baseline.

For each size, in a fresh process (so that peak memory is that size's own): seconds per
phase (candidate generation, constraints and scoring, solving, outcomes; the greedy baseline
apart), peak resident memory, the objective, the number placed and the uplift over greedy.

Uplift method: both assignments are valued in expected placements, the sum over matched
pairs of the assumed chance that the match leads to a lasting placement, 0.05 + 0.55 x fit
score / 100 (an assumption, not an estimate; docs/matching.md). The greedy baseline is first
come, first served: persons in order of waiting time (longest first) each take the slot they
fit best among those with places left. Uplift = optimal / greedy - 1 on the same pairs.

    .venv/bin/python benchmarks/matching.py [--sizes 10000 100000 1000000] [--quick]

Goals (issue 7): 100 000 persons in at most 10 s end to end, 1 000 000 in at most 3 minutes
and 8 GB on 2 cores. The machine is shared: times are noisy. All persons are synthetic.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import subprocess
import sys

from harness import arguments, peak_rss_mib, timed
from passerelle.core.matching.engine import match
from passerelle.core.matching.model import Kind
from passerelle.core.matching.pairs import Options
from passerelle.core.matching.synthetic import synthetic_round
from passerelle.knowledge.loader import load_knowledge

ON = dt.date(2019, 6, 1)
END_TO_END = ("candidates", "scoring", "solving", "outcomes")


def run_one(people: int, kind: Kind, candidates: int, slots_per_person: float) -> dict[str, object]:
    knowledge = load_knowledge()
    (persons, slots), generated = timed(
        lambda: synthetic_round(
            people, kind, ON, candidates=candidates, slots_per_person=slots_per_person
        )
    )
    result = match(persons, slots, kind, ON, Options(block_digits=4), knowledge)
    peak_mb = peak_rss_mib()
    return {
        "persons": people,
        "slots": slots.height,
        "places": int(slots["capacity"].sum()),
        "pairs": result.pair_count,
        "feasible": result.feasible_count,
        "generate_s": generated,
        **{f"{name}_s": result.timings[name] for name in result.timings},
        "end_to_end_s": sum(result.timings[name] for name in END_TO_END),
        "peak_mb": peak_mb,
        "objective": result.objective,
        "placed": result.placed,
        "greedy_objective": result.greedy_objective,
        "greedy_placed": result.greedy_placed,
        "uplift": result.uplift,
    }


ROWS = (
    ("persons", "{:,}"),
    ("slots", "{:,}"),
    ("places", "{:,}"),
    ("pairs", "{:,}"),
    ("feasible", "{:,}"),
    ("candidates_s", "{:.2f}"),
    ("scoring_s", "{:.2f}"),
    ("solving_s", "{:.2f}"),
    ("outcomes_s", "{:.2f}"),
    ("end_to_end_s", "{:.2f}"),
    ("greedy_s", "{:.2f}"),
    ("peak_mb", "{:,.0f}"),
    ("objective", "{:,.1f}"),
    ("placed", "{:,}"),
    ("greedy_objective", "{:,.1f}"),
    ("greedy_placed", "{:,}"),
    ("uplift", "{:+.1%}"),
)
LABELS = {
    "pairs": "candidate pairs",
    "feasible": "feasible pairs",
    "candidates_s": "candidate generation (s)",
    "scoring_s": "constraints + scoring (s)",
    "solving_s": "solving, min-cost flow (s)",
    "outcomes_s": "outcomes, reason codes (s)",
    "end_to_end_s": "end to end (s)",
    "greedy_s": "greedy baseline (s)",
    "peak_mb": "peak memory (MB)",
    "objective": "expected placements, optimal",
    "placed": "placed, optimal",
    "greedy_objective": "expected placements, greedy",
    "greedy_placed": "placed, greedy",
    "uplift": "uplift over greedy",
}


def main() -> None:
    parser = arguments(__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--quick", action="store_true", help="sizes 2 000 and 20 000")
    parser.add_argument("--kind", type=Kind, default=Kind.vacancy, choices=list(Kind))
    parser.add_argument("--candidates", type=int, default=50)
    parser.add_argument("--slots-per-person", type=float, default=0.05)
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        figures = run_one(args.one, args.kind, args.candidates, args.slots_per_person)
        sys.stdout.write(json.dumps(figures) + "\n")
        return
    sizes = [2_000, 20_000] if args.quick else args.sizes
    results = []
    for size in sizes:
        command = [
            sys.executable,
            __file__,
            "--one",
            str(size),
            "--kind",
            args.kind.value,
            "--candidates",
            str(args.candidates),
            "--slots-per-person",
            str(args.slots_per_person),
        ]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            sys.stderr.write(done.stderr)
            raise SystemExit(f"size {size} failed")
        results.append(json.loads(done.stdout.strip().splitlines()[-1]))
        print(f"done: {size:,} persons", file=sys.stderr)
    width = max(len(label) for label in LABELS.values()) + 2
    print(f"matching benchmark, kind {args.kind.value}, round on {ON}")
    print(f"{'measure':<{width}}" + "".join(f"{r['persons']:>14,}" for r in results))
    for key, fmt in ROWS:
        label = LABELS.get(key, key)
        cells = "".join(f"{'-' if r.get(key) is None else fmt.format(r[key]):>14}" for r in results)
        print(f"{label:<{width}}{cells}")


if __name__ == "__main__":
    main()
