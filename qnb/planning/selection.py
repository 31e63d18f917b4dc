"""Node selection: which few node sets are worth partitioning the circuit over (FR-004).

For heterogeneous meshes the planner first decides *which* nodes to use. A node's quality for
this circuit is the fidelity risk of running all the circuit's operations on it
(``totals . -ln(f1, f2, fr)``). Candidate sets, each inside one connected group of usable nodes:

* ``single``: the best node that holds the whole circuit and supports all its gates (a circuit
  that fits on one good node is then not distributed unless the cost says so);
* ``quality``: best nodes first until the capacity suffices;
* ``capacity``: largest nodes first (fewest nodes, fewest ebits);
* ``cluster``: grown from the best node by nearest usable neighbours (matters on sparse meshes
  where far-apart good nodes would pay multi-hop ebits);
* ``quality+1``: one spare node for slack when ``quality`` is tight (small problems only).

Each set is completed with nodes supporting any gate whose qubits cannot otherwise be placed, and
ordered as a nearest-neighbour chain so consecutive chunks of an ordering land on nearby nodes.
"""

from __future__ import annotations

import math
from typing import Callable, Sequence

from ..topology import NodeSpec
from .constraints import Usable
from .plan import CostWeights
from .profile import CircuitProfile

__all__ = ["node_risk", "candidate_sets", "chain_order", "assignable"]


def node_risk(node: NodeSpec, profile: CircuitProfile, w: CostWeights) -> float:
    n1, n2, nr = profile.totals
    return w.fidelity * -(n1 * math.log(node.fidelity_1q) + n2 * math.log(node.fidelity_2q)
                          + nr * math.log(node.fidelity_readout))


def assignable(qubit_allowed: Sequence[frozenset[str]], nodes: Sequence[NodeSpec]) -> bool:
    """Can every qubit be placed on a node of ``nodes`` it is allowed on, within capacity? (max-flow)"""
    ids = {node.id for node in nodes}
    groups: dict[frozenset[str], int] = {}
    for ok in qubit_allowed:
        key = ok & ids
        if not key:
            return False
        groups[key] = groups.get(key, 0) + 1
    if sum(groups.values()) > sum(node.qubits for node in nodes):
        return False
    if all(key == ids for key in groups):
        return True
    import networkx as nx

    g = nx.DiGraph()
    for i, (key, count) in enumerate(groups.items()):
        g.add_edge("src", ("g", i), capacity=count)
        for nid in sorted(key):
            g.add_edge(("g", i), ("n", nid), capacity=count)
    for node in nodes:
        g.add_edge(("n", node.id), "sink", capacity=node.qubits)
    return nx.maximum_flow_value(g, "src", "sink") == sum(groups.values())


def _take(order: Sequence[NodeSpec], n: int, usable: Usable) -> list[NodeSpec] | None:
    chosen: list[NodeSpec] = []
    cap = 0
    for node in order:
        if cap >= n:
            break
        chosen.append(node)
        cap += node.qubits
    if cap < n:
        return None
    if not assignable(usable.qubit_allowed, chosen):
        # add the nodes (in the same preference order) that the gate constraints need
        for node in order:
            if node in chosen:
                continue
            chosen.append(node)
            if assignable(usable.qubit_allowed, chosen):
                break
        else:
            return None
    return chosen


def chain_order(nodes: Sequence[NodeSpec], risk: dict[str, float],
                dist: Callable[[str, str], float]) -> list[NodeSpec]:
    """Nearest-neighbour chain from the best node (ties: lower risk, then id)."""
    rest = sorted(nodes, key=lambda x: (risk[x.id], x.id))
    if not rest:
        return []
    out = [rest.pop(0)]
    while rest:
        last = out[-1].id
        nxt = min(rest, key=lambda x: (dist(last, x.id), risk[x.id], x.id))
        rest.remove(nxt)
        out.append(nxt)
    return out


def candidate_sets(profile: CircuitProfile, usable: Usable, w: CostWeights,
                   dist: Callable[[str, str], float], *, small: bool) -> list[tuple[str, list[NodeSpec]]]:
    """Named candidate node sets, each ordered for filling; duplicates removed (first name wins)."""
    n = profile.num_qubits
    risk = {node.id: node_risk(node, profile, w) for node in usable.nodes}
    by_id = {node.id: node for node in usable.nodes}
    need_all = frozenset(profile.gate_names)
    out: list[tuple[str, list[NodeSpec]]] = []
    seen: set[tuple[str, ...]] = set()

    def add(name: str, chosen: list[NodeSpec] | None) -> None:
        if not chosen:
            return
        key = tuple(sorted(x.id for x in chosen))
        if key in seen:
            return
        seen.add(key)
        out.append((name, chain_order(chosen, risk, dist)))

    for comp in usable.components:
        members = [by_id[i] for i in comp]
        if sum(x.qubits for x in members) < n:
            continue
        quality = sorted(members, key=lambda x: (risk[x.id], -x.qubits, x.id))
        singles = [x for x in quality if x.qubits >= n and need_all <= x.gates]
        if singles:
            add("single", [singles[0]])
        add("quality", _take(quality, n, usable))
        add("capacity", _take(sorted(members, key=lambda x: (-x.qubits, risk[x.id], x.id)), n, usable))
        cluster = [quality[0]]
        rest = quality[1:]
        near = {x.id: dist(cluster[0].id, x.id) for x in rest}  # distance to the cluster so far
        cap = cluster[0].qubits
        while rest and cap < n:
            nxt = min(rest, key=lambda x: (near[x.id], risk[x.id], x.id))
            rest.remove(nxt)
            cluster.append(nxt)
            cap += nxt.qubits
            for x in rest:
                near[x.id] = min(near[x.id], dist(nxt.id, x.id))
        add("cluster", _take(chain_order(cluster, risk, dist) + rest, n, usable))
        if small:
            base = _take(quality, n, usable)
            if base is not None and len(base) < len(members) and sum(x.qubits for x in base) - n < 2:
                extra = [x for x in quality if x not in base][:1]
                add("quality+1", base + extra)
    return out
