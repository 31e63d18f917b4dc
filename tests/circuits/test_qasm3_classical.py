"""Compile-time classical evaluation: consts, arithmetic, loops, static branches, subroutines (FR-003)."""

import math

import pytest

from qnb.circuits import Operation
from qnb.errors import UnsupportedConstructError

from ingest_helpers import qasm3, qasm3_ops


def angle(body: str, decls: str = "") -> float:
    """Value of the single rz angle produced by ``body``."""
    ops = qasm3_ops(body, decls + "qubit[1] q;\n")
    assert len(ops) == 1 and ops[0].name == "rz"
    return ops[0].params[0]


@pytest.mark.parametrize("expr, expected", [
    ("7 / 2", 3.0),          # int / int truncates (OpenQASM 3 integer division)
    ("-7 / 2", -3.0),        # ... toward zero
    ("7 / 2.0", 3.5),
    ("7 % 3", 1.0),
    ("2 ** 10", 1024.0),
    ("-2 ** 2", -4.0),       # ** binds tighter than unary minus
    ("2 ** 3 ** 2", 512.0),  # right-associative
    ("1 << 3", 8.0),
    ("6 & 3 | 8", 10.0),
    ("pi / 4", math.pi / 4),
    ("cos(0) + sin(pi / 2) + sqrt(16) + exp(0) + log(1)", 7.0),
    ("arctan(1) * 4", math.pi),
    ("floor(2.7) + ceiling(2.1)", 5.0),
    ("mod(7, 4) + popcount(7)", 6.0),
    ("float(3) / 2", 1.5),
    ("int(2.9)", 2.0),
])
def test_constant_expressions(expr, expected):
    assert angle(f"rz({expr}) q[0];\n") == pytest.approx(expected)


def test_typed_constants():
    decls = "const int n = 3;\nconst uint m = 2;\nconst float f = n / 2.0;\nconst angle a = π / n;\nconst bool b = n > m;\n"
    assert angle("rz(n * m + f + a) q[0];\n", decls) == pytest.approx(6 + 1.5 + math.pi / 3)
    assert angle("if (b) { rz(1) q[0]; } else { rz(2) q[0]; }\n", decls) == 1.0


def test_const_int_truncates_a_float_initialiser():
    assert angle("rz(k) q[0];\n", "const int k = 2.9;\n") == 2.0


def test_mutable_classical_variables_and_compound_assignment():
    body = "float[64] acc = 0.5;\nint i = 1;\nacc += 1;\nacc *= 2;\ni = i + 4;\nrz(acc + i) q[0];\n"
    assert angle(body) == pytest.approx((0.5 + 1) * 2 + 5)


def test_for_loop_over_inclusive_range_with_step():
    ops = qasm3_ops("for int i in [0:2:4] { x q[i]; }\n", "qubit[5] q;\n")
    assert [op.qubits[0] for op in ops] == [0, 2, 4]


def test_for_loop_negative_step_and_empty_range():
    ops = qasm3_ops("for int i in [3:-1:1] { x q[i]; }\nfor int i in [2:1] { h q[i]; }\n", "qubit[4] q;\n")
    assert [(op.name, op.qubits[0]) for op in ops] == [("x", 3), ("x", 2), ("x", 1)]


def test_for_loop_over_set_and_loop_variable_in_expressions():
    ops = qasm3_ops("for float a in {0.5, 1.5} { rz(a * 2) q[0]; }\n", "qubit[1] q;\n")
    assert [op.params[0] for op in ops] == [1.0, 3.0]


def test_nested_loops_with_break_and_continue():
    body = ("for int i in [0:3] {\n  if (i == 1) { continue; }\n  for int j in [0:3] {\n"
            "    if (j > i) { break; }\n    cx q[i], q[4 + j];\n  }\n}\n")
    ops = qasm3_ops(body, "qubit[8] q;\n")
    pairs = [(op.qubits[0], op.qubits[1] - 4) for op in ops]
    assert pairs == [(0, 0), (2, 0), (2, 1), (2, 2), (3, 0), (3, 1), (3, 2), (3, 3)]


def test_loop_variable_is_scoped_to_the_loop():
    with pytest.raises(Exception) as e:
        qasm3("for int i in [0:1] { x q[i]; }\nx q[i];\n", "qubit[2] q;\n")
    assert "not declared" in str(e.value)


def test_static_if_else_chain():
    body = "const int k = 2;\nif (k == 1) { x q[0]; } else if (k == 2) { y q[0]; } else { z q[0]; }\n"
    assert [op.name for op in qasm3_ops(body, "qubit[1] q;\n")] == ["y"]


def test_static_switch():
    body = "const int k = 3;\nswitch (k) { case 1, 2 { x q[0]; } case 3 { y q[0]; } default { z q[0]; } }\n"
    assert [op.name for op in qasm3_ops(body, "qubit[1] q;\n")] == ["y"]


def test_sizeof_of_a_register():
    ops = qasm3_ops("for int i in [0:sizeof(q) - 1] { h q[i]; }\n", "qubit[3] q;\n")
    assert len(ops) == 3


def test_subroutine_with_qubit_and_classical_arguments_is_inlined():
    body = ("def entangle(qubit a, qubit[2] b, float[64] t) {\n  h a;\n  cx a, b[0];\n  rz(t / 2) b[1];\n}\n"
            "entangle(q[3], q[0:1], 0.5);\n")
    ops = qasm3_ops(body, "qubit[4] q;\n")
    assert ops == (Operation("h", (3,)), Operation("cx", (3, 0)), Operation("rz", (1,), (), (0.25,)))


def test_subroutine_returning_a_classical_value():
    body = "def twice(float[64] x) -> float[64] { return 2 * x; }\nrz(twice(twice(0.25))) q[0];\n"
    assert angle(body) == 1.0


def test_subroutine_return_measure_into_assigned_bits():
    body = ("def readout(qubit a) -> bit {\n  h a;\n  return measure a;\n}\n"
            "c[1] = readout(q[0]);\nbit r = readout(q[1]);\n")
    c = qasm3(body, "qubit[2] q;\nbit[2] c;\n")
    assert c.measurements == ((0, 1), (1, 2))
    assert c.num_clbits == 3


def test_subroutine_returning_a_local_measured_bit_register():
    body = ("def both(qubit[2] a) -> bit[2] {\n  bit[2] r;\n  r = measure a;\n  return r;\n}\n"
            "c = both(q);\n")
    c = qasm3(body, "qubit[2] q;\nbit[2] c;\n")
    assert c.measurements == ((0, 0), (1, 1))
    assert c.num_clbits == 2  # the subroutine's local bits are not kept


def test_subroutine_with_discarded_measurement_keeps_the_measurement():
    body = "def m(qubit a) -> bit { return measure a; }\nm(q[1]);\n"
    c = qasm3(body, "qubit[2] q;\n")
    assert c.measurements == ((1, 0),) and c.num_clbits == 1


def test_recursive_subroutine_is_rejected():
    with pytest.raises(UnsupportedConstructError) as e:
        qasm3("def f(qubit a) { f(a); }\nf(q[0]);\n")
    assert e.value.construct == "recursive subroutine" and e.value.line == 4  # the inner call


def test_end_statement_stops_the_program():
    ops = qasm3_ops("x q[0];\nend;\ny q[0];\n", "qubit[1] q;\n")
    assert [op.name for op in ops] == ["x"]


def test_pragma_is_ignored():
    assert qasm3_ops("#pragma anything goes\nx q[0];\n", "qubit[1] q;\n") == (Operation("x", (0,)),)


def test_classical_value_from_measurement_is_fine_until_used_for_control():
    c = qasm3("bit b = measure q[0];\nint k = b;\nx q[1];\n", "qubit[2] q;\n")
    assert [op.name for op in c.operations] == ["measure", "x"]
    with pytest.raises(UnsupportedConstructError) as e:
        qasm3("bit b = measure q[0];\nint k = b;\nif (k == 1) { x q[1]; }\n", "qubit[2] q;\n")
    assert e.value.construct == "if on measurement result" and e.value.line == 6
