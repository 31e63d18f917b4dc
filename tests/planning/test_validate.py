"""The plan consistency checker catches each kind of broken plan (it guards the other tests)."""

from dataclasses import replace

import pytest

from qnb.planning import plan_circuit
from qnb.planning.validate import check_plan, plan_problems
from qnb.topology import generate

from .helpers import ghz

TOPO = generate("all-to-all:2:4")
CIRCUIT = ghz(8)
PLAN = plan_circuit(CIRCUIT, TOPO)


def test_a_real_plan_is_clean():
    assert plan_problems(PLAN, CIRCUIT, TOPO) == []


def corrupt_fragment(i, **changes):
    frags = list(PLAN.fragments)
    frags[i] = replace(frags[i], **changes)
    return replace(PLAN, fragments=tuple(frags))


@pytest.mark.parametrize("broken, fragment", [
    (lambda: corrupt_fragment(0, id=7), "has id 7"),
    (lambda: corrupt_fragment(0, op_indices=PLAN.fragments[0].op_indices[::-1]), "not in program order"),
    (lambda: corrupt_fragment(0, op_indices=PLAN.fragments[0].op_indices[1:]), "is in no fragment"),
    (lambda: corrupt_fragment(0, qubits=(0,)), "qubits"),
    (lambda: corrupt_fragment(0, node="n01" if PLAN.fragments[0].node == "n00" else "n00"), "touches qubits placed on"),
    (lambda: corrupt_fragment(0, ebits=5), "plan ebits"),
    (lambda: corrupt_fragment(0, estimated_fidelity=0.5), "estimated fidelity"),
    (lambda: replace(PLAN, edges=PLAN.edges[1:]), "missing edge"),
    (lambda: replace(PLAN, edges=tuple((b, a) for a, b in PLAN.edges)), "does not go forward"),
    (lambda: replace(PLAN, edges=PLAN.edges + PLAN.edges[:1]), "duplicate edges"),
    (lambda: replace(PLAN, fragments=PLAN.fragments[::-1]), "has id"),
    (lambda: replace(PLAN, placement=("n00",) * 8), "holds 8 qubits > capacity 4"),
    (lambda: replace(PLAN, placement=PLAN.placement[:3]), "placement has 3 entries"),
    (lambda: replace(PLAN, remote_gates=0), "remote_gates"),
    (lambda: replace(PLAN, cost={**PLAN.cost, "total": 99.0}), "cost total"),
])
def test_each_broken_invariant_is_reported(broken, fragment):
    probs = plan_problems(broken(), CIRCUIT, TOPO)
    assert any(fragment in p for p in probs), probs
    with pytest.raises(AssertionError, match="invalid plan"):
        check_plan(broken(), CIRCUIT, TOPO)


def test_unsupported_gate_and_unknown_node_are_reported():
    no_cx = generate("all-to-all:2:4")
    no_cx = replace(no_cx, nodes=tuple(replace(n, gates=n.gates - {"cx"}) for n in no_cx.nodes))
    assert any("unsupported gate" in p for p in plan_problems(PLAN, CIRCUIT, no_cx))
    other = generate("line:2:4")
    other = replace(other, nodes=tuple(replace(n, id=n.id.replace("n", "m")) for n in other.nodes), links=())
    assert any("unknown node" in p for p in plan_problems(PLAN, CIRCUIT, other))
