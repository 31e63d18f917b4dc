"""The ebit accounting rule (docs/planning.md, FR-004): each worked example of the docs, by hand."""

import math

import pytest

from qnb.planning.accounting import route_ops

from .helpers import circuit, op

A, B, C = 0, 1, 2
# a line A - B - C: A and C are two hops apart; link fidelities 0.9 (A-B) and 0.8 (B-C)
HOPS = [[0, 1, 2], [1, 0, 1], [2, 1, 0]]
FID = [[1.0, 0.9, 0.72], [0.9, 1.0, 0.8], [0.72, 0.8, 1.0]]
LOGF = [[math.log(x) for x in row] for row in FID]
LAT = [[0.0, 1.0, 3.0], [1.0, 0.0, 2.0], [3.0, 2.0, 0.0]]


def route(c, place):
    return route_ops(c.operations, place, HOPS, LOGF, LAT)


def total_ebits(routes):
    return sum(r.ebits for r in routes if r is not None)


def test_one_copy_serves_consecutive_diagonal_uses():
    # q0 on A; q1, q2 on B. cx and cz use q0 only as control / phase; rz is diagonal on q0.
    c = circuit(3, op("cx", 0, 1), op("cz", 0, 2), op("rz", 0), op("cx", 0, 2))
    routes = route(c, [A, B, B])
    remote = [r for r in routes if r is not None]
    assert len(remote) == 3
    assert [r.ebits for r in remote] == [1, 0, 0]
    assert all(r.node == B and r.peers == (A,) for r in remote)


def test_non_diagonal_gate_on_the_control_invalidates_the_copy():
    c = circuit(2, op("cx", 0, 1), op("h", 0), op("cx", 0, 1))
    assert total_ebits(route(c, [A, B])) == 2


def test_target_change_does_not_invalidate_the_control_copy():
    # the copy is of q0; q1 (the target, on B) changes, q0 does not
    c = circuit(2, op("cx", 0, 1), op("x", 1), op("cx", 0, 1))
    assert total_ebits(route(c, [A, B])) == 1


def test_remote_gate_runs_on_the_target_node():
    c = circuit(2, op("cx", 1, 0))
    (r,) = route(c, [A, B])
    assert r.node == A and r.peers == (B,) and r.ebits == 1


def test_multi_hop_costs_one_link_ebit_per_hop_and_the_path_fidelity():
    c = circuit(2, op("cx", 0, 1))
    (r,) = route(c, [A, C])
    assert r.ebits == 2
    assert math.isclose(math.exp(r.log_link_fidelity), 0.9 * 0.8)
    assert r.link_ms == 3.0


def test_non_diagonal_remote_gate_teleports_there_and_back():
    for name in ("swap", "iswap", "rxx"):
        (r,) = route(circuit(2, op(name, 0, 1)), [A, B])
        assert r.ebits == 2, name
        assert math.isclose(math.exp(r.log_link_fidelity), 0.9 ** 2)
        assert r.link_ms == 2.0


def test_symmetric_diagonal_gate_reuses_the_copy_of_either_side():
    # cz(q0,q1) creates a copy of q0 on B; cz(q1,q0) would by default run on q0's node A and
    # need a copy of q1 there, but it can run on B with the existing copy of q0 instead.
    c = circuit(2, op("cz", 0, 1), op("cz", 1, 0))
    routes = route(c, [A, B])
    assert [r.ebits for r in routes] == [1, 0]
    assert routes[1].node == B


def test_measure_and_reset_invalidate_copies():
    c = circuit(2, op("cz", 0, 1), op("reset", 0), op("cz", 0, 1))
    assert total_ebits(route(c, [A, B])) == 2


def test_local_gates_cost_nothing_and_barriers_are_not_routed():
    c = circuit(3, op("cx", 0, 1), op("barrier", 0, 1, 2), op("ccx", 0, 1, 2))
    assert route(c, [A, A, A]) == [None, None, None]


def test_toffoli_with_controls_on_two_other_nodes():
    # ccx(q0, q1, q2): target q2 on B; controls q0 (A, one hop) and q1 (C, one hop from B)
    (r,) = route(circuit(3, op("ccx", 0, 1, 2)), [A, C, B])
    assert r.node == B and r.peers == (A, C) and r.ebits == 2


def test_cswap_middle_qubit_is_teleported():
    # cswap(c, a, b): diagonal only on the control; a on another node than b goes there and back
    (r,) = route(circuit(3, op("cswap", 0, 1, 2)), [B, A, B])
    assert r.node == B and r.ebits == 2


@pytest.mark.parametrize("k", [2, 3, 4])
def test_ghz_chain_cut_into_contiguous_blocks_uses_k_minus_1_ebits(k):
    n = 3 * k
    c = circuit(n, op("h", 0), *[op("cx", i, i + 1) for i in range(n - 1)])
    place = [q // 3 for q in range(n)]
    hops = [[0 if i == j else 1 for j in range(k)] for i in range(k)]
    zeros = [[0.0] * k for _ in range(k)]
    assert total_ebits(route_ops(c.operations, place, hops, zeros, zeros)) == k - 1
