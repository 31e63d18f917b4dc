"""Analysis step: the qubit-interaction hypergraph whose cut cost is the ebit count (FR-004).

Following Andres-Martinez & Heunen (2019), each qubit's timeline is split into *diagonal blocks*:
a block ends when a gate that is not diagonal on the qubit acts on it (``h``, ``x``, the target of
a ``cx``, a measurement, a reset). All remote gates that use the qubit on a diagonal (control /
phase) side inside one block can share one cat-entangled copy of it per remote node. So each block
becomes a hyperedge ``root + partners`` (partners = the executing qubits of those gates) whose cost
for a placement ``P`` is ``sum(C[P(root)][m] for m in parts(partners) - {P(root)})``, the rooted
form of the classic connectivity-minus-one metric. A gate that is non-diagonal on a qubit that is
not its executing qubit (``swap``, ``rxx``, ``iswap``...) becomes a 2-pin hyperedge of weight 2:
its state is teleported to the executing node and back.

The planner's ebit accounting (:mod:`qnb.planning.accounting`) can only do better than this static
model (it also reuses copies of the other side of symmetric diagonal gates), so the partitioner
minimises an upper bound that is tight on the circuits the tests pin down (GHZ, Ising chains).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..circuits.ir import Circuit
from .profile import diag_mask, exec_position

__all__ = ["Hypergraph", "build_hypergraph"]


@dataclass(frozen=True)
class Hypergraph:
    num_vertices: int
    roots: tuple[int, ...]               # root vertex of each edge
    pins: tuple[tuple[int, ...], ...]    # root first, then partners in first-use order
    weights: tuple[float, ...]
    incident: tuple[tuple[int, ...], ...]  # per vertex: edge ids, ascending

    @property
    def num_edges(self) -> int:
        return len(self.pins)

    def neighbours(self) -> list[dict[int, float]]:
        """Clique expansion: per vertex, neighbour -> weight (``w / (pins - 1)`` per edge)."""
        adj: list[dict[int, float]] = [{} for _ in range(self.num_vertices)]
        for pins, w in zip(self.pins, self.weights):
            share = w / (len(pins) - 1)
            for u in pins:
                row = adj[u]
                for v in pins:
                    if v != u:
                        row[v] = row.get(v, 0.0) + share
        return adj


def build_hypergraph(circuit: Circuit) -> Hypergraph:
    n = circuit.num_qubits
    partners: list[dict[int, None]] = [{} for _ in range(n)]  # ordered sets
    merged: dict[tuple[int, ...], float] = {}

    def close(q: int) -> None:
        if partners[q]:
            key = (q, *partners[q])
            merged[key] = merged.get(key, 0.0) + 1.0
            partners[q] = {}

    for op in circuit.operations:
        qs = op.qubits
        if op.name == "barrier":
            continue
        mask = diag_mask(op)
        if len(qs) == 1 or not op.is_gate:
            for q, d in zip(qs, mask):
                if not d:
                    close(q)
            continue
        t_pos = exec_position(op)
        t = qs[t_pos]
        for pos, p in enumerate(qs):
            if pos == t_pos:
                continue
            if mask[pos]:
                partners[p][t] = None
            else:
                key = (p, t)
                merged[key] = merged.get(key, 0.0) + 2.0
        for q, d in zip(qs, mask):
            if not d:
                close(q)
    for q in range(n):
        close(q)

    pins = tuple(merged)
    inc: list[list[int]] = [[] for _ in range(n)]
    for e, ps in enumerate(pins):
        for v in ps:
            inc[v].append(e)
    return Hypergraph(n, tuple(p[0] for p in pins), pins, tuple(merged.values()),
                      tuple(tuple(x) for x in inc))
