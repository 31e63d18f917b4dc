"""Analysis step: hard constraints of a planning request, and the errors that name them (FR-004).

Checked before any partitioning, in this order: usable nodes exist (available and not excluded),
every gate is supported by some usable node, every qubit has a node supporting all gates acting
on it, total and per-gate capacity, a connected group of nodes large enough, and the requested
minimum fidelity is reachable at all. Each failure raises :class:`qnb.errors.PlanningError` whose
``missing`` field names the capability or constraint (``gate:ccx``, ``capacity``, ``min_fidelity``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..errors import PlanningError
from ..topology import NodeSpec, Topology
from .profile import CircuitProfile

__all__ = ["Usable", "check_request", "check_min_fidelity"]


def _err(message: str, missing: str) -> PlanningError:
    # line/column are part of the CLI error contract; planning errors have no source location
    return PlanningError(message, missing=missing, line=None, column=None)


@dataclass(frozen=True)
class Usable:
    """The usable nodes (sorted by id) and, per qubit, the ids of nodes allowed to hold it."""

    nodes: tuple[NodeSpec, ...]
    qubit_allowed: tuple[frozenset[str], ...]
    #: connected groups of usable nodes, each sorted by id, groups ordered by their first id
    components: tuple[tuple[str, ...], ...]


def _components(topo: Topology, ids: list[str]) -> tuple[tuple[str, ...], ...]:
    comps: list[tuple[str, ...]] = []
    seen: set[str] = set()
    for a in ids:
        if a in seen:
            continue
        comp = [b for b in ids if b == a or topo.path_cost(a, b) is not None]
        seen.update(comp)
        comps.append(tuple(comp))
    return tuple(comps)


def check_request(profile: CircuitProfile, topology: Topology, usable_topo: Topology,
                  excluded: tuple[str, ...]) -> Usable:
    """Raise PlanningError naming the first violated hard constraint; else describe the usable nodes."""
    nodes = tuple(sorted(usable_topo.nodes, key=lambda n: n.id))
    unusable = len(topology.nodes) - len(nodes)
    why = f" ({unusable} node(s) unavailable or excluded)" if unusable else ""
    n = profile.num_qubits
    if not nodes:
        raise _err(f"no usable nodes: all {len(topology.nodes)} node(s) are unavailable or excluded", "nodes")
    for g in profile.gate_names:
        if not any(g in node.gates for node in nodes):
            elsewhere = [node.id for node in topology.nodes if g in node.gates]
            extra = f" (only unavailable or excluded node(s) {sorted(elsewhere)} do)" if elsewhere else ""
            raise _err(f"no node supports gate '{g}'{extra}", f"gate:{g}")
    allowed_by_sig: dict[frozenset[str], frozenset[str]] = {}
    qubit_allowed = []
    for q, sig in enumerate(profile.qubit_gates):
        if sig not in allowed_by_sig:
            allowed_by_sig[sig] = frozenset(node.id for node in nodes if sig <= node.gates)
        ok = allowed_by_sig[sig]
        if not ok:
            raise _err(f"no node supports all gates acting on qubit {q}: {sorted(sig)}",
                       "gate_combination:" + ",".join(sorted(sig)))
        qubit_allowed.append(ok)
    capacity = sum(node.qubits for node in nodes)
    if n > capacity:
        raise _err(f"circuit needs {n} qubits, mesh has {capacity} available{why}", "capacity")
    for g, qubits in profile.gate_qubits:
        support = [node for node in nodes if g in node.gates]
        slots = sum(node.qubits for node in support)
        if len(qubits) > slots:
            raise _err(f"circuit has {len(qubits)} qubits acted on by '{g}', nodes supporting it "
                       f"offer {slots} qubit slots{why}", f"capacity:gate:{g}")
    comps = _components(usable_topo, [node.id for node in nodes])
    by_id = {node.id: node for node in nodes}
    largest = max(sum(by_id[i].qubits for i in comp) for comp in comps)
    if n > largest:
        raise _err(f"circuit needs {n} qubits but the largest connected group of usable nodes "
                   f"offers {largest}", "connectivity")
    return Usable(nodes, tuple(qubit_allowed), comps)


def check_min_fidelity(profile: CircuitProfile, nodes: tuple[NodeSpec, ...], min_fidelity: float) -> None:
    """Fail early when no placement at all can reach ``min_fidelity`` (upper bound: best node per class)."""
    n1, n2, nr = profile.totals
    classes = [("1-qubit gates", "fidelity_1q", n1, 1), ("2-qubit gates", "fidelity_2q", n2, 1),
               ("readout", "fidelity_readout", nr, 1)]
    log_bound = 0.0
    for label, attr, count, _ in classes:
        if not count:
            continue
        best = max(getattr(node, attr) for node in nodes)
        if best < min_fidelity:
            raise _err(f"no node meets min fidelity {min_fidelity} for {label} (best {attr} is {best})",
                       "min_fidelity")
        log_bound += count * math.log(best)
    bound = math.exp(log_bound)
    if bound < min_fidelity:
        raise _err(f"best possible estimated fidelity {bound:.6g} (every operation on the best node for "
                   f"its class, no ebits) < requested {min_fidelity}", "min_fidelity")
