"""The planner's output: fragments placed on nodes, their dependency DAG and the cost terms (FR-004).

A :class:`Plan` is a pure value. Its canonical JSON (``to_json(include_timing=False)``) is
byte-identical for the same circuit, topology, weights and seed (NFR-001) and ``plan_hash`` is the
SHA-256 of that JSON. ``compile_ms`` is measured wall time and is therefore excluded from the hash.

Fragment kinds
--------------
``local``     a maximal run of operations whose qubits all sit on ``node``.
``remote``    one 2-qubit (or larger) gate whose qubits sit on different nodes. It executes on
              ``node`` (the node holding its target) and consumes entanglement with ``peers``.
``teleport``  moves logical qubit ``qubits[0]`` from ``peers[0]`` to ``node`` (one ebit per hop).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Fragment", "Plan", "CostWeights"]


@dataclass(frozen=True)
class CostWeights:
    """Weights of the configurable plan cost: ``latency * ms + fidelity * (-ln F) + ebits * n``."""

    latency: float = 0.001
    fidelity: float = 1.0
    ebits: float = 0.05

    def to_json(self) -> dict:
        return {"latency": self.latency, "fidelity": self.fidelity, "ebits": self.ebits}


@dataclass(frozen=True)
class Fragment:
    id: int
    node: str
    kind: str                      # "local" | "remote" | "teleport"
    op_indices: tuple[int, ...]    # indices into Circuit.operations, in program order
    qubits: tuple[int, ...]        # logical qubits the fragment touches, sorted
    peers: tuple[str, ...] = ()    # other nodes involved (remote / teleport)
    ebits: int = 0                 # ebits charged to this fragment by the accounting rule
    estimated_fidelity: float = 1.0
    duration_ns: float = 0.0       # simulated quantum duration on the node

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id, "node": self.node, "kind": self.kind, "ops": len(self.op_indices),
            "op_indices": list(self.op_indices), "qubits": list(self.qubits), "peers": list(self.peers),
            "ebits": self.ebits, "estimated_fidelity": round(self.estimated_fidelity, 12),
            "duration_ns": round(self.duration_ns, 6),
        }


@dataclass(frozen=True)
class Plan:
    num_qubits: int
    num_ops: int
    placement: tuple[str, ...]                 # initial node of each logical qubit
    fragments: tuple[Fragment, ...]            # in a valid topological (execution) order
    edges: tuple[tuple[int, int], ...]         # (from fragment id, to fragment id)
    ebits: int
    remote_gates: int
    estimated_fidelity: float
    cost: dict[str, float]                     # terms: latency_ms, fidelity_risk, ebits, total
    weights: CostWeights = CostWeights()
    seed: int = 0
    circuit_fingerprint: str = ""
    topology_digest: str = ""
    compile_ms: float = field(default=0.0, compare=False)

    @property
    def nodes_used(self) -> tuple[str, ...]:
        return tuple(sorted({f.node for f in self.fragments} | {p for f in self.fragments for p in f.peers}))

    def dag(self):
        """The fragment dependency DAG as a ``networkx.DiGraph`` (nodes carry ``fragment=``)."""
        import networkx as nx
        g = nx.DiGraph()
        for f in self.fragments:
            g.add_node(f.id, fragment=f, node=f.node, kind=f.kind)
        g.add_edges_from(self.edges)
        return g

    def predecessors(self, fragment_id: int) -> tuple[int, ...]:
        return tuple(a for a, b in self.edges if b == fragment_id)

    def to_json(self, include_timing: bool = True) -> dict[str, Any]:
        body = {
            "num_qubits": self.num_qubits, "num_ops": self.num_ops,
            "placement": list(self.placement),
            "fragments": [f.to_json() for f in self.fragments],
            "edges": [list(e) for e in self.edges],
            "ebits": self.ebits, "remote_gates": self.remote_gates,
            "estimated_fidelity": round(self.estimated_fidelity, 12),
            "cost": {k: round(v, 12) for k, v in sorted(self.cost.items())},
            "weights": self.weights.to_json(), "seed": self.seed,
            "circuit_fingerprint": self.circuit_fingerprint,
            "topology_digest": self.topology_digest,
        }
        if include_timing:
            body["plan_hash"] = self.plan_hash
            body["compile_ms"] = round(self.compile_ms, 3)
        return body

    def canonical_bytes(self) -> bytes:
        return json.dumps(self.to_json(include_timing=False), sort_keys=True, separators=(",", ":")).encode()

    @property
    def plan_hash(self) -> str:
        return hashlib.sha256(self.canonical_bytes()).hexdigest()
