"""Transformation step: cut the operation sequence into fragments and their dependency DAG (FR-004).

Walk the operations in program order. A remote gate (see :mod:`qnb.planning.accounting`) becomes a
fragment of its own. A local operation joins the latest fragment of its node when every fragment
it depends on (the latest fragment touching each of its qubits and clbits) was created no later
than that fragment; otherwise it opens a new fragment on that node. Hence every edge goes from a
lower to a higher fragment id, creation order is a valid topological order, and
``Fragment.id`` equals the index in ``Plan.fragments``.

Barriers: a barrier whose qubits all sit on one node is kept in that node's fragment; a barrier
spanning nodes is dropped (it has no effect on the state, and the DAG already orders every pair of
operations that share a qubit).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

from ..circuits.ir import Operation
from .accounting import RemoteRoute

__all__ = ["RawFragment", "build_fragments"]


@dataclass
class RawFragment:
    part: int
    kind: str
    ops: list[int] = field(default_factory=list)
    route: RemoteRoute | None = None
    qubits: set[int] = field(default_factory=set)


def build_fragments(ops: Sequence[Operation], place: Sequence[int], routes: Sequence[RemoteRoute | None],
                    num_clbits: int) -> tuple[list[RawFragment], list[tuple[int, int]]]:
    frags: list[RawFragment] = []
    edges: set[tuple[int, int]] = set()
    last_q = [-1] * len(place)
    last_c = [-1] * num_clbits
    latest_local: dict[int, int] = {}
    for i, op in enumerate(ops):
        route = routes[i]
        if route is None:
            if not op.qubits:
                continue
            part = place[op.qubits[0]]
            if op.name == "barrier" and any(place[q] != part for q in op.qubits):
                continue
        deps = {last_q[q] for q in op.qubits}
        deps.update(last_c[c] for c in op.clbits)
        deps.discard(-1)
        if route is not None:
            fid = len(frags)
            frags.append(RawFragment(route.node, "remote", [i], route))
        else:
            cur = latest_local.get(part)
            if cur is not None and (not deps or max(deps) <= cur):
                fid = cur
                frags[fid].ops.append(i)
            else:
                fid = len(frags)
                frags.append(RawFragment(part, "local", [i]))
                latest_local[part] = fid
        frags[fid].qubits.update(op.qubits)
        for d in deps:
            if d != fid:
                edges.add((d, fid))
        for q in op.qubits:
            last_q[q] = fid
        for c in op.clbits:
            last_c[c] = fid
    return frags, sorted(edges)
