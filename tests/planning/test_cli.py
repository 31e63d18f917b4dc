"""``qnb plan`` and ``qnb bench compile`` through the real CLI entry point (FR-004, NFR-003)."""

import json

import pytest

from qnb.cli import main
from qnb.planning.plan import Plan

GHZ4 = """OPENQASM 3.0;
include "stdgates.inc";
qubit[4] q;
bit[4] c;
h q[0];
cx q[0], q[1];
cx q[1], q[2];
cx q[2], q[3];
c = measure q;
"""


def run(capsys, *argv):
    status = main(list(argv))
    out = capsys.readouterr()
    return status, out.out, out.err


@pytest.fixture
def ghz_file(tmp_path):
    p = tmp_path / "ghz4.qasm"
    p.write_text(GHZ4)
    return p


def test_plan_json_has_the_contract_fields(capsys, ghz_file):
    status, out, _ = run(capsys, "plan", str(ghz_file), "--topology", "all-to-all:2:2", "--json")
    assert status == 0
    body = json.loads(out)
    for key in ("num_qubits", "num_ops", "fragments", "edges", "ebits", "remote_gates", "estimated_fidelity",
                "cost", "compile_ms", "plan_hash"):
        assert key in body
    assert body["num_qubits"] == 4 and body["num_ops"] == 8    # h, 3 cx, 4 measure
    assert body["ebits"] == 1 and body["remote_gates"] == 1    # a chain over 2 nodes
    assert sum(f["ops"] for f in body["fragments"]) == 8
    assert all({"node", "ops", "qubits"} <= set(f) for f in body["fragments"])
    assert set(body["cost"]) == {"latency_ms", "fidelity_risk", "ebits", "total"}
    assert body["compile_ms"] >= body["plan_ms"] >= 0
    again = json.loads(run(capsys, "plan", str(ghz_file), "-t", "all-to-all:2:2", "--json")[1])
    assert again["plan_hash"] == body["plan_hash"]


def test_plan_human_summary_defaults_to_hetero5(capsys, ghz_file):
    status, out, _ = run(capsys, "plan", str(ghz_file))
    assert status == 0
    assert "topology: hetero5" in out and "ebits: 0" in out and "plan hash:" in out


def test_plan_options_reach_the_planner(capsys, ghz_file):
    _, out, _ = run(capsys, "plan", str(ghz_file), "-t", "hetero5", "--exclude", "beta", "--exclude", "delta",
                    "--seed", "3", "--json")
    body = json.loads(out)
    assert body["seed"] == 3 and not {"beta", "delta"} & set(body["nodes_used"])


def error_of(capsys, *argv):
    status, out, _ = run(capsys, *argv, "--json")
    assert status == 2
    err = json.loads(out)["error"]
    assert {"type", "message", "line", "column"} <= set(err)
    return err


def test_qasm_error_reports_line_and_column(capsys, tmp_path):
    bad = tmp_path / "bad.qasm"
    bad.write_text(GHZ4.replace("cx q[1], q[2];", "cx q[1], q[9];"))
    err = error_of(capsys, "plan", str(bad))
    assert err["line"] == 7 and err["column"] is not None


def test_topology_and_planning_errors_have_null_locations(capsys, ghz_file):
    err = error_of(capsys, "plan", str(ghz_file), "--topology", "nowhere:3")
    assert err["type"] == "topology_error" and err["line"] is None and err["column"] is None
    err = error_of(capsys, "plan", str(ghz_file), "--topology", "all-to-all:1:3")
    assert err["type"] == "planning_error" and err["message"] == "circuit needs 4 qubits, mesh has 3 available"
    assert err["missing"] == "capacity" and err["line"] is None
    err = error_of(capsys, "plan", str(ghz_file), "--topology", "all-to-all:2:2", "--min-fidelity", "0.999")
    assert err["missing"] == "min_fidelity"


def test_missing_file_is_a_structured_error(capsys, tmp_path):
    err = error_of(capsys, "plan", str(tmp_path / "absent.qasm"))
    assert err["type"] in ("qasm_error", "unsupported_construct")


def test_bench_compile_runs_and_reports(capsys):
    status, out, _ = run(capsys, "bench", "compile", "--runs", "3", "--json")
    assert status == 0
    body = json.loads(out)
    names = [c["name"] for c in body["cases"]]
    assert names == ["50ops-10nodes", "5000ops-100nodes"]
    for case in body["cases"]:
        assert case["runs"] == 3
        assert 0 < case["p50_ms"] <= case["p95_ms"]
        assert case["ingest_p50_ms"] > 0 and case["plan_p50_ms"] > 0
    assert body["cases"][0]["qiskit_transpile_p50_ms"] > 0
    rows = [r for r in body["ebits"] if "error" not in r]
    assert {r["k"] for r in rows} == {2, 3, 4}
    ghz = [r for r in rows if r["circuit"].startswith("ghz")]
    assert ghz and all(r["ebits"] == r["nodes_used"] - 1 for r in ghz)   # chains meet the lower bound


def test_plan_summary_is_built_from_a_plan():
    from qnb.cli.plan import plan_summary
    from qnb.planning import plan_circuit
    from qnb.circuits import load

    plan = plan_circuit(load(GHZ4), "all-to-all:2:2")
    assert isinstance(plan, Plan)
    body = plan_summary(plan, "x", ingest_ms=1.0)
    assert body["compile_ms"] == pytest.approx(1.0 + plan.compile_ms, abs=1e-3)


def test_bench_table_rendering():
    from qnb.bench.compile import render

    case = {"name": "50ops-10nodes", "runs": 3, "p50_ms": 1.0, "p95_ms": 2.0, "cpu_p95_ms": 1.5,
            "ingest_p50_ms": 0.2, "plan_p50_ms": 0.8, "target_p95_ms": 20.0, "qiskit_transpile_p50_ms": 9.0}
    text = render({"cases": [case], "ebits": [
        {"circuit": "ghz_5", "qubits": 5, "k": 2, "nodes_used": 2, "ebits": 1, "remote_gates": 1,
         "estimated_fidelity": 0.9}, {"circuit": "broken", "error": "line 1: nope"}]})
    assert "50ops-10nodes" in text and "9.00" in text
    assert "ghz_5" in text and "broken" in text and "nope" in text
