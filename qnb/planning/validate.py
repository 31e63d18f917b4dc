"""Consistency checker for plans: the DAG and placement invariants every Plan must satisfy (FR-004).

Reusable by any layer's tests (planner, runtime, store): ``check_plan(plan, circuit, topology)``
raises ``AssertionError`` listing every violated invariant; :func:`plan_problems` returns them.
"""

from __future__ import annotations

import math

from ..circuits.ir import Circuit
from ..topology import Topology
from .plan import Plan

__all__ = ["plan_problems", "check_plan"]


def plan_problems(plan: Plan, circuit: Circuit, topology: Topology | None = None) -> list[str]:
    probs: list[str] = []
    ops = circuit.operations
    frags = plan.fragments
    if len(plan.placement) != circuit.num_qubits:
        probs.append(f"placement has {len(plan.placement)} entries for {circuit.num_qubits} qubits")
    owner: dict[int, int] = {}
    for idx, f in enumerate(frags):
        if f.id != idx:
            probs.append(f"fragment at index {idx} has id {f.id}")
        if list(f.op_indices) != sorted(f.op_indices):
            probs.append(f"fragment {f.id}: op_indices not in program order")
        if not f.op_indices:
            probs.append(f"fragment {f.id} is empty")
        for i in f.op_indices:
            if i in owner:
                probs.append(f"operation {i} is in fragments {owner[i]} and {f.id}")
            owner[i] = f.id
        qs = sorted({q for i in f.op_indices for q in ops[i].qubits})
        if list(f.qubits) != qs:
            probs.append(f"fragment {f.id}: qubits {list(f.qubits)} != touched {qs}")
        homes = sorted({plan.placement[q] for q in qs}) if len(plan.placement) == circuit.num_qubits else []
        if f.kind == "local" and homes and homes != [f.node]:
            probs.append(f"local fragment {f.id} on {f.node} touches qubits placed on {homes}")
        if f.kind == "remote":
            if len(f.op_indices) != 1 or len(ops[f.op_indices[0]].qubits) < 2:
                probs.append(f"remote fragment {f.id} is not a single multi-qubit gate")
            if homes and (f.node not in homes or sorted(set(homes) - {f.node}) != list(f.peers)):
                probs.append(f"remote fragment {f.id}: node {f.node} / peers {list(f.peers)} vs qubit homes {homes}")
    for i, op in enumerate(ops):
        if op.name != "barrier" and i not in owner:
            probs.append(f"operation {i} ({op.name}) is in no fragment")
    for a, b in plan.edges:
        if not (0 <= a < b < len(frags)):
            probs.append(f"edge {a}->{b} does not go forward in the fragment order")
    if len(set(plan.edges)) != len(plan.edges):
        probs.append("duplicate edges")
    edges = set(plan.edges)
    last: dict[tuple[str, int], int] = {}
    for i, op in enumerate(ops):
        if i not in owner:
            continue
        for key in [("q", q) for q in op.qubits] + [("c", c) for c in op.clbits]:
            if key in last:
                fa, fb = owner[last[key]], owner[i]
                if fa > fb:
                    probs.append(f"ops {last[key]} and {i} share {key[0]}{key[1]} but fragment {fa} follows {fb}")
                elif fa != fb and (fa, fb) not in edges:
                    probs.append(f"ops {last[key]} and {i} share {key[0]}{key[1]}: missing edge {fa}->{fb}")
            last[key] = i
    if plan.ebits != sum(f.ebits for f in frags):
        probs.append(f"plan ebits {plan.ebits} != sum over fragments {sum(f.ebits for f in frags)}")
    if plan.remote_gates != sum(1 for f in frags if f.kind == "remote"):
        probs.append("remote_gates does not count the remote fragments")
    prod = math.prod(f.estimated_fidelity for f in frags)
    if not math.isclose(prod, plan.estimated_fidelity, rel_tol=1e-9, abs_tol=1e-300):
        probs.append(f"estimated fidelity {plan.estimated_fidelity} != product over fragments {prod}")
    w = plan.weights
    total = w.latency * plan.cost["latency_ms"] + w.fidelity * plan.cost["fidelity_risk"] + w.ebits * plan.cost["ebits"]
    if not math.isclose(total, plan.cost["total"], rel_tol=1e-9, abs_tol=1e-12):
        probs.append(f"cost total {plan.cost['total']} != weighted sum {total}")
    if topology is not None:
        load: dict[str, int] = {}
        for node in plan.placement:
            load[node] = load.get(node, 0) + 1
        for node, count in sorted(load.items()):
            spec = topology.by_id.get(node)
            if spec is None:
                probs.append(f"placement uses unknown node {node}")
            elif count > spec.qubits:
                probs.append(f"node {node} holds {count} qubits > capacity {spec.qubits}")
            elif not spec.available:
                probs.append(f"placement uses unavailable node {node}")
        for f in frags:
            spec = topology.by_id.get(f.node)
            names = sorted({ops[i].name for i in f.op_indices if ops[i].is_gate})
            if spec is not None and not set(names) <= spec.gates:
                probs.append(f"fragment {f.id} on {f.node} uses unsupported gate(s) {sorted(set(names) - spec.gates)}")
    return probs


def check_plan(plan: Plan, circuit: Circuit, topology: Topology | None = None) -> None:
    probs = plan_problems(plan, circuit, topology)
    if probs:
        raise AssertionError("invalid plan:\n  " + "\n  ".join(probs))
