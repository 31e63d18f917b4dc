"""Fragments and the dependency DAG, worked out by hand (FR-004)."""

from qnb.circuits.ir import Operation
from qnb.planning.accounting import route_ops
from qnb.planning.fragments import build_fragments

from .helpers import circuit, ghz, op

ONE = [[0, 1], [1, 0]]
ZERO = [[0.0, 0.0], [0.0, 0.0]]


def frags_of(c, place):
    routes = route_ops(c.operations, place, ONE, ZERO, ZERO)
    frags, edges = build_fragments(c.operations, place, routes, c.num_clbits)
    return [(f.part, f.kind, f.ops) for f in frags], edges


def test_ghz4_on_two_nodes():
    # ops: 0 h q0 | 1 cx q0,q1 | 2 cx q1,q2 (remote, runs on q2's node) | 3 cx q2,q3 | 4..7 measure q0..q3
    frags, edges = frags_of(ghz(4), [0, 0, 1, 1])
    assert frags == [
        (0, "local", [0, 1, 4]),   # measure q0 only depends on this fragment, so it joins it
        (1, "remote", [2]),
        (1, "local", [3, 6, 7]),
        (0, "local", [5]),         # measure q1 must follow the remote gate: a new fragment
    ]
    assert edges == [(0, 1), (1, 2), (1, 3)]


def test_independent_work_on_a_node_joins_its_latest_fragment():
    # q0,q1 on node 0, q2 on node 1. After the remote cx(q1,q2), h on q0 still joins fragment 0.
    c = circuit(3, op("h", 0), op("h", 1), op("cx", 1, 2), op("h", 0), op("h", 1))
    frags, edges = frags_of(c, [0, 0, 1])
    assert frags == [(0, "local", [0, 1, 3]), (1, "remote", [2]), (0, "local", [4])]
    assert edges == [(0, 1), (1, 2)]


def test_barrier_spanning_nodes_is_dropped_and_local_barrier_kept():
    c = circuit(3, op("h", 0), Operation("barrier", (0, 1, 2)), Operation("barrier", (0, 1)), op("h", 2))
    frags, _ = frags_of(c, [0, 0, 1])
    assert frags == [(0, "local", [0, 2]), (1, "local", [3])]


def test_shared_clbit_orders_measurements_on_different_nodes():
    c = circuit(2, Operation("measure", (0,), (0,)), Operation("measure", (1,), (0,)), clbits=1)
    frags, edges = frags_of(c, [0, 1])
    assert frags == [(0, "local", [0]), (1, "local", [1])]
    assert edges == [(0, 1)]


def test_every_edge_goes_forward():
    c = circuit(4, *[op("cx", i % 4, (i + 1) % 4) for i in range(12)], *[op("h", q) for q in range(4)])
    _, edges = frags_of(c, [0, 1, 0, 1])
    assert edges and all(a < b for a, b in edges)
