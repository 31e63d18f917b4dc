"""plan_circuit end to end: lower bounds, node selection, constraints and errors (FR-004)."""

from dataclasses import replace

import pytest

from qnb.circuits.ir import Circuit, Operation, ParamExpr
from qnb.errors import PlanningError
from qnb.planning import CostWeights, plan_circuit
from qnb.planning.validate import check_plan
from qnb.topology import TopologyBuilder, generate, load_topology

from .helpers import circuit, ghz, ising, measure_all, op


@pytest.mark.parametrize("k", [2, 3, 4])
@pytest.mark.parametrize("per_node", [4, 5])       # capacity exactly / slightly above what is needed
@pytest.mark.parametrize("make", [ghz, ising])
def test_chains_reach_the_k_minus_1_ebit_lower_bound(k, per_node, make):
    c = make(4 * k)                                 # needs ceil(4k / per_node) = k nodes
    topo = generate(f"all-to-all:{k}:{per_node}")
    plan = plan_circuit(c, topo)
    check_plan(plan, c, topo)
    assert len(plan.nodes_used) == k
    assert plan.ebits == k - 1                      # a connected circuit over k nodes needs >= k-1
    assert plan.remote_gates == k - 1


@pytest.mark.parametrize("k", [2, 3, 4])
def test_bundled_all_to_all_files(k):
    topo = load_topology(f"a2a_{k}x4")
    plan = plan_circuit(ghz(4 * k), topo)
    assert plan.ebits == k - 1 and len(plan.nodes_used) == k


def test_circuit_that_fits_on_one_good_node_is_not_distributed():
    # hetero5: nodes with >= 5 qubits are alpha, beta, gamma, epsilon; beta has the best
    # fidelity_1q/2q/readout of those four, so a 5-qubit GHZ belongs on beta alone.
    plan = plan_circuit(ghz(5), "hetero5")
    assert plan.nodes_used == ("beta",)
    assert plan.ebits == 0 and plan.remote_gates == 0
    assert len(plan.fragments) == 1 and plan.fragments[0].kind == "local"


def test_capacity_forces_distribution_on_hetero5():
    c = ghz(12)                                     # the largest hetero5 node has 8 qubits
    topo = load_topology("hetero5")
    plan = plan_circuit(c, topo)
    check_plan(plan, c, topo)
    assert len(plan.nodes_used) >= 2
    assert plan.ebits >= len(plan.nodes_used) - 1


def test_excluded_and_unavailable_nodes_are_never_used():
    topo = load_topology("hetero5")
    plan = plan_circuit(ghz(5), topo, exclude=["beta"])
    assert "beta" not in plan.nodes_used and "beta" not in plan.placement
    down = replace(topo, nodes=tuple(replace(n, available=False) if n.id == "beta" else n for n in topo.nodes))
    plan2 = plan_circuit(ghz(5), down)
    assert "beta" not in plan2.nodes_used
    assert plan_circuit(ghz(5), topo, exclude=["no-such-node"]).nodes_used == ("beta",)


def test_gate_support_is_respected_on_hetero5():
    # 12 qubits need at least two nodes; gamma lacks ccx and epsilon lacks swap
    ops = [op("h", q) for q in range(12)] + [op("ccx", i, i + 1, i + 2) for i in range(0, 10, 3)]
    ops += [op("swap", 0, 11), op("cx", 5, 6)] + measure_all(12)
    c = circuit(12, *ops)
    topo = load_topology("hetero5")
    plan = plan_circuit(c, topo)
    check_plan(plan, c, topo)                       # includes: every fragment's gates are supported
    for q in range(12):
        if any(o.name == "ccx" and q in o.qubits for o in c.operations):
            assert plan.placement[q] != "gamma"
        if q in (0, 11):
            assert plan.placement[q] != "epsilon"


def _two_small_one_big():
    return (TopologyBuilder("t")
            .node("big", 8, fidelity_1q=0.999, fidelity_2q=0.95, fidelity_readout=0.99)
            .node("s1", 4, fidelity_1q=0.9999, fidelity_2q=0.999, fidelity_readout=0.999)
            .node("s2", 4, fidelity_1q=0.9999, fidelity_2q=0.999, fidelity_readout=0.999)
            .all_to_all(fidelity=0.999).build())


def test_min_fidelity_forces_better_nodes_when_ebits_are_expensive():
    topo = _two_small_one_big()
    pricey = CostWeights(ebits=10.0)
    assert plan_circuit(ghz(8), topo, weights=pricey).nodes_used == ("big",)
    plan = plan_circuit(ghz(8), topo, weights=pricey, min_fidelity=0.9)
    assert plan.nodes_used == ("s1", "s2")
    assert plan.estimated_fidelity >= 0.9 and plan.ebits == 1


def test_cheap_ebits_prefer_the_better_nodes_anyway():
    # 7 cx at 0.95 cost far more fidelity than one ebit at link fidelity 0.999
    assert plan_circuit(ghz(8), _two_small_one_big()).nodes_used == ("s1", "s2")


def test_cost_terms_are_reported_and_consistent():
    plan = plan_circuit(ghz(8), "all-to-all:2:4")
    assert set(plan.cost) == {"latency_ms", "fidelity_risk", "ebits", "total"}
    assert plan.cost["ebits"] == plan.ebits == 1
    assert plan.cost["latency_ms"] > 0.5            # the remote gate pays the 0.5 ms default link latency


def test_parameterized_and_degenerate_circuits():
    c = Circuit(2, 0, (Operation("rzz", (0, 1), params=(ParamExpr("2*theta"),)),), parameters=("theta",))
    assert plan_circuit(c, "all-to-all:2:1").ebits == 1
    empty = plan_circuit(Circuit(0, 0, ()), "hetero5")
    assert empty.fragments == () and empty.ebits == 0 and empty.estimated_fidelity == 1.0
    idle = plan_circuit(Circuit(3, 0, ()), "hetero5")
    assert len(idle.placement) == 3 and idle.fragments == ()


# ---------------------------------------------------------------------- errors
def _raises(missing, match, *args, **kw):
    with pytest.raises(PlanningError, match=match) as info:
        plan_circuit(*args, **kw)
    assert info.value.fields["missing"] == missing
    body = info.value.to_json()["error"]
    assert body["type"] == "planning_error" and body["line"] is None and body["column"] is None
    return info.value


def test_unsupported_gate_is_named():
    topo = TopologyBuilder().node("a", 4, gates={"h", "cx"}).node("b", 4, gates={"h", "cx", "ccx"}).all_to_all().build()
    c = circuit(3, op("ccx", 0, 1, 2))
    _raises("gate:ccx", "no node supports gate 'ccx' \\(only unavailable or excluded node\\(s\\) \\['b'\\] do\\)",
            c, topo, exclude=["b"])
    no_rzz = TopologyBuilder().node("a", 4, gates={"h"}).build()
    _raises("gate:rzz", "no node supports gate 'rzz'$", circuit(2, op("rzz", 0, 1)), no_rzz)


def test_capacity_errors():
    _raises("capacity", "circuit needs 12 qubits, mesh has 10 available$", ghz(12), "all-to-all:2:5")
    _raises("capacity", r"circuit needs 6 qubits, mesh has 5 available \(1 node\(s\) unavailable or excluded\)",
            ghz(6), "all-to-all:2:5", exclude=["n00"])
    _raises("nodes", "no usable nodes", ghz(2), "all-to-all:2:5", exclude=["n00", "n01"])


def test_gate_specific_capacity_and_combination_errors():
    topo = TopologyBuilder().node("a", 2, gates={"h", "cx", "ccx"}).node("b", 4, gates={"h", "cx"}).all_to_all().build()
    _raises("capacity:gate:ccx", "circuit has 3 qubits acted on by 'ccx', nodes supporting it offer 2 qubit slots",
            circuit(3, op("ccx", 0, 1, 2)), topo)
    split = TopologyBuilder().node("a", 2, gates={"h"}).node("b", 2, gates={"rzz"}).all_to_all().build()
    _raises("gate_combination:h,rzz", r"no node supports all gates acting on qubit 0: \['h', 'rzz'\]",
            circuit(2, op("h", 0), op("rzz", 0, 1)), split)


def test_disconnected_nodes_cannot_share_a_circuit():
    topo = TopologyBuilder().node("a", 2).node("b", 2).build()   # no link
    _raises("connectivity", "largest connected group of usable nodes offers 2", ghz(3), topo)


def test_min_fidelity_errors():
    _raises("min_fidelity", r"no node meets min fidelity 0.995 for 2-qubit gates \(best fidelity_2q is 0.99\)",
            ghz(3), "all-to-all:2:4", min_fidelity=0.995)
    # bound with 8 readouts at 0.98: 0.9995 * 0.99**7 * 0.98**8 ~ 0.79
    _raises("min_fidelity", "best possible estimated fidelity 0.79", ghz(8), "all-to-all:2:4", min_fidelity=0.9)
    # without measurements the bound 0.9995 * 0.99**7 ~ 0.9316 passes, but the one ebit over a
    # 0.98 link makes the best plan 0.913
    no_measure = Circuit(8, 0, ghz(8).operations[:8])
    _raises("min_fidelity", r"best plan reaches estimated fidelity 0.91\d+ < requested 0.92",
            no_measure, "all-to-all:2:4", min_fidelity=0.92)


@pytest.mark.parametrize("kw, missing", [
    ({"min_fidelity": 1.5}, "min_fidelity"), ({"min_fidelity": 0}, "min_fidelity"),
    ({"seed": "x"}, "seed"), ({"weights": CostWeights(ebits=-1)}, "weights.ebits"),
    ({"weights": CostWeights(latency=float("nan"))}, "weights.latency"),
])
def test_bad_arguments(kw, missing):
    _raises(missing, ".", ghz(2), "all-to-all:2:2", **kw)


def test_not_a_circuit():
    _raises("circuit", "needs a qnb Circuit", "OPENQASM 3.0;", "hetero5")


def test_node_set_is_completed_with_a_node_supporting_a_rare_gate():
    # the two best nodes (12 slots for 10 qubits) lack ccx; only the poor node c supports it
    no_ccx = {"h", "x", "cx", "rz"}
    topo = (TopologyBuilder("rare")
            .node("a", 8, gates=no_ccx, fidelity_2q=0.999).node("b", 4, gates=no_ccx, fidelity_2q=0.999)
            .node("c", 4, gates=no_ccx | {"ccx"}, fidelity_2q=0.95).all_to_all().build())
    c = circuit(10, op("ccx", 0, 1, 2), *[op("cx", i, i + 1) for i in range(2, 9)], *measure_all(10))
    plan = plan_circuit(c, topo)
    check_plan(plan, c, topo)
    assert plan.placement[0] == plan.placement[1] == plan.placement[2] == "c"


def test_link_fidelities_reproduce_the_estimate():
    from qnb.planning.planner import link_fidelities
    import math

    c = circuit(4, op("cx", 0, 2), op("cz", 0, 3), op("swap", 1, 3))
    topo = generate("line:2:2")   # two nodes, link fidelity 0.98
    plan = plan_circuit(c, topo)
    links = link_fidelities(plan, c, topo)
    remote = {f.op_indices[0]: f for f in plan.fragments if f.kind == "remote"}
    assert remote and set(links) == set(remote)  # 4 interacting qubits on 2+2 slots: some gate is cut
    for i, f in remote.items():   # the fragment's estimate = its gate fidelity x the link factor
        node = topo.node(f.node)
        assert math.isclose(f.estimated_fidelity, node.fidelity_2q * links[i])
        assert math.isclose(links[i], 0.98 ** f.ebits)
