"""The magics through a real IPython shell against a real embedded mesh (NB-1, FR-009)."""

from __future__ import annotations

import pytest
from IPython.core.error import UsageError
from IPython.utils.capture import capture_output

from qnb.errors import QasmError, QnbError
from qnb.mesh_api import Job
from qnb.runtime.job import JobResult

from nb_support import BELL, GHZ4, MESH_ARGS, WIDGET_MIME



def test_start_is_idempotent_and_says_so(shell, mesh):
    with capture_output() as cap:
        again = shell.run_line_magic("qnb", f"start {MESH_ARGS}")
    assert again is mesh and mesh.running
    assert "already running" in cap.stdout and mesh.name in cap.stdout


def test_status_and_nodes_return_values(shell, mesh):
    status = shell.run_line_magic("qnb", "status")
    assert status["running"] is True and status["nodes"] == 4 and status["mesh"] == mesh.name
    nodes = shell.run_line_magic("qnb", "nodes")
    assert sorted(nodes["name"]) == mesh.node_names()


def test_cell_submit_waits_and_returns_result_with_job_widget(shell, mesh):
    with capture_output() as cap:
        shell.run_cell(f"%%qsubmit --shots 500 --name bell-magic -o r\n{BELL}")
    r = shell.user_ns["r"]
    assert isinstance(r, JobResult) and r.ok and r.name == "bell-magic"
    assert sum(r.counts.values()) == 500
    # a Bell pair on slightly noisy nodes: correlated outcomes dominate (errors are ~1-3 %)
    assert (r.counts.get("00", 0) + r.counts.get("11", 0)) / 500 > 0.8
    bundles = [o.data for o in cap.outputs]
    widget_outputs = [b for b in bundles if WIDGET_MIME in b]
    assert widget_outputs, "the job widget was displayed"
    assert "qnb-job" in widget_outputs[0]["text/html"] and "bell-magic" in widget_outputs[0]["text/plain"]
    # the displayed widget was updated in place while the cell waited: find it by its model id
    from ipywidgets.widgets.widget import _instances
    box = _instances[widget_outputs[0][WIDGET_MIME]["model_id"]]
    header, progress = box.children[:2]
    assert "COMPLETED" in header.value and progress.value == 1.0 and "qnb-job" in box._dom_classes


def test_no_wait_returns_the_job_at_once(shell, mesh):
    with capture_output():
        job = shell.run_cell_magic("qsubmit", "--no-wait --shots 200 --name ghz4-nowait", GHZ4)
    assert isinstance(job, Job) and shell.user_ns["_qjob"] is job
    result = job.result(timeout=60)
    assert result.ok and set(result.counts) <= {format(i, "04b") for i in range(16)}


def test_line_form_takes_a_variable(shell, mesh):
    shell.user_ns["bell_src"] = BELL
    with capture_output():
        r = shell.run_line_magic("qsubmit", "bell_src --shots 300 --quiet")
    assert r.ok and sum(r.counts.values()) == 300


def test_line_form_takes_a_qiskit_circuit(shell, mesh):
    from qiskit import QuantumCircuit
    qc = QuantumCircuit(2, 2)
    qc.x(0)
    qc.measure([0, 1], [0, 1])
    shell.user_ns["qc"] = qc
    r = shell.run_line_magic("qsubmit", "qc --shots 200 --quiet")
    assert r.ok and sum(r.counts.values()) == 200
    # qubit 0 flipped, qubit 1 untouched: the dominant outcome has exactly one '1'
    top = max(r.counts, key=r.counts.get)
    assert top.count("1") == 1


def test_physical_qubits_survive_without_variable_expansion(shell, mesh):
    """``$0`` must reach the parser verbatim, even with variables named like IPython expansions."""
    shell.user_ns["q"] = "EXPANDED"
    body = 'OPENQASM 3.0;\ninclude "stdgates.inc";\nbit[2] c;\nh $0;\ncx $0, $1;\nc[0] = measure $0;\n' \
           'c[1] = measure $1;\n'
    shell.run_cell(f"%%qsubmit --shots 100 --quiet --name phys-$q -o phys\n{body}")
    assert shell.user_ns["phys"].ok and shell.user_ns["phys"].name == "phys-$q"   # the line is verbatim too
    src = mesh.sql("select circuit_source from jobs where job_id = ?", [shell.user_ns["phys"].job_id]).rows
    assert src and "$0" in src[0][0] and "cx $0, $1" in src[0][0]


def test_qsql_line_does_not_expand_dollar_or_braces(shell, mesh):
    shell.user_ns["x"] = "EXPANDED"
    df = shell.run_line_magic("qsql", "SELECT '$x' AS a, '{x}' AS b")
    assert list(df["a"]) == ["$x"] and list(df["b"]) == ["{x}"]


def test_qsql_line_output_variable(shell, mesh):
    df = shell.run_line_magic("qsql", "-o one_df SELECT 1 AS one, '-o x' AS txt")
    assert shell.user_ns["one_df"] is df and list(df["one"]) == [1] and list(df["txt"]) == ["-o x"]


def test_attach_makes_an_api_mesh_the_magics_target(shell, mesh):
    from qnb.mesh_api import Mesh
    from qnb.notebook import attach, current_mesh
    assert attach(mesh) is mesh and current_mesh() is mesh
    other = Mesh(nodes=1, store=":memory:")          # constructed, never started
    with pytest.raises(UsageError, match="already attached and running"):
        attach(other)
    assert current_mesh() is mesh


def test_qsql_cell_returns_dataframe_and_stores_it(shell, mesh):
    shell.user_ns["bell_src"] = BELL
    r = shell.run_line_magic("qsubmit", "bell_src --shots 100 --quiet --name sqlcheck")
    df = shell.run_cell_magic("qsql", "-o jobs_df", "SELECT job_id, state FROM jobs WHERE name = 'sqlcheck'")
    assert r.job_id in set(df["job_id"]) and shell.user_ns["jobs_df"] is df
    assert set(df.loc[df["job_id"] == r.job_id, "state"]) == {"COMPLETED"}


def test_qjobs_lists_recent_jobs_first(shell, mesh):
    shell.user_ns["bell_src"] = BELL
    first = shell.run_line_magic("qsubmit", "bell_src --shots 50 --quiet --name order-a")
    second = shell.run_line_magic("qsubmit", "bell_src --shots 50 --quiet --name order-b")
    df = shell.run_line_magic("qjobs", "--limit 2")
    assert list(df["job_id"]) == [second.job_id, first.job_id]
    done = shell.run_line_magic("qjobs", "--state completed --all")
    assert {first.job_id, second.job_id} <= set(done["job_id"]) and set(done["state"]) == {"COMPLETED"}


def test_qfault_applies_and_returns_what_it_did(shell, mesh):
    node = mesh.node_names()[-1]
    done = shell.run_line_magic("qfault", f"latency {node} --ms 5 --duration 1")
    assert done["fault"] == "latency" and done["node"] == node and done["ms"] == 5.0
    restored = shell.run_line_magic("qfault", f"restore {node}")
    assert restored["fault"] == "restore"


def test_qfault_input_errors(shell, mesh):
    with pytest.raises(UsageError, match="--peer"):
        shell.run_line_magic("qfault", "link_latency n00 --ms 3")
    with pytest.raises(UsageError, match="invalid choice"):
        shell.run_line_magic("qfault", "meteor n00")
    with pytest.raises(QnbError, match="unknown node 'nope'"):
        shell.run_line_magic("qfault", "drop nope")


def test_usage_errors_name_the_problem(shell, mesh):
    with pytest.raises(UsageError, match="needs a subcommand"):
        shell.run_line_magic("qnb", "")
    with pytest.raises(UsageError, match="cell body is empty"):
        shell.run_cell_magic("qsubmit", "", "   \n")
    with pytest.raises(UsageError, match="no variable named 'missing_circuit'"):
        shell.run_line_magic("qsubmit", "missing_circuit")
    with pytest.raises(UsageError, match="needs a query"):
        shell.run_line_magic("qsql", "-o out")


def test_bad_qasm_is_a_structured_error_with_position(shell, mesh):
    with pytest.raises(QasmError) as e:
        shell.run_cell_magic("qsubmit", "--quiet", 'OPENQASM 3.0;\ninclude "stdgates.inc";\nqubit[2] q;\nfoo q[0];\n')
    assert e.value.line == 4 and "foo" in str(e.value)
    assert e.value.to_json()["error"]["type"] in ("qasm_error", "unsupported_construct")
