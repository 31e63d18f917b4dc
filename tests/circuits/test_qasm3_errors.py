"""Bad or unsupported OpenQASM 3 gives a structured error with line, column and construct (FR-003).

Positions are 1-based. Every snippet starts with the two header lines, so its third line is line 3.
"""

import json

import pytest

from qnb.circuits import load
from qnb.errors import QasmError, UnsupportedConstructError

HEAD = 'OPENQASM 3.0;\ninclude "stdgates.inc";\n'


def error(text: str) -> QasmError:
    with pytest.raises(QasmError) as e:
        load(HEAD + text)
    return e.value


def where(e: QasmError) -> tuple:
    return e.line, e.column


# ------------------------------------------------------------------------------ syntax errors
def test_missing_semicolon_points_at_the_next_token():
    e = error("qubit[2] q;\nh q[0]\ncx q[0], q[1];\n")
    assert type(e) is QasmError and e.construct == "syntax"
    assert where(e) == (5, 1) and "missing ';'" in e.message


def test_unbalanced_parenthesis():
    e = error("qubit q;\nrx(0.5 q;\n")
    assert e.construct == "syntax" and e.line == 4


def test_invalid_character():
    e = error("qubit q;\nx q; #\n")
    assert e.construct == "syntax" and where(e) == (4, 6)


def test_structural_error_reported_by_the_ast_builder():
    e = error("break;\n")
    assert e.construct == "syntax" and where(e) == (3, 1) and "outside loop" in e.message


def test_error_json_is_structured():
    e = error("qubit q;\nfoo bar baz;\n")
    body = json.loads(json.dumps(e.to_json()))["error"]
    assert body["type"] == "qasm_error" and body["line"] == 4 and body["construct"] == "syntax"
    assert isinstance(body["column"], int) and body["message"]


# ---------------------------------------------------------------------------- semantic errors
def test_undeclared_qubit_register():
    e = error("qubit[2] q;\nh r[0];\n")
    assert e.construct == "undeclared identifier" and where(e) == (4, 3) and "'r'" in e.message


def test_index_out_of_range_points_at_the_index():
    e = error("qubit[2] q;\ncx q[0], q[5];\n")
    assert e.construct == "index out of range" and where(e) == (4, 12) and "size 2" in e.message


def test_wrong_number_of_qubits():
    e = error("qubit[3] q;\ncx q[0], q[1], q[2];\n")
    assert e.construct == "gate arity" and where(e) == (4, 1)


def test_wrong_number_of_parameters():
    e = error("qubit q;\nrz(0.1, 0.2) q;\n")
    assert e.construct == "gate parameters" and where(e) == (4, 1) and "takes 1" in e.message


def test_unknown_gate():
    e = error("qubit q;\nfoo q;\n")
    assert e.construct == "unknown gate" and where(e) == (4, 1) and "'foo'" in e.message


def test_unknown_gate_hint_for_missing_include():
    with pytest.raises(QasmError) as e:
        load("OPENQASM 3.0;\nqubit q;\nh q;\n")
    assert e.value.construct == "unknown gate" and 'include "stdgates.inc"' in e.value.message


def test_same_qubit_twice():
    e = error("qubit[2] q;\ncx q[1], q[1];\n")
    assert e.construct == "duplicate qubit" and e.line == 4


def test_broadcast_size_mismatch():
    e = error("qubit[2] a;\nqubit[3] b;\ncx a, b;\n")
    assert e.construct == "broadcast" and e.line == 5


def test_redeclaration():
    e = error("qubit[2] q;\nbit[2] q;\n")
    assert e.construct == "redeclaration" and where(e) == (4, 8)


def test_redefining_a_standard_gate():
    e = error("gate h a { x a; }\n")
    assert e.construct == "redefinition" and where(e) == (3, 6)


def test_measure_size_mismatch():
    e = error("qubit[3] q;\nbit[2] c;\nc = measure q;\n")
    assert e.construct == "measure" and e.line == 5


def test_global_register_not_visible_in_gate_body():
    e = error("qubit[2] q;\ngate g a { cx a, q[0]; }\ng q[1];\n")
    assert e.construct == "scope" and e.line == 4


def test_non_constant_index():
    e = error("input float w;\nqubit[2] q;\nx q[w];\n")
    assert e.construct == "index" and e.line == 5


# ---------------------------------------------------------------------- unsupported constructs
@pytest.mark.parametrize("snippet, construct, line, column", [
    ('defcalgrammar "openpulse";\n', "defcalgrammar", 3, 1),
    ("cal {\n  extern port d0;\n}\n", "cal", 3, 1),
    ("defcal x $0 {\n  play(d0, g);\n}\n", "defcal", 3, 1),
    ("qubit q;\ndelay[100ns] q;\n", "delay", 4, 1),
    ("qubit q;\nbox {\n  x q;\n}\n", "box", 4, 1),
    ("duration d = 100ns;\n", "duration/stretch", 3, 1),
    ("stretch s;\n", "duration/stretch", 3, 1),
    ("qubit q;\ncx[50ns] q, q;\n", "gate duration", 4, 1),
    ("qubit q;\nbit b;\nwhile (true) {\n  x q;\n}\n", "while loop", 5, 1),
    ("qubit q;\nbit b;\nb = measure q;\nif (b) {\n  x q;\n}\n", "if on measurement result", 6, 5),
    ("qubit[2] q;\nbit[2] c;\nc = measure q;\nif (c[0] == 1) x q[1];\n", "if on measurement result", 6, 5),
    ("extern f(int) -> int;\n", "extern", 3, 1),
    ("qubit q;\npow(1.5) @ h q;\n", "pow @ with a non-integer exponent", 4, 1),
    ("input int n;\n", "input of non-real type", 3, 1),
    ("array[int[8], 2] a = {1, 2};\n", "array", 3, 1),
    ("complex[float] z = 1.0im;\n", "complex number", 3, 1),
    ("input float w;\nqubit q;\nif (w > 1) { x q; }\n", "if on input parameter", 5, 5),
    ("qubit q;\nbit b;\nb = 1;\n", "classical bit assignment", 5, 1),
])
def test_unsupported_constructs_are_named_and_located(snippet, construct, line, column):
    e = error(snippet)
    assert isinstance(e, UnsupportedConstructError), e
    assert e.construct == construct and where(e) == (line, column), (e.construct, where(e), e.message)
    assert e.to_json()["error"]["type"] == "unsupported_construct"


def test_error_in_file_carries_the_file_name(tmp_path):
    p = tmp_path / "bad.qasm"
    p.write_text(HEAD + "qubit q;\nwhile (true) { x q; }\n")
    with pytest.raises(UnsupportedConstructError) as e:
        load(p)
    assert e.value.fields["file"] == str(p) and e.value.line == 4


def test_error_inside_gate_body_points_into_the_body():
    e = error("gate g a { rz(1, 2) a; }\nqubit q;\ng q;\n")
    assert e.construct == "gate parameters" and where(e) == (3, 12)
