"""`qnb validate FILE [--json]` (FR-003 via the CLI contract: exit 2 + JSON error)."""

import io
import json

from qnb.cli import main
from qnb.circuits import load


def run(argv, capsys):
    status = main(argv)
    out = capsys.readouterr()
    return status, out.out, out.err


def test_valid_file_summary(capsys, tmp_path):
    status, out, _ = run(["validate", "ghz_5"], capsys)
    assert status == 0
    assert "ghz_5" in out and "qubits 5" in out and load("ghz_5").fingerprint() in out


def test_valid_file_json(capsys):
    status, out, _ = run(["validate", "qasm3_features", "--json"], capsys)
    info = json.loads(out)
    c = load("qasm3_features")
    assert status == 0
    assert info["num_qubits"] == c.num_qubits and info["parameters"] == ["theta"]
    assert info["fingerprint"] == c.fingerprint() and info["gate_counts"]["measure"] == 4


def test_error_is_json_with_exit_status_2(capsys, tmp_path):
    p = tmp_path / "bad.qasm"
    p.write_text('OPENQASM 3;\ninclude "stdgates.inc";\nqubit q;\nbit b;\nb = measure q;\nif (b) x q;\n')
    status, out, _ = run(["validate", str(p), "--json"], capsys)
    err = json.loads(out)["error"]
    assert status == 2
    assert err["type"] == "unsupported_construct" and err["line"] == 6 and err["column"] == 5
    assert err["construct"] == "if on measurement result" and err["file"] == str(p)


def test_syntax_error_without_json_goes_to_stderr(capsys, tmp_path):
    p = tmp_path / "bad.qasm"
    p.write_text("OPENQASM 3;\nqubit q\n")
    status, out, err = run(["validate", str(p)], capsys)
    assert status == 2 and out == "" and "line 3" in err


def test_stdin(capsys, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO('OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[1];\nh q[0];\n'))
    status, out, _ = run(["validate", "-", "--json"], capsys)
    assert status == 0 and json.loads(out)["source_format"] == "qasm2"


def test_missing_file(capsys):
    status, out, _ = run(["validate", "/no/such/file.qasm", "--json"], capsys)
    assert status == 2 and json.loads(out)["error"]["construct"] == "file"
