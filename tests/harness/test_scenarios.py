"""Fault scenarios (FR-013): schedules are pure functions of (scenario, seed, nodes, plan load)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qnb.circuits.ir import Circuit, Operation
from qnb.harness.scenarios import (SCENARIOS, FaultEvent, PlanLoad, Scenario, get_scenario, parse_scenarios,
                                   plan_load, resolve_schedule)
from qnb.planning import plan_circuit
from qnb.topology import load_topology

NODES = ["n00", "n01", "n02", "n03", "n04"]
LOAD = PlanLoad(ops=(("n00", 3), ("n02", 9), ("n03", 9)), pairs=((("n02", "n03"), 1), (("n00", "n02"), 4)))


def test_bundled_scenarios_cover_the_required_faults():
    for name in ("none", "latency-spike", "node-drop", "fidelity-drop", "link-degradation", "flapping"):
        assert name in SCENARIOS
    assert SCENARIOS["none"].events == ()
    kinds = {e.kind for s in SCENARIOS.values() for e in s.events}
    assert {"latency", "drop", "fidelity", "link_latency", "flap", "fidelity_drift"} <= kinds


@given(st.integers(0, 2**40), st.sampled_from(sorted(SCENARIOS)),
       st.lists(st.sampled_from(NODES), min_size=2, unique=True))
def test_resolution_is_pure(seed, name, nodes):
    load = PlanLoad(ops=tuple((n, i + 1) for i, n in enumerate(sorted(nodes))))
    a = resolve_schedule(name, seed=seed, nodes=nodes, load=load)
    b = resolve_schedule(name, seed=seed, nodes=list(reversed(nodes)), load=load)
    assert a == b
    assert all(f.node in nodes for f in a)


def test_busiest_is_the_node_with_most_operations_ties_by_name():
    (f,) = resolve_schedule("node-drop", seed=1, nodes=NODES, load=LOAD)
    assert f.kind == "drop" and f.node == "n02"      # n02 and n03 both run 9 ops; n02 sorts first
    assert f.at_fraction == 0.0 and not f.before_submit


def test_busiest_peer_is_the_node_sharing_most_remote_gates():
    (f,) = resolve_schedule("link-degradation", seed=1, nodes=NODES, load=LOAD)
    assert (f.node, f.kw["peer"]) == ("n02", "n00")   # n00-n02 carry 4 remote gates, n02-n03 only 1
    assert f.kw["ms"] == 40.0 and f.before_submit


def test_random_selector_depends_on_the_seed_only():
    sc = Scenario("r", (FaultEvent.make("drop", "random", at_s=1.0),))
    picks = {resolve_schedule(sc, seed=s, nodes=NODES)[0].node for s in range(40)}
    assert len(picks) > 1                              # the seed matters...
    assert resolve_schedule(sc, seed=5, nodes=NODES) == resolve_schedule(sc, seed=5, nodes=NODES)  # ...only it


def test_index_and_literal_and_idle_selectors():
    sc = Scenario("s", (FaultEvent.make("latency", "index:7", at_s=0.5, ms=5),
                        FaultEvent.make("latency", "n04", at_s=0.5, ms=5),
                        FaultEvent.make("latency", "idle", at_s=0.5, ms=5)))
    a, b, c = resolve_schedule(sc, seed=0, nodes=NODES, load=LOAD)
    assert a.node == NODES[7 % 5]
    assert b.node == "n04"
    assert c.node in {"n01", "n04"}                   # the nodes the plan does not use


def test_fidelity_drift_expands_into_steps():
    fs = resolve_schedule("fidelity-drift", seed=0, nodes=NODES, load=LOAD)
    assert [f.kind for f in fs] == ["fidelity"] * 4
    assert fs[0].before_submit
    assert [f.at_fraction for f in fs[1:]] == [0.25, 0.5, 0.75]
    assert all(f.kw == {"factor": 1.5} and f.node == "n02" for f in fs)


def test_horizon_of_self_ending_faults():
    assert resolve_schedule("flapping", seed=0, nodes=NODES, load=LOAD)[0].horizon_s == pytest.approx(0.6)
    assert resolve_schedule("latency-spike", seed=0, nodes=NODES, load=LOAD)[0].horizon_s == 2.0
    assert resolve_schedule("node-drop", seed=0, nodes=NODES, load=LOAD)[0].horizon_s == 0.0


def test_plan_load_of_a_real_plan():
    ops = [Operation("h", (0,))] + [Operation("cx", (i, i + 1)) for i in range(5)] + \
          [Operation("measure", (i,), (i,)) for i in range(6)]
    c = Circuit(6, 6, tuple(ops), name="ghz6")
    topo = load_topology("all-to-all:3:2")
    plan = plan_circuit(c, topo, seed=0)
    load = plan_load(plan)
    assert sum(load.ops_by_node.values()) == sum(len(f.op_indices) for f in plan.fragments)
    assert sum(load.pair_counts.values()) == sum(len(f.peers) for f in plan.fragments)
    assert plan_load(plan) == load
    (f,) = resolve_schedule("node-drop", seed=0, nodes=[n.id for n in topo.nodes], load=load)
    assert load.ops_by_node[f.node] == max(load.ops_by_node.values())


@pytest.mark.parametrize("kw,match", [
    (dict(kind="explode", at_s=1), "unknown fault kind"),
    (dict(kind="drop"), "exactly one of at_s or at_fraction"),
    (dict(kind="drop", at_s=1, at_fraction=0.5), "exactly one"),
    (dict(kind="drop", at_fraction=1.5), "at_fraction"),
    (dict(kind="drop", at_s=-1), "at_s"),
])
def test_bad_events_name_the_problem(kw, match):
    with pytest.raises(Exception, match=match) as e:
        FaultEvent(**kw)
    assert e.value.to_json()["error"]["type"] == "scenario_error"


def test_bad_names_and_selectors():
    with pytest.raises(Exception, match="unknown scenario 'nope'"):
        get_scenario("nope")
    with pytest.raises(Exception, match="duplicate scenarios: none"):
        parse_scenarios("none,node-drop,none")
    sc = Scenario("x", (FaultEvent.make("drop", "n99", at_s=1),))
    with pytest.raises(Exception, match="n99"):
        resolve_schedule(sc, seed=0, nodes=NODES)
    with pytest.raises(Exception, match="index:K"):
        resolve_schedule(Scenario("y", (FaultEvent.make("drop", "index:x", at_s=1),)), seed=0, nodes=NODES)
    with pytest.raises(Exception, match="without nodes"):
        resolve_schedule("node-drop", seed=0, nodes=[])


def test_parse_scenarios_keeps_order():
    assert [s.name for s in parse_scenarios("node-drop, none")] == ["node-drop", "none"]
