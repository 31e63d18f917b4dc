"""Analysis step: the cost model of a placed fragment DAG (FR-004).

* Estimated fidelity = product over operations of the executing node's ``fidelity_1q`` (1-qubit
  gates and resets), ``fidelity_2q ** (k - 1)`` (k-qubit gates), ``fidelity_readout`` (measure),
  times the path fidelity of every ebit-creating remote use (see :mod:`qnb.planning.accounting`).
* Fragment duration = as-soon-as-possible schedule of its operations on its node (operations on
  disjoint qubits overlap), from the node's ``duration_*_ns``.
* Latency = critical path through the DAG, each fragment contributing its duration plus, for a
  remote fragment, its link latency.
* Cost = ``weights.latency * latency_ms + weights.fidelity * (-ln F) + weights.ebits * ebits``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

from ..circuits.ir import Operation
from ..topology import NodeSpec
from .fragments import RawFragment
from .plan import CostWeights
from .profile import op_class

__all__ = ["NodeModel", "FragmentCost", "PlanCost", "evaluate", "op_codes"]

# operation classes as indices into NodeModel.logs / NodeModel.durs
_NONE, _1Q, _2Q, _RO, _RESET = range(5)


def op_codes(ops: Sequence[Operation]) -> list[tuple[int, int]]:
    """Per operation ``(class index, multiplicity)``; a k-qubit gate is k-1 two-qubit gates."""
    out = []
    for op in ops:
        cls = op_class(op)
        if cls == "2q":
            out.append((_2Q, len(op.qubits) - 1))
        elif cls == "1q":
            out.append((_RESET if op.name == "reset" else _1Q, 1))
        elif cls == "readout":
            out.append((_RO, 1))
        else:
            out.append((_NONE, 1))
    return out


@dataclass(frozen=True, slots=True)
class NodeModel:
    """Per-node log-fidelities and durations, precomputed once per plan."""

    log_1q: float
    log_2q: float
    log_ro: float
    d_1q: float
    d_2q: float
    d_ro: float

    @classmethod
    def of(cls, node: NodeSpec) -> "NodeModel":
        return cls(math.log(node.fidelity_1q), math.log(node.fidelity_2q), math.log(node.fidelity_readout),
                   node.duration_1q_ns, node.duration_2q_ns, node.duration_readout_ns)

    @property
    def logs(self) -> tuple[float, ...]:
        """ln fidelity per class index (none, 1q, 2q, readout, reset); resets count as 1q."""
        return (0.0, self.log_1q, self.log_2q, self.log_ro, self.log_1q)

    @property
    def durs(self) -> tuple[float, ...]:
        """Duration (ns) per class index; a reset takes as long as a readout."""
        return (0.0, self.d_1q, self.d_2q, self.d_ro, self.d_ro)

    def op(self, op: Operation) -> tuple[float, float]:
        """``(ln fidelity, duration_ns)`` of one operation on this node."""
        (code, k), = op_codes([op])
        return (self.logs[code] * k, self.durs[code] * k)


@dataclass(frozen=True, slots=True)
class FragmentCost:
    log_fidelity: float
    duration_ns: float
    link_ms: float


@dataclass(frozen=True, slots=True)
class PlanCost:
    fragments: tuple[FragmentCost, ...]
    log_fidelity: float
    latency_ms: float
    ebits: int
    remote_gates: int

    def terms(self, w: CostWeights) -> dict[str, float]:
        risk = -self.log_fidelity if self.log_fidelity < 0 else 0.0
        total = w.latency * self.latency_ms + w.fidelity * risk + w.ebits * self.ebits
        return {"latency_ms": self.latency_ms, "fidelity_risk": risk, "ebits": float(self.ebits), "total": total}


def evaluate(ops: Sequence[Operation], frags: Sequence[RawFragment], edges: Sequence[tuple[int, int]],
             models: Sequence[NodeModel], codes: Sequence[tuple[int, int]] | None = None) -> PlanCost:
    """Price fragments placed by the planner; ``codes`` = :func:`op_codes` of ``ops`` (computed if None)."""
    if codes is None:
        codes = op_codes(ops)
    tables = [(m.logs, m.durs) for m in models]
    costs: list[FragmentCost] = []
    total_log = 0.0
    ebits = 0
    remote = 0
    for f in frags:
        logs, durs = tables[f.part]
        log_f = 0.0
        ready: dict[int, float] = {}
        end = 0.0
        for i in f.ops:
            code, k = codes[i]
            log_f += logs[code] * k
            qs = ops[i].qubits
            if len(qs) == 1:
                t = ready.get(qs[0], 0.0) + durs[code] * k
                ready[qs[0]] = t
            else:
                t = max([ready.get(q, 0.0) for q in qs]) + durs[code] * k
                for q in qs:
                    ready[q] = t
            if t > end:
                end = t
        link_ms = 0.0
        if f.route is not None:
            log_f += f.route.log_link_fidelity
            link_ms = f.route.link_ms
            ebits += f.route.ebits
            remote += 1
        total_log += log_f
        costs.append(FragmentCost(log_f, end, link_ms))
    preds: list[list[int]] = [[] for _ in frags]
    for a, b in edges:
        preds[b].append(a)
    finish = [0.0] * len(frags)
    for i, fc in enumerate(costs):  # ids are a topological order
        start = max([finish[p] for p in preds[i]], default=0.0)
        finish[i] = start + fc.duration_ns * 1e-6 + fc.link_ms
    return PlanCost(tuple(costs), total_log, max(finish, default=0.0), ebits, remote)
