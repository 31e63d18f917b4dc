"""The cost model: fidelity product, ASAP fragment durations, DAG critical path (FR-004)."""

import math

from qnb.planning.accounting import RemoteRoute
from qnb.planning.cost import NodeModel, evaluate
from qnb.planning.fragments import RawFragment
from qnb.planning.plan import CostWeights
from qnb.topology import NodeSpec

from .helpers import circuit, op

NODE = NodeSpec("a", 4, fidelity_1q=0.99, fidelity_2q=0.9, fidelity_readout=0.8,
                duration_1q_ns=10.0, duration_2q_ns=100.0, duration_readout_ns=1000.0)


def test_operation_classes():
    m = NodeModel.of(NODE)
    assert m.op(op("h", 0)) == (math.log(0.99), 10.0)
    assert m.op(op("cx", 0, 1)) == (math.log(0.9), 100.0)
    lf, d = m.op(op("ccx", 0, 1, 2))   # a k-qubit gate counts as k-1 two-qubit gates
    assert math.isclose(lf, 2 * math.log(0.9)) and d == 200.0
    assert m.op(op("measure", 0, clbits=(0,))) == (math.log(0.8), 1000.0)
    assert m.op(op("barrier", 0, 1)) == (0.0, 0.0)


def test_fragment_duration_overlaps_disjoint_qubits():
    c = circuit(3, op("h", 0), op("h", 1), op("h", 2), op("cx", 0, 1), op("measure", 2, clbits=(2,)))
    cost = evaluate(c.operations, [RawFragment(0, "local", [0, 1, 2, 3, 4])], [], [NodeModel.of(NODE)])
    # q0/q1: h (10) then cx (100) = 110; q2: h (10) then measure (1000) = 1010
    assert cost.fragments[0].duration_ns == 1010.0
    assert math.isclose(math.exp(cost.log_fidelity), 0.99 ** 3 * 0.9 * 0.8)


def test_latency_is_the_critical_path_and_remote_links_add_latency():
    c = circuit(2, op("h", 0), op("h", 1), op("cx", 0, 1))
    route = RemoteRoute(node=1, peers=(0,), ebits=1, log_link_fidelity=math.log(0.95), link_ms=2.0)
    frags = [RawFragment(0, "local", [0]), RawFragment(1, "local", [1]), RawFragment(1, "remote", [2], route)]
    cost = evaluate(c.operations, frags, [(0, 2), (1, 2)], [NodeModel.of(NODE), NodeModel.of(NODE)])
    assert math.isclose(cost.latency_ms, 10e-6 + 100e-6 + 2.0)
    assert cost.ebits == 1 and cost.remote_gates == 1
    assert math.isclose(math.exp(cost.log_fidelity), 0.99 ** 2 * 0.9 * 0.95)
    w = CostWeights(latency=1.0, fidelity=2.0, ebits=3.0)
    terms = cost.terms(w)
    assert math.isclose(terms["total"], terms["latency_ms"] + 2.0 * terms["fidelity_risk"] + 3.0)
    assert set(terms) == {"latency_ms", "fidelity_risk", "ebits", "total"}
