"""FR-010/FR-012 views, checked against hand-computed expectations on a small, reasoned dataset."""

from __future__ import annotations

import datetime as dt

import pytest

from qnb.observability import Metrics

T0 = dt.datetime(2024, 3, 1, 9, 0, 0)


def s(seconds: float) -> dt.datetime:
    return T0 + dt.timedelta(seconds=seconds)


@pytest.fixture
def populated(store, writer):
    w = writer
    w.insert("jobs", {"job_id": "J1", "state": "COMPLETED", "submitted_at": T0, "finished_at": s(2.5), "shots": 100})
    w.insert("jobs", {"job_id": "J2", "state": "FAILED", "submitted_at": T0, "finished_at": s(1),
                      "error": {"type": "fragment_error", "message": "no node left"}})
    w.insert("jobs", {"job_id": "J3", "state": "EXECUTING", "submitted_at": T0})
    w.insert("plans", {"job_id": "J1", "run": 1, "revision": 0, "compile_ms": 4.0, "estimated_fidelity": 0.9,
                       "ebits": 2, "created_at": T0})
    w.insert("plans", {"job_id": "J1", "run": 1, "revision": 1, "compile_ms": 6.0, "estimated_fidelity": 0.8,
                       "ebits": 3, "created_at": s(1)})          # the fallback re-plan is the latest
    att = [  # J1: f0 ok on n1; f1 timeout on n2, error on n2 (retry), ok on n3 (fallback)
        ("J1", 0, 1, "n1", "ok", 10.0, 2.0, False), ("J1", 1, 1, "n2", "timeout", None, None, False),
        ("J1", 1, 2, "n2", "error", None, None, False), ("J1", 1, 3, "n3", "ok", 20.0, 4.0, True),
        ("J2", 0, 1, "n2", "error", None, None, False), ("J3", 0, 1, "n1", "running", None, None, False),
    ]
    for job_id, frag, attempt, node, status, sim, ovh, fb in att:
        w.insert("attempts", {"job_id": job_id, "run": 1, "fragment_id": frag, "attempt": attempt, "node": node,
                              "status": status, "sim_ms": sim, "overhead_ms": ovh, "fallback": fb, "started_at": T0})
    w.insert("results", {"job_id": "J1", "run": 1, "status": "COMPLETED", "estimated_fidelity": 0.85,
                         "measured_fidelity": 0.83, "wall_ms": 2500.0, "created_at": s(2.5)})
    for t, node, f2 in [(0, "n1", 0.99), (5, "n1", 0.97), (0, "n2", 0.96), (5, "n2", 0.90)]:
        w.insert("quality_snapshots", {"ts": s(t), "node": node, "fidelity_2q": f2, "available": True,
                                       "degraded": f2 < 0.95})
    m = Metrics()
    m.jobs_total.inc(3, state="COMPLETED")
    m.jobs_total.inc(1, state="FAILED")
    m.queue_depth.set(4)
    w.insert_many("metrics_samples", m.snapshot(s(10)))
    m.jobs_total.inc(2, state="FAILED")
    m.queue_depth.set(1)
    w.insert_many("metrics_samples", m.snapshot(s(20)))
    w.flush(10)
    return store


def test_job_summary(populated):
    rows = {r["job_id"]: r for r in populated.sql("SELECT * FROM job_summary").to_dicts()}
    j1 = rows["J1"]
    assert j1["duration_s"] == 2.5
    assert (j1["attempts"], j1["retries"], j1["fallbacks"], j1["failed_attempts"]) == (4, 2, 1, 2)
    assert (j1["plans"], j1["compile_ms"], j1["ebits"]) == (2, 6.0, 3)          # latest plan, no result ebits
    assert (j1["estimated_fidelity"], j1["measured_fidelity"]) == (0.85, 0.83)  # the result wins over the plan
    assert (j1["sim_ms"], j1["overhead_ms"], j1["fragments_run"]) == (30.0, 6.0, 2)
    assert rows["J2"]["error_type"] == "fragment_error" and rows["J2"]["estimated_fidelity"] is None
    assert rows["J3"]["duration_s"] is None and rows["J3"]["attempts"] == 1


def test_node_reliability(populated):
    rows = {r["node"]: r for r in populated.sql("SELECT * FROM node_reliability").to_dicts()}
    # n2: 3 finished attempts, all failures (1 timeout); n1: 1 ok (the running one does not count)
    assert (rows["n2"]["attempts"], rows["n2"]["failures"], rows["n2"]["timeouts"], rows["n2"]["success_rate"]) \
        == (3, 3, 1, 0.0)
    assert (rows["n1"]["attempts"], rows["n1"]["successes"], rows["n1"]["success_rate"]) == (1, 1, 1.0)
    assert (rows["n3"]["fallbacks_served"], rows["n3"]["mean_sim_ms"]) == (1, 20.0)
    assert rows["n2"]["latest_fidelity_2q"] == 0.90 and rows["n2"]["latest_degraded"] is True
    assert rows["n3"]["latest_fidelity_2q"] is None


def test_fidelity_over_time(populated):
    rows = populated.sql("SELECT node, ts, fidelity_2q, delta_2q FROM fidelity_over_time").rows
    assert [(n, t) for n, t, _, _ in rows] == [("n1", s(0)), ("n1", s(5)), ("n2", s(0)), ("n2", s(5))]
    assert rows[0][3] is None and rows[1][3] == pytest.approx(-0.02) and rows[3][3] == pytest.approx(-0.06)


def test_metric_views_and_success_rates(populated):
    assert populated.sql("SELECT ts, queue_depth FROM metrics_queue_depth").rows == [(s(10), 4.0), (s(20), 1.0)]
    rate = populated.sql("SELECT ts, completed, failed, success_rate FROM metrics_success_rate").rows
    assert rate == [(s(10), 3.0, 1.0, 0.75), (s(20), 3.0, 3.0, 0.5)]
    jobs = populated.sql("SELECT * FROM job_success_rate").to_dicts()[0]
    assert (jobs["completed"], jobs["failed"], jobs["active"], jobs["success_rate"]) == (1, 1, 1, 0.5)
    latest = populated.sql("SELECT value FROM metrics_latest WHERE name = 'qnb_jobs_total' "
                           "AND labels ->> 'state' = 'FAILED'").scalar()
    assert latest == 3.0


def test_experiment_summary(store, writer):
    writer.insert("experiment_runs", {"run_id": "E1", "name": "ghz sweep", "started_at": T0})
    for i, (state, mode, wall) in enumerate([("COMPLETED", "distributed", 10.0), ("FAILED", "distributed", None),
                                             ("COMPLETED", "centralized", 4.0)]):
        writer.insert("jobs", {"job_id": f"E1-{i}", "state": state, "submitted_at": T0, "experiment_run_id": "E1"})
        # every terminal job gets a results row (a failed one too: status and mode, no counts)
        writer.insert("results", {"job_id": f"E1-{i}", "status": state, "mode": mode, "wall_ms": wall,
                                  "created_at": T0})
    writer.insert("experiment_runs", {"run_id": "E2", "name": "empty", "started_at": T0})
    writer.flush(10)
    rows = store.sql("SELECT run_id, mode, jobs, completed, success_rate, mean_wall_ms FROM experiment_summary "
                     "ORDER BY run_id, mode").rows
    assert rows == [("E1", "centralized", 1, 1, 1.0, 4.0), ("E1", "distributed", 2, 1, 0.5, 10.0),
                    ("E2", None, 0, 0, None, None)]
