"""k-way FM refinement: exact incremental gains, capacity, gate-support and improvement (FR-004)."""

import random

from hypothesis import given, settings, strategies as st

from qnb.planning.interaction import build_hypergraph
from qnb.planning.partition import PartitionProblem, _State, fill, objective, partition, rank_starts, refine

from .helpers import circuits, ghz


def problem(c, k, cap, seed=0, uniform=True, allowed=None):
    r = random.Random(seed)
    if uniform:
        C = [[0.0 if i == j else 1.0 for j in range(k)] for i in range(k)]
    else:
        up = {(i, j): r.choice([1.0, 2.0, 3.5]) for i in range(k) for j in range(i + 1, k)}
        C = [[0.0 if i == j else up[min(i, j), max(i, j)] for j in range(k)] for i in range(k)]
    unary = [[r.random() * 0.1 for _ in range(k)] for _ in range(c.num_qubits)]
    return PartitionProblem(build_hypergraph(c), [cap] * k, C, unary, allowed or [None] * c.num_qubits)


@settings(max_examples=60, deadline=None)
@given(circuits(min_qubits=2, max_qubits=8), st.integers(2, 4), st.integers(0, 10_000), st.booleans())
def test_incremental_gains_equal_the_change_of_the_objective(c, k, seed, uniform):
    p = problem(c, k, c.num_qubits, seed, uniform)
    r = random.Random(seed)
    s = _State(p, [r.randrange(k) for _ in range(c.num_qubits)])
    for _ in range(4):
        base = objective(p, s.part)
        for v in range(c.num_qubits):
            for b, g in s.gains(v).items():
                moved = list(s.part)
                moved[v] = b
                assert abs(base - objective(p, moved) - g) < 1e-9
        v = r.randrange(c.num_qubits)
        s.move(v, r.randrange(k))
        assert abs(s.total() - objective(p, s.part)) < 1e-9


@settings(max_examples=40, deadline=None)
@given(circuits(min_qubits=2, max_qubits=9), st.integers(2, 4), st.integers(0, 10_000))
def test_refinement_never_worsens_and_respects_capacity(c, k, seed):
    cap = -(-c.num_qubits // k)
    p = problem(c, k, cap, seed)
    order = list(range(c.num_qubits))
    random.Random(seed).shuffle(order)
    start = fill(order, list(range(k)), [cap] * k, [None] * c.num_qubits)
    part, cost = refine(p, start)
    assert cost <= objective(p, start) + 1e-9
    assert abs(cost - objective(p, part)) < 1e-9
    assert all(part.count(x) <= cap for x in range(k))


def test_fm_repairs_a_bad_start_of_a_chain_with_tight_capacity():
    # ghz(8) on 2 nodes of 4: interleaved start cuts 7 chain edges, the optimum cuts 1.
    c = ghz(8)
    p = problem(c, 2, 4)
    bad = [0, 1, 0, 1, 0, 1, 0, 1]
    part, cost = refine(p, bad)
    assert sum(1 for i in range(7) if part[i] != part[i + 1]) == 1
    assert all(part.count(x) == 4 for x in range(2))


def test_allowed_parts_are_respected():
    c = ghz(6)
    allowed = [frozenset({0})] * 2 + [None] * 4
    p = problem(c, 3, 2, allowed=allowed)
    start = fill(list(range(6)), [2, 1, 0], [2, 2, 2], allowed)
    assert start[:2] == [0, 0]
    part, _ = refine(p, start)
    assert part[0] == part[1] == 0


def test_fill_reports_when_a_vertex_fits_nowhere():
    assert fill([0, 1], [0, 1], [1, 1], [frozenset({0}), frozenset({0})]) is None


def test_partition_keeps_the_best_refined_start():
    c = ghz(8)
    p = problem(c, 2, 4)
    starts = [[0, 1, 0, 1, 0, 1, 0, 1], [0, 0, 0, 0, 1, 1, 1, 1]]
    ranked = rank_starts(p, starts)
    assert ranked[0][1] == starts[1]  # the contiguous start has the lower objective
    part, cost = partition(p, ranked, keep=2)
    assert cost <= min(obj for obj, _ in ranked) + 1e-9
