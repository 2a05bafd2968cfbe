"""Clusters from scored pairs and a coordinator's decisions (pure Python, no database).

Forced links join their two records first. Then the automatic links (pairs at or above
the threshold, not vetoed, not decided "not a match") are taken from the most probable
down; a link is skipped when it would put two records decided "not a match" into one
cluster. The caller passes as automatic links only those the engine kept inside one of its
clusters (`core.linkage` splits loose components at their weak links), so that without
decisions the result is what `core.linkage.dedupe_encoded` returns (a test checks it).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

Pair = tuple[str, str]


def pair_key(a: str, b: str) -> Pair:
    return (a, b) if a <= b else (b, a)


@dataclass
class _Forest:
    parent: dict[str, str] = field(default_factory=dict)
    apart: dict[str, set[str]] = field(default_factory=dict)  # root -> roots it may not join

    def root(self, item: str) -> str:
        parent = self.parent
        while parent.get(item, item) != item:
            parent[item] = parent.get(parent[item], parent[item])
            item = parent[item]
        return item

    def may_join(self, a: str, b: str) -> bool:
        ra, rb = self.root(a), self.root(b)
        return ra == rb or rb not in self.apart.get(ra, set())

    def join(self, a: str, b: str) -> None:
        ra, rb = self.root(a), self.root(b)
        if ra == rb:
            return
        self.parent[ra] = rb
        merged = self.apart.pop(ra, set()) | self.apart.pop(rb, set())
        for other in merged:
            others = self.apart.setdefault(other, set())
            others.discard(ra)
            others.add(rb)
        if merged:
            self.apart[rb] = merged

    def keep_apart(self, a: str, b: str) -> None:
        ra, rb = self.root(a), self.root(b)
        if ra != rb:
            self.apart.setdefault(ra, set()).add(rb)
            self.apart.setdefault(rb, set()).add(ra)


@dataclass(frozen=True)
class Clustering:
    cluster_of: dict[str, int]
    links_skipped: int
    """Automatic links not made because a decision keeps their records apart."""


def cluster(
    records: Sequence[str],
    scored: Iterable[tuple[str, str, float, bool]],
    *,
    threshold: float,
    links: Iterable[Pair] = (),
    non_links: Iterable[Pair] = (),
) -> Clustering:
    """Cluster `records` from `scored` pairs (a, b, probability, vetoed) and decisions.

    Cluster numbers run from 1 in the order of `records`.
    """
    known = set(records)
    forest = _Forest()
    for a, b in links:
        if a in known and b in known:
            forest.join(a, b)
    apart = {pair_key(a, b) for a, b in non_links if a in known and b in known}
    for a, b in apart:
        forest.keep_apart(a, b)
    automatic = sorted(
        (
            (probability, pair_key(a, b))
            for a, b, probability, vetoed in scored
            if probability >= threshold and not vetoed and pair_key(a, b) not in apart
        ),
        key=lambda item: (-item[0], item[1]),
    )
    skipped = 0
    for _probability, (a, b) in automatic:
        if a not in known or b not in known:
            continue
        if forest.may_join(a, b):
            forest.join(a, b)
        else:
            skipped += 1
    numbers: dict[str, int] = {}
    cluster_of = {}
    for record in records:
        root = forest.root(record)
        cluster_of[record] = numbers.setdefault(root, len(numbers) + 1)
    return Clustering(cluster_of=cluster_of, links_skipped=skipped)
