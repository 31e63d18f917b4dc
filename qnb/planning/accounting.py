"""The ebit accounting rule (FR-004): which node runs each remote gate and what it costs.

The rule, stated in full with worked examples in ``docs/planning.md``:

* A multi-qubit gate whose qubits sit on more than one node is a *remote gate*. It executes on
  the node of its target (the last qubit the gate is not diagonal on); for gates diagonal on every
  qubit (``cz``, ``cp``, ``rzz``, ``ccz``) on whichever of its qubits' nodes is cheapest given the
  copies that already exist (ties: the last qubit's node).
* Every other qubit ``p`` of the gate that sits on a node ``A`` different from the executing node
  ``E`` and on which the gate is diagonal needs a cat-entangled copy of ``p`` on ``E``. Creating it
  costs ``hops(A, E)`` link ebits (entanglement swapping along the shortest path) and multiplies
  the estimated fidelity by the path fidelity. The copy stays valid, and later remote gates that
  use ``p`` diagonally on ``E`` get it for free, until an operation that is not diagonal on ``p``
  (``h``, ``x``, target of a ``cx``, measure, reset), anywhere, acts on ``p``.
* A qubit ``p`` on which the remote gate is *not* diagonal (``swap``, ``iswap``, ``rxx``, ``ecr``,
  the middle qubit of ``cswap``...) is teleported to ``E`` and back: ``2 * hops(A, E)`` ebits and
  the path fidelity squared. It invalidates ``p``'s copies.
* Link latency of a remote gate: the largest path latency to any peer (twice it for a teleport
  round trip).

Parts are integer indices of the nodes the planner selected; matrices are indexed by them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from ..circuits.ir import Operation
from .profile import diag_mask, exec_position

__all__ = ["RemoteRoute", "route_ops"]


@dataclass(frozen=True, slots=True)
class RemoteRoute:
    node: int                  # executing part
    peers: tuple[int, ...]     # other parts holding qubits of the gate, ascending
    ebits: int
    log_link_fidelity: float   # ln of the product of path fidelities of the ebits consumed
    link_ms: float


def route_ops(ops: Sequence[Operation], place: Sequence[int], hops: Sequence[Sequence[int]],
              log_fid: Sequence[Sequence[float]], lat: Sequence[Sequence[float]]) -> list[RemoteRoute | None]:
    """Apply the rule to every operation; ``None`` marks an operation local to one node."""
    n = len(place)
    cats: list[set[int]] = [set() for _ in range(n)]
    out: list[RemoteRoute | None] = []
    for op in ops:
        qs = op.qubits
        if op.name == "barrier":
            out.append(None)
            continue
        diag = diag_mask(op)
        if len(qs) == 1 or not op.is_gate:
            for q, d in zip(qs, diag):
                if not d and cats[q]:
                    cats[q].clear()
            out.append(None)
            continue
        parts = [place[q] for q in qs]
        first = parts[0]
        if all(p == first for p in parts):
            for q, d in zip(qs, diag):
                if not d and cats[q]:
                    cats[q].clear()
            out.append(None)
            continue
        if all(diag):
            # choose the cheapest executing node among the gate's nodes (ties: last qubit's)
            best_e, best_c = -1, None
            seen: list[int] = []
            for pos in range(len(qs) - 1, -1, -1):
                e = parts[pos]
                if e in seen:
                    continue
                seen.append(e)
                c = sum(hops[parts[i]][e] for i in range(len(qs))
                        if parts[i] != e and e not in cats[qs[i]])
                if best_c is None or c < best_c:
                    best_e, best_c = e, c
            e = best_e
        else:
            e = parts[exec_position(op)]
        ebits = 0
        lf = 0.0
        ms = 0.0
        peers: list[int] = []
        for q, a, d in zip(qs, parts, diag):
            if a == e:
                continue
            if a not in peers:
                peers.append(a)
            if d:
                if e not in cats[q]:
                    ebits += hops[a][e]
                    lf += log_fid[a][e]
                    cats[q].add(e)
                ms = max(ms, lat[a][e])
            else:
                ebits += 2 * hops[a][e]
                lf += 2.0 * log_fid[a][e]
                ms = max(ms, 2.0 * lat[a][e])
        for q, d in zip(qs, diag):
            if not d and cats[q]:
                cats[q].clear()
        out.append(RemoteRoute(e, tuple(sorted(peers)), ebits, lf, ms))
    return out
