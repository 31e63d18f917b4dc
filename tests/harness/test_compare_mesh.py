"""The comparison on real embedded meshes (FR-013, NFR-002): real libp2p hosts, qiskit-aer, DuckDB.

The experiment itself runs once (``fault_experiment`` in conftest.py); these tests read its rows
and the DuckDB file it wrote.
"""

import json

import duckdb
import pytest

from qnb.harness.compare import compare
from qnb.harness.compare import ROW_COLUMNS

from .conftest import harness_settings


def _rows(res):
    return {(r["scenario"], r["mode"]): r for r in res.rows}


def test_one_row_per_mode_circuit_scenario_repeat(fault_experiment):
    res, _ = fault_experiment
    assert len(res.rows) == 6
    assert set(_rows(res)) == {(s, m) for s in ("none", "node-drop", "fidelity-drop")
                               for m in ("distributed", "centralized")}
    for r in res.rows:
        assert set(r) == set(ROW_COLUMNS)
        assert r["seed"] == 11 and r["shots"] == 256 and r["topology"] == "all-to-all:3:3"


def test_without_faults_both_modes_run_the_same_plan(fault_experiment):
    rows = _rows(fault_experiment[0])
    d, c = rows[("none", "distributed")], rows[("none", "centralized")]
    assert d["success"] and c["success"]
    assert d["plan_hash"] == c["plan_hash"] == d["expected_plan_hash"]
    # same plan, same seed, same nodes: the same sampled counts, hence the same measured fidelity
    assert d["measured_fidelity"] == pytest.approx(c["measured_fidelity"])
    assert d["fallbacks"] == c["fallbacks"] == 0


def test_node_drop_fails_centralized_and_distributed_falls_back(fault_experiment):
    res, db = fault_experiment
    rows = _rows(res)
    d, c = rows[("node-drop", "distributed")], rows[("node-drop", "centralized")]
    (fault,) = json.loads(d["faults"])
    dropped = fault["node"]
    assert fault["kind"] == "drop" and fault["applied"]
    assert json.loads(c["faults"])[0]["node"] == dropped          # the same schedule for both modes

    assert d["success"], d["error_message"]
    assert d["fallbacks"] + d["replans"] >= 1                      # NFR-002: recovered automatically
    assert dropped not in json.loads(d["nodes_used"])

    assert not c["success"]
    assert c["status"] == "FAILED" and c["error_type"] == "fragment_error"
    assert c["fallbacks"] == 0 and c["replans"] == 0              # the baseline never re-plans
    con = duckdb.connect(db, read_only=True)
    try:
        tried = con.execute("SELECT DISTINCT node, status FROM attempts WHERE job_id = ? AND status <> 'ok'",
                            [c["job_id"]]).fetchall()
    finally:
        con.close()
    assert tried and {n for n, _ in tried} == {dropped}            # retries stayed on the same node


def test_fidelity_drop_is_invisible_to_the_static_inventory(fault_experiment):
    rows = _rows(fault_experiment[0])
    d, c = rows[("fidelity-drop", "distributed")], rows[("fidelity-drop", "centralized")]
    (fault,) = json.loads(c["faults"])
    degraded = fault["node"]
    assert fault["advertised"] is True                             # the registry had seen it before submit
    assert c["success"] and d["success"]
    assert c["plan_hash"] == c["expected_plan_hash"]               # planned on the pre-fault inventory
    assert degraded in json.loads(c["nodes_used"])
    assert d["plan_hash"] != d["expected_plan_hash"]               # re-planned on the live registry
    assert degraded not in json.loads(d["nodes_used"])
    assert d["measured_fidelity"] > c["measured_fidelity"]         # the degraded noise is real
    # the baseline's estimate still believes the old fidelity
    assert c["estimated_fidelity"] - c["measured_fidelity"] > d["estimated_fidelity"] - d["measured_fidelity"]


def test_every_run_is_in_duckdb_with_its_parameters(fault_experiment):
    res, db = fault_experiment
    con = duckdb.connect(db, read_only=True)
    try:
        runs = con.execute("SELECT mode, scenario, job_id, seed, topology, version, schedule FROM bench_runs "
                           "WHERE experiment_id = ? ORDER BY run_index", [res.experiment_id]).fetchall()
        jobs = dict(con.execute("SELECT job_id, experiment_run_id FROM jobs").fetchall())
        params = json.loads(con.execute("SELECT params FROM experiment_runs WHERE run_id = ?",
                                        [res.experiment_id]).fetchone()[0])
        summary = con.execute("SELECT scenario, mode, runs, successes FROM bench_summary WHERE experiment_id = ?",
                              [res.experiment_id]).fetchall()
        reservations = con.execute("SELECT b.mode, r.reservation_id, r.kind FROM bench_runs b "
                                   "JOIN reservation_events r USING (job_id) WHERE b.scenario = 'none'").fetchall()
    finally:
        con.close()
    import qnb
    assert [(m, s) for m, s, *_ in runs] == [(r["mode"], r["scenario"]) for r in res.rows]
    assert all(v == qnb.__version__ and t == "all-to-all:3:3" and seed == 11 for _, _, _, seed, t, v, _ in runs)
    assert {j for _, _, j, *_ in runs} <= set(jobs)                # the jobs' own rows came along
    assert all(jobs[j] == res.experiment_id for _, _, j, *_ in runs)
    assert params["config"]["scenarios"] == ["none", "node-drop", "fidelity-drop"]
    assert ("node-drop", "centralized", 1, 0) in summary and ("node-drop", "distributed", 1, 1) in summary
    # the baseline books its windows in the central table, and they are still recorded in the store
    central = [rid for m, rid, _ in reservations if m == "centralized"]
    on_nodes = [rid for m, rid, _ in reservations if m == "distributed"]
    assert central and all(rid.startswith("central-") for rid in central)
    assert on_nodes and not any(rid.startswith("central-") for rid in on_nodes)


def test_same_inputs_same_plans_and_schedules(fault_experiment, tmp_path):
    first, _ = fault_experiment
    again = compare(["ghz_5"], topology="all-to-all:3:3", scenarios="none,fidelity-drop", repeat=1, shots=256,
                    seed=11, db=str(tmp_path / "again.duckdb"), warmup=False, settings=harness_settings())
    old = _rows(first)
    for (scen, mode), r in _rows(again).items():
        o = old[(scen, mode)]
        assert r["schedule"] == o["schedule"]
        assert r["expected_plan_hash"] == o["expected_plan_hash"]
        assert r["plan_hash"] == o["plan_hash"]
        assert r["measured_fidelity"] == pytest.approx(o["measured_fidelity"])


def test_tidy_table_as_dataframe(fault_experiment):
    df = fault_experiment[0].df()
    assert list(df.columns) == list(ROW_COLUMNS) and len(df) == 6
    assert df.groupby("mode")["success"].sum().to_dict() == {"centralized": 2, "distributed": 3}
