"""The optimal assignment (minimum-cost flow, OR-Tools) and the greedy baseline.

Graph: source -> person (capacity: the person's) -> slot (one arc per feasible pair,
capacity 1, cost minus the pair's weight) -> sink (capacity: the slot's). A zero-cost arc
from the source to the sink lets flow skip; since every pair's weight is positive, the
minimum-cost flow is the assignment of maximum total weight under every capacity.
With `balance`, persons hang under one node per referring organisation, reached by an arc
worth a bonus up to the organisation's proportional share and by a plain arc beyond it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from passerelle.core.extras import require

BALANCE_BONUS = 2_000
"""Bonus per place within an organisation's share (a fifth of a certain placement)."""


class SolverError(RuntimeError):
    pass


_SOURCE, _SINK = 0, 1
"""The flow network's source and sink nodes; persons, slots and organisations follow."""


def solve_flow(
    person: np.ndarray,
    slot: np.ndarray,
    weight: np.ndarray,
    person_capacity: np.ndarray,
    slot_capacity: np.ndarray,
    organisation: np.ndarray | None = None,
) -> np.ndarray:
    """Boolean mask of the chosen pairs. `organisation`: each person's organisation index
    (or None: no balancing)."""
    chosen = np.zeros(person.size, dtype=bool)
    if person.size == 0:
        return chosen
    network, supply = _network(person, slot, weight, person_capacity, slot_capacity, organisation)
    min_cost_flow: Any = require("ortools.graph.python.min_cost_flow", "matching")
    flow = min_cost_flow.SimpleMinCostFlow()
    flow.add_arcs_with_capacity_and_unit_cost(*(np.concatenate(part) for part in network))
    flow.set_node_supply(_SOURCE, supply)
    flow.set_node_supply(_SINK, -supply)
    status = flow.solve()
    if status != flow.OPTIMAL:
        raise SolverError(f"the minimum-cost flow solver ended with status {status}")
    chosen[:] = flow.flows(np.arange(person.size, dtype=np.int32)) > 0
    return chosen


class _Arcs:
    """The flow network's arcs as columns: tails, heads, capacities and unit costs."""

    def __init__(self) -> None:
        self.columns: tuple[list[np.ndarray], ...] = ([], [], [], [])

    def add(self, tail: np.ndarray, head: np.ndarray, cap: np.ndarray, cost: np.ndarray) -> None:
        for column, values, dtype in zip(
            self.columns,
            (tail, head, cap, cost),
            (np.int32, np.int32, np.int64, np.int64),
            strict=True,
        ):
            column.append(values.astype(dtype))


def _network(
    person: np.ndarray,
    slot: np.ndarray,
    weight: np.ndarray,
    person_capacity: np.ndarray,
    slot_capacity: np.ndarray,
    organisation: np.ndarray | None,
) -> tuple[tuple[list[np.ndarray], ...], int]:
    """The flow network's arcs (the pair arcs first, so that their indexes are
    0..len(person)-1) and the supply: source → (organisation →) person → slot → sink, and
    source → sink for the places left empty."""
    n_persons, n_slots = person_capacity.size, slot_capacity.size
    person_node = 2 + np.arange(n_persons, dtype=np.int32)
    slot_node = 2 + n_persons + np.arange(n_slots, dtype=np.int32)
    active_persons = np.unique(person)
    active_slots = np.unique(slot)
    supply = int(person_capacity[active_persons].sum())
    arcs = _Arcs()
    arcs.add(person_node[person], slot_node[slot], np.ones(person.size), -weight)
    if organisation is None:
        arcs.add(
            np.full(active_persons.size, _SOURCE),
            person_node[active_persons],
            person_capacity[active_persons],
            np.zeros(active_persons.size),
        )
    else:
        places = float(min(slot_capacity[active_slots].sum(), supply))
        first_org_node = 2 + n_persons + n_slots
        _organisation_arcs(
            arcs, organisation, active_persons, person_node, person_capacity, places, first_org_node
        )
    arcs.add(
        slot_node[active_slots],
        np.full(active_slots.size, _SINK),
        slot_capacity[active_slots],
        np.zeros(active_slots.size),
    )
    arcs.add(np.array([_SOURCE]), np.array([_SINK]), np.array([supply]), np.array([0]))
    return arcs.columns, supply


def _organisation_arcs(
    arcs: _Arcs,
    organisation: np.ndarray,
    active_persons: np.ndarray,
    person_node: np.ndarray,
    person_capacity: np.ndarray,
    places: float,
    first_node: int,
) -> None:
    """Source → organisation → person: each organisation's fair share of the places earns
    BALANCE_BONUS per unit, the rest of its demand nothing."""
    organisations, members = np.unique(organisation[active_persons], return_inverse=True)
    org_node = first_node + np.arange(organisations.size, dtype=np.int32)
    demand = np.bincount(members, weights=person_capacity[active_persons])
    share = np.ceil(demand / max(demand.sum(), 1) * places)
    arcs.add(
        np.full(organisations.size, _SOURCE), org_node, share, np.full(share.size, -BALANCE_BONUS)
    )
    arcs.add(np.full(organisations.size, _SOURCE), org_node, demand, np.zeros(demand.size))
    arcs.add(
        org_node[members],
        person_node[active_persons],
        person_capacity[active_persons],
        np.zeros(active_persons.size),
    )


def priority_order(waiting_days: np.ndarray) -> np.ndarray:
    """Rank of each person in first-come-first-served order: waiting longest first, then
    input order."""
    order = np.lexsort((np.arange(waiting_days.size), -waiting_days))
    rank = np.empty(waiting_days.size, dtype=np.int64)
    rank[order] = np.arange(waiting_days.size)
    return rank


def solve_greedy(
    person: np.ndarray,
    slot: np.ndarray,
    weight: np.ndarray,
    person_capacity: np.ndarray,
    slot_capacity: np.ndarray,
    rank: np.ndarray,
) -> np.ndarray:
    """First come, first served: in order of `rank`, each person takes the slots they score
    best with among those with places left (serial dictatorship). Computed as
    person-proposing deferred acceptance with every slot preferring lower rank, which gives
    the same assignment in vectorised rounds; persons with capacity above one are served by
    a plain loop."""
    chosen = np.zeros(person.size, dtype=bool)
    if person.size == 0:
        return chosen
    if (person_capacity > 1).any():
        order = np.lexsort((-weight, rank[person]))
        return _greedy_loop(person, slot, order, person_capacity, slot_capacity.copy(), chosen)
    order = np.lexsort((-weight, person))
    sorted_person = person[order]
    starts = np.searchsorted(sorted_person, np.arange(person_capacity.size))
    ends = np.searchsorted(sorted_person, np.arange(person_capacity.size), side="right")
    pointer = starts.copy()
    held = np.full(person_capacity.size, -1, dtype=np.int64)  # position in `order`
    active = np.flatnonzero(ends > starts)
    while active.size:
        proposals = pointer[active]
        candidates_pos = np.concatenate([proposals, held[held >= 0]])
        proposers = np.concatenate([active, np.flatnonzero(held >= 0)])
        slots_of = slot[order[candidates_pos]]
        by_slot = np.lexsort((rank[proposers], slots_of))
        sorted_slots = slots_of[by_slot]
        first = np.searchsorted(sorted_slots, sorted_slots)
        within = np.arange(sorted_slots.size) - first
        accept = within < slot_capacity[sorted_slots]
        held[:] = -1
        winners = proposers[by_slot][accept]
        held[winners] = candidates_pos[by_slot][accept]
        losers = proposers[by_slot][~accept]
        pointer[losers] += 1
        active = losers[pointer[losers] < ends[losers]]
    chosen[order[held[held >= 0]]] = True
    return chosen


def _greedy_loop(
    person: np.ndarray,
    slot: np.ndarray,
    order: np.ndarray,
    person_capacity: np.ndarray,
    remaining: np.ndarray,
    chosen: np.ndarray,
) -> np.ndarray:
    taken = np.zeros(person_capacity.size, dtype=np.int64)
    for position in order.tolist():
        p, s = int(person[position]), int(slot[position])
        if taken[p] < person_capacity[p] and remaining[s] > 0:
            chosen[position] = True
            taken[p] += 1
            remaining[s] -= 1
    return chosen
