"""The runner as a unit (FR-005..FR-007, FR-013): retry, backoff, fallback, cancel and both policies.

No network: nodes answer through :class:`qnb.testing.ScriptedGateway`, which replays scripted
answers (ok, timeout, error, drop) but executes every ``ok`` fragment for real on qiskit-aer
through the node's own code path and books windows in real reservation books. Time is trio's
``autojump_clock``, so backoff delays are checked exactly, without waiting for them.
"""

from __future__ import annotations

import random

import pytest
import trio

from qnb.circuits import load
from qnb.runtime.backoff import Backoff
from qnb.runtime.job import JobState
from qnb.runtime.policies import Centralized, Distributed
from qnb.runtime.runner import JobRecord, JobRunner, RunnerHooks, RunnerOptions
from qnb.runtime.submission import make_spec
from qnb.testing import GHZ6, ScriptedGateway, test_settings
from qnb.topology import Topology, load_topology

BACKOFF = Backoff(initial_s=0.05, max_s=1.0, multiplier=2.0, jitter=0.2, max_attempts=3)


class Recorder(RunnerHooks):
    """Keeps every fact the runner reports, as the coordinator's store hooks would write them."""

    def __init__(self) -> None:
        self.states: list[str] = []
        self.plans: list = []
        self.attempts: list = []
        self.events: list[tuple[str, dict]] = []
        self.book: list[tuple[str, dict]] = []
        self.committed = 0

    def state(self, rec):
        self.states.append(rec.snapshot.state.value)

    def plan(self, rec, plan, compile_ms):
        self.plans.append(plan)

    def attempt(self, rec, a):
        self.attempts.append(a)

    def reservation(self, rec, node, response, request):
        self.book.extend((node, e) for e in response.get("events") or [])

    def book_events(self, node, events):
        self.book.extend((node, e) for e in events)

    def event(self, rec, kind, data):
        self.events.append((kind, data))

    async def commit(self, rec):
        self.committed += 1


def make(topology: Topology | str = "all-to-all:3:3", *, source: str = GHZ6, shots: int = 256, seed: int = 11,
         mode: str = "distributed", noisy: bool = False, **spec_kw):
    topo = load_topology(topology)
    gw = ScriptedGateway(topo)
    hooks = Recorder()
    runner = JobRunner(gw, lambda: topo, RunnerOptions(backoff=BACKOFF, exec_timeout_s=5.0), hooks)
    spec = make_spec(load(source), test_settings(), shots=shots, seed=seed, mode=mode, noisy=noisy, **spec_kw)
    published: list = []
    rec = JobRecord(spec, publish=published.append)
    return runner, gw, hooks, rec, published


def exec_nodes(gw: ScriptedGateway) -> list[str]:
    return [node for node, _ in gw.calls_of("exec")]


async def test_all_ok_completes_with_real_counts_and_releases_every_window():
    runner, gw, hooks, rec, published = make()
    res = await runner.run(rec)
    assert res.status == "COMPLETED" and res.error is None
    assert sum(res.counts.values()) == 256 and set(res.counts) == {"000000", "111111"}   # a real GHZ state
    assert res.state_fidelity == pytest.approx(1.0, abs=1e-9)
    assert [f.status for f in res.fragments] == ["done"] * len(res.fragments) and len(res.fragments) > 1
    assert (res.retries, res.fallbacks) == (0, 0) and len(res.attempts) == len(res.fragments)
    assert hooks.states == ["COMPILING", "RESERVING", "EXECUTING", "COMPLETED"] and hooks.committed == 1
    kinds = {}
    for node, ev in hooks.book:
        kinds.setdefault(ev["kind"], set()).add(node)
    assert kinds["accepted"] == {f.node for f in res.fragments}
    for node, book in gw.reservations.items():            # nothing is left held on any node
        assert not book.active(0.0), node
    assert published[-1].state is JobState.COMPLETED and rec.done.is_set()


async def test_a_timeout_is_retried_on_the_same_node_after_the_seeded_backoff(autojump_clock):
    runner, gw, hooks, rec, _ = make(seed=5)
    gw.script_exec("n00", "timeout")
    res = await runner.run(rec)
    assert res.status == "COMPLETED" and res.retries == 1 and res.fallbacks == 0
    first = [c for c in gw.calls if c[0] == "exec"][:2]
    assert [c[1] for c in first] == ["n00", "n00"] and [c[2] for c in first] == [(0, 1), (0, 2)]
    expected = BACKOFF.delay(1, random.Random(5))
    assert first[1][3] - first[0][3] == pytest.approx(expected, abs=1e-9)
    assert [a.status for a in res.attempts[:2]] == ["timeout", "ok"]
    assert res.fragments[0].attempts == 2


async def test_exhausted_retries_fall_back_to_a_replan_without_the_failed_node(autojump_clock):
    runner, gw, hooks, rec, _ = make()
    gw.script_exec("n00", "error", "error", "error")
    res = await runner.run(rec)
    assert res.status == "COMPLETED" and set(res.counts) == {"000000", "111111"}
    assert res.fallbacks == 1 and res.retries == 2
    assert res.fragments[0].status == "moved" and res.fragments[0].attempts == 3
    assert exec_nodes(gw).count("n00") == 3                      # never asked again after the fallback
    assert all(f.node != "n00" for f in res.fragments[1:])
    assert [k for k, _ in hooks.events] == ["fallback"] and hooks.events[0][1]["excluded"] == ["n00"]
    assert len(hooks.plans) == 2 and len(rec.plans) == 2
    # the remainder is renumbered after the moved fragment and its DAG edges shifted with it
    assert [f.fragment_id for f in res.fragments] == list(range(len(res.fragments)))
    assert all(a >= 1 and b >= 1 for a, b in rec.snapshot.edges)
    assert res.state_fidelity == pytest.approx(1.0, abs=1e-9)   # the state survived the hand-over


async def test_a_dropped_node_is_not_retried_and_falls_back_at_once(autojump_clock):
    runner, gw, hooks, rec, _ = make()
    gw.script_exec("n01", "drop")
    res = await runner.run(rec)
    assert res.status == "COMPLETED" and res.fallbacks == 1
    assert exec_nodes(gw).count("n01") == 1 and res.retries == 0
    assert "n01" not in {f.node for f in res.fragments if f.status == "done"}


async def test_no_feasible_fallback_fails_naming_the_fragment_and_every_try(autojump_clock):
    runner, gw, hooks, rec, _ = make("all-to-all:2:3")        # 6 qubits need both nodes
    gw.script_exec("n01", "error", "error", "error")
    res = await runner.run(rec)
    assert res.status == "FAILED" and res.counts == {}
    err = res.error
    assert err["type"] == "fragment_error" and "no feasible fallback" in err["message"]
    assert err["fragment"] == 1 and [t["node"] for t in err["tried"]] == ["n01"] * 3
    assert rec.snapshot.fragments[1].status == "failed"
    for node, book in gw.reservations.items():               # a failed job gives its windows back
        assert not book.active(0.0), node


async def test_a_refused_reservation_excludes_the_node_and_replans():
    runner, gw, hooks, rec, _ = make()
    gw.script_reserve("n00", "refuse")
    res = await runner.run(rec)
    assert res.status == "COMPLETED" and res.fallbacks == 1
    assert "n00" not in {f.node for f in res.fragments}
    assert hooks.events[0][0] == "replan" and hooks.events[0][1]["refused"] == [("n00", "fidelity")]


async def test_cancel_during_backoff_ends_cancelled_and_releases_windows(autojump_clock):
    runner, gw, hooks, rec, _ = make()
    gw.script_exec("n00", "timeout", "timeout")
    async with trio.open_nursery() as n:
        async def run():
            with trio.CancelScope() as scope:
                rec.cancel_scope = scope
                await runner.run(rec)
        n.start_soon(run)
        while not any(c[0] == "exec" for c in gw.calls):       # wait until the first attempt went out
            await rec.wait_changed()
        rec.cancel_scope.cancel()
    assert rec.done.is_set() and rec.result.status == "CANCELLED"
    assert rec.result.error == {"type": "cancelled", "message": "job cancelled"}
    assert hooks.states[-1] == "CANCELLED"
    for node, book in gw.reservations.items():
        assert not book.active(0.0), node


async def test_centralized_policy_books_centrally_and_fails_without_replanning(autojump_clock):
    runner, gw, hooks, rec, _ = make(mode="centralized")
    policy = Centralized()
    gw.script_exec("n00", "error", "error", "error")
    res = await runner.run(rec, policy)
    assert res.status == "FAILED" and res.error["type"] == "fragment_error"
    assert "does not re-plan" in res.error["message"] and res.fallbacks == 0
    assert exec_nodes(gw) == ["n00"] * 3 and len(hooks.plans) == 1
    assert gw.calls_of("reserve") == []                      # nodes' books are never asked
    assert all(ev["data"].get("central") for _node, ev in hooks.book)
    assert len(policy.table) == 0                            # the central windows were released


async def test_centralized_policy_plans_on_the_inventory_it_froze():
    live = load_topology("all-to-all:3:3")
    policy = Centralized()
    assert policy.planning_view(live) is live
    later = load_topology("all-to-all:4:3")
    assert policy.planning_view(later) is live               # a new node is never seen
    assert Distributed().planning_view(later) is later


async def test_centralized_exec_carries_no_central_reservation_id_to_nodes():
    runner, gw, hooks, rec, _ = make(mode="centralized")
    res = await runner.run(rec, Centralized())
    assert res.status == "COMPLETED" and res.orchestration == "centralized"
    held = [ev for _n, ev in hooks.book if ev["kind"] == "accepted"]
    assert held and all(ev["reservation_id"].startswith("central-") for ev in held)
    assert gw.exec_headers and all(h["reservation_id"] is None for h in gw.exec_headers)


async def test_distributed_exec_claims_the_window_the_node_granted():
    runner, gw, hooks, rec, _ = make()
    res = await runner.run(rec)
    assert res.status == "COMPLETED"
    granted = {node: ev["reservation_id"] for node, ev in hooks.book if ev["kind"] == "accepted"}
    assert granted and all(h["reservation_id"] == granted[n] for (n, _d), h in zip(gw.calls_of("exec"), gw.exec_headers))


@pytest.mark.parametrize("kw, field", [
    ({"seed": "x"}, "seed"), ({"seed": float("nan")}, "seed"), ({"seed": -1}, "seed"),
    ({"parameters": {"a": "b"}}, "parameters"), ({"parameters": [1]}, "parameters"),
    ({"min_fidelity": "z"}, "min_fidelity"), ({"min_fidelity": float("inf")}, "min_fidelity"),
    ({"shots": 0}, "shots"), ({"shots": True}, "shots"), ({"name": 5}, "name"), ({"name": "x" * 201}, "name"),
    ({"noisy": "yes"}, "noisy"), ({"idempotency_key": 5}, "idempotency_key"), ({"mode": "chaos"}, "mode")])
def test_every_bad_submit_option_is_a_structured_error_naming_it(kw, field):
    from qnb.errors import JobError
    with pytest.raises(JobError) as e:
        make_spec(load("ghz_5"), test_settings(), **kw)
    assert e.value.to_json()["error"]["field"] == field


def test_parameters_must_be_finite():
    from qnb.errors import JobError
    c = load('OPENQASM 3.0; include "stdgates.inc"; input float theta; qubit[1] q; rz(theta) q[0];')
    with pytest.raises(JobError, match="finite"):
        make_spec(c, test_settings(), parameters={"theta": float("inf")})
    assert make_spec(c, test_settings(), parameters={"theta": 0.5}).parameters == {"theta": 0.5}


GHZ12 = ('OPENQASM 3.0; include "stdgates.inc"; qubit[12] q; bit[12] c; h q[0]; '
         + " ".join(f"cx q[{i}], q[{i + 1}];" for i in range(11)) + " c = measure q;")


async def test_a_measured_circuit_beyond_the_state_limits_fails_before_it_runs():
    """Never an empty COMPLETED: 12 noisy qubits need a density matrix beyond the default 10."""
    runner, gw, hooks, rec, _ = make("all-to-all:4:4", source=GHZ12, noisy=True)
    res = await runner.run(rec)
    assert res.status == "FAILED" and res.counts == {}
    assert res.error["type"] == "state_limit" and "limits.density_matrix_max_qubits = 10" in res.error["message"]
    assert "plan_only=True" in res.error["message"]
    assert gw.calls == [] and hooks.states == ["COMPILING", "FAILED"]


async def test_plan_only_is_asked_for_and_says_so():
    runner, gw, hooks, rec, _ = make("all-to-all:4:4", source=GHZ12, noisy=True, plan_only=True)
    res = await runner.run(rec)
    assert res.status == "COMPLETED" and res.mode == "none" and res.counts == {}
    assert any("plan_only=True" in n for n in res.notes)
    assert len(gw.calls_of("exec")) == len(res.fragments) > 1      # the timing run still visits every node


def _occupy(gw: ScriptedGateway, node: str, seconds: float) -> None:
    import time
    now = time.time()
    d = gw.reservations[node].reserve(operation="exec", start=now, end=now + seconds, min_fidelity=None,
                                      current_fidelity=0.99, correlation={"job_id": "other"}, now=now, ttl_s=3600)
    assert d.accepted


async def test_a_busy_node_means_wait_in_line_not_fallback():
    runner, gw, hooks, rec, _ = make()
    _occupy(gw, "n00", 5.0)
    res = await runner.run(rec)
    assert res.status == "COMPLETED" and res.fallbacks == 0
    assert "n00" in {f.node for f in res.fragments}
    held = {ev["reservation_id"] for node, ev in hooks.book if node == "n00" and ev["kind"] == "accepted"}
    starts = [ev["data"]["start"] - ev["at"] for node, ev in hooks.book
              if node == "n00" and ev["kind"] == "requested" and ev["reservation_id"] in held]
    assert starts and all(s >= 4.9 for s in starts)          # queued behind the other job's window
    assert any(ev["kind"] == "rejected" and ev["data"]["reason"] == "conflict" for node, ev in hooks.book
               if node == "n00")


async def test_a_node_busy_beyond_the_queue_bound_counts_as_refusing():
    runner, gw, hooks, rec, _ = make()
    from dataclasses import replace
    runner.options = replace(runner.options, reservation_queue_s=1.0)
    _occupy(gw, "n00", 30.0)
    res = await runner.run(rec)
    assert res.status == "COMPLETED" and res.fallbacks == 1
    assert "n00" not in {f.node for f in res.fragments}
    (node, why), = hooks.events[0][1]["refused"]
    assert node == "n00" and "timeouts.reservation_queue" in why
