"""Gate modifiers are exact: compared with matrices built independently with numpy/qiskit (FR-003).

``controlled(M, n)`` below is the textbook definition (identity unless all n controls are 1), written
here from scratch; expectations for OpenQASM gates use their ``stdgates.inc`` definitions, i.e.
qiskit's matrix times the definition's global phase (non-zero only for u2/u3).
"""

import math

import numpy as np
import pytest
from qiskit.circuit.library import get_standard_gate_name_mapping
from qiskit.quantum_info import Operator

from qnb.circuits import Operation
from qnb.circuits.export import ops_unitary
from qnb.circuits.gates import GATES
from qnb.circuits.library import STDGATES
from qnb.circuits.modifiers import control, inverse, power
from qnb.errors import UnsupportedConstructError

from ingest_helpers import exact_equal, qasm3

PARAMS = (0.3, 0.7, -1.1, 0.4)
QISKIT = get_standard_gate_name_mapping()


def controlled(m: np.ndarray, n: int) -> np.ndarray:
    """Matrix of ``m`` controlled by ``n`` qubits that come first (lowest indices, little-endian)."""
    dim_t = m.shape[0]
    size = dim_t << n
    out = np.eye(size, dtype=complex)
    all_ones = (1 << n) - 1
    rows = [i for i in range(size) if i & all_ones == all_ones]
    for a in rows:
        for b in rows:
            out[a, b] = m[a >> n, b >> n]
    return out


def gate_matrix(ir_name: str, params) -> np.ndarray:
    return Operator(type(QISKIT[ir_name])(*params)).data


def std_matrix(qasm_name: str, params) -> np.ndarray:
    """Matrix of a stdgates.inc gate as its definition in the standard library specifies."""
    g = STDGATES[qasm_name]
    m = gate_matrix(g.ir_name, params)
    if qasm_name in ("u2", "u3"):
        phi, lam = params[-2], params[-1]
        m = m * np.exp(-0.5j * (phi + lam))
    return m


def lowered(body: str, nq: int) -> np.ndarray:
    c = qasm3(body, f"qubit[{nq}] q;\n")
    return ops_unitary(list(c.operations), nq)


def call(name: str, qubits: list[int]) -> str:
    g = STDGATES[name]
    args = f"({', '.join(map(str, PARAMS[:g.num_params]))})" if g.num_params else ""
    return f"{name}{args} " + ", ".join(f"q[{i}]" for i in qubits)


STD = sorted(STDGATES)


@pytest.mark.parametrize("name", STD)
def test_ctrl_of_every_stdgate_is_exact(name):
    g = STDGATES[name]
    got = lowered(f"ctrl @ {call(name, list(range(g.num_qubits + 1)))};\n", g.num_qubits + 1)
    assert exact_equal(got, controlled(std_matrix(name, PARAMS[:g.num_params]), 1))


@pytest.mark.parametrize("name", STD)
def test_ctrl_inv_of_every_stdgate_is_the_exact_adjoint(name):
    g = STDGATES[name]
    got = lowered(f"ctrl @ inv @ {call(name, list(range(g.num_qubits + 1)))};\n", g.num_qubits + 1)
    want = controlled(std_matrix(name, PARAMS[:g.num_params]).conj().T, 1)
    assert exact_equal(got, want)


@pytest.mark.parametrize("name", ["x", "h", "rz", "u3", "cp", "swap"])
@pytest.mark.parametrize("k", [0, 1, 3, -2])
def test_ctrl_pow_integer_is_the_matrix_power(name, k):
    g = STDGATES[name]
    got = lowered(f"ctrl @ pow({k}) @ {call(name, list(range(g.num_qubits + 1)))};\n", g.num_qubits + 1)
    want = controlled(np.linalg.matrix_power(std_matrix(name, PARAMS[:g.num_params]), k), 1)
    assert exact_equal(got, want)


def test_builtin_U_under_ctrl_uses_the_qiskit_matrix():
    got = lowered("ctrl @ U(0.3, 0.7, -1.1) q[0], q[1];\n", 2)
    assert exact_equal(got, controlled(gate_matrix("u", (0.3, 0.7, -1.1)), 1))


@pytest.mark.parametrize("body, expected", [
    ("ctrl @ x q[0], q[1];", "cx"), ("ctrl @ ctrl @ x q[0], q[1], q[2];", "ccx"),
    ("ctrl(2) @ x q[0], q[1], q[2];", "ccx"), ("ctrl @ z q[0], q[1];", "cz"),
    ("ctrl @ ctrl @ z q[0], q[1], q[2];", "ccz"), ("ctrl @ y q[0], q[1];", "cy"), ("ctrl @ h q[0], q[1];", "ch"),
    ("ctrl @ p(0.2) q[0], q[1];", "cp"), ("ctrl @ rx(0.2) q[0], q[1];", "crx"),
    ("ctrl @ ry(0.2) q[0], q[1];", "cry"), ("ctrl @ rz(0.2) q[0], q[1];", "crz"),
    ("ctrl @ swap q[0], q[1], q[2];", "cswap"), ("ctrl @ sx q[0], q[1];", "csx"),
    ("ctrl @ U(0.1, 0.2, 0.3) q[0], q[1];", "cu"), ("ctrl @ cx q[0], q[1], q[2];", "ccx"),
])
def test_known_controlled_combinations_get_named_gates(body, expected):
    ops = qasm3(body + "\n", "qubit[3] q;\n").operations
    assert [op.name for op in ops] == [expected] and ops[0].ctrl_qubits == 0


def test_ctrl_U_is_cu_with_zero_gamma():
    (op,) = qasm3("ctrl @ U(0.1, 0.2, 0.3) q[0], q[1];\n", "qubit[2] q;\n").operations
    assert op == Operation("cu", (0, 1), (), (0.1, 0.2, 0.3, 0.0))


def test_unnamed_controlled_gate_uses_ctrl_qubits():
    (op,) = qasm3("ctrl(3) @ x q[3], q[0], q[1], q[2];\n", "qubit[4] q;\n").operations
    assert op == Operation("x", (3, 0, 1, 2), ctrl_qubits=3)
    (op,) = qasm3("ctrl @ ry(0.5) q[1], q[0];\nctrl @ t q[0], q[1];\n", "qubit[2] q;\n").operations[:1]
    assert op.name == "cry"


def test_negctrl_fires_on_zero():
    got = lowered("negctrl @ x q[0], q[1];\n", 2)
    # |q1 q0>: flips q1 exactly when q0 = 0
    want = np.zeros((4, 4))
    for b in range(4):
        q0, q1 = b & 1, b >> 1
        want[(q1 ^ (1 - q0)) << 1 | q0, b] = 1
    assert exact_equal(got, want)


def test_modifier_order_and_control_assignment():
    # outermost ctrl takes the first operand; inner ctrl(2) the next two; rx acts on the last
    got = lowered("ctrl @ inv @ ctrl(2) @ rx(0.3) q[0], q[1], q[2], q[3];\n", 4)
    rx = gate_matrix("rx", (0.3,))
    assert exact_equal(got, controlled(controlled(rx, 2).conj().T, 1))


def test_ctrl_of_custom_gate_keeps_its_global_phase():
    body = "gate bell a, b { h a; cx a, b; gphase(0.7); }\nctrl @ bell q[0], q[1], q[2];\n"
    got = lowered(body, 3)
    bell = np.exp(0.7j) * gate_matrix("cx", ()) @ np.kron(np.eye(2), gate_matrix("h", ()))
    assert exact_equal(got, controlled(bell, 1))


def test_ctrl_gphase_is_a_phase_gate():
    (op,) = qasm3("ctrl @ gphase(0.4) q[0];\n", "qubit[1] q;\n").operations
    assert op == Operation("p", (0,), (), (0.4,))


def test_inv_of_custom_gate_reverses_and_inverts_its_body():
    body = "gate g a, b { h a; s b; cx a, b; rz(0.3) b; }\nctrl @ inv @ g q[0], q[1], q[2];\n"
    got = lowered(body, 3)
    g = qasm3("h q[0]; s q[1]; cx q[0], q[1]; rz(0.3) q[1];\n", "qubit[2] q;\n")
    want = ops_unitary(list(g.operations), 2).conj().T
    assert exact_equal(got, controlled(want, 1))


@pytest.mark.parametrize("body, name", [
    ("pow(0.5) @ x q[0];", "sx"), ("pow(-0.5) @ x q[0];", "sxdg"), ("pow(0.5) @ z q[0];", "s"),
    ("pow(-0.5) @ z q[0];", "sdg"), ("pow(0.25) @ z q[0];", "t"), ("pow(0.5) @ s q[0];", "t"),
])
def test_non_integer_pow_known_roots(body, name):
    assert [op.name for op in qasm3(body + "\n", "qubit[1] q;\n").operations] == [name]


def test_non_integer_pow_of_rotations_is_the_principal_power():
    got = lowered("ctrl @ pow(0.5) @ p(4.0) q[0], q[1];\n", 2)
    # arg(e^{4i}) on the principal branch is 4 - 2 pi, so the principal square root halves that
    root = controlled(np.diag([1, np.exp(0.5j * (4.0 - 2 * math.pi))]), 1)
    assert exact_equal(got, root)
    half = lowered("pow(0.5) @ rz(1.2) q[0];\n", 1)
    assert exact_equal(half @ half, gate_matrix("rz", (1.2,)))


def test_non_integer_pow_of_other_gates_is_rejected():
    with pytest.raises(UnsupportedConstructError) as e:
        qasm3("pow(0.5) @ h q[0];\n", "qubit[1] q;\n")
    assert e.value.construct == "pow @ with a non-integer exponent" and (e.value.line, e.value.column) == (4, 1)


# --------------------------------------------------------------- IR-level rules, whole library
IR_GATES = sorted(GATES)


def ir_op(name: str) -> Operation:
    info = GATES[name]
    return Operation(name, tuple(range(info.num_qubits)), (), PARAMS[:info.num_params])


@pytest.mark.parametrize("name", IR_GATES)
def test_inverse_rule_of_every_ir_gate(name):
    op = ir_op(name)
    n = GATES[name].num_qubits
    product = ops_unitary([op] + inverse([op]), n)
    assert exact_equal(product, np.eye(2 ** n))


@pytest.mark.parametrize("name", IR_GATES)
def test_control_rule_of_every_ir_gate(name):
    op = ir_op(name)
    n = GATES[name].num_qubits
    shifted = Operation(op.name, tuple(q + 1 for q in op.qubits), (), op.params)
    got = ops_unitary(control([shifted], (0,)), n + 1)
    assert exact_equal(got, controlled(gate_matrix(name, op.params), 1))


@pytest.mark.parametrize("name", ["x", "rzz", "iswap", "cu", "u2", "ecr"])
def test_inverse_of_controlled_ir_gates(name):
    op = ir_op(name)
    n = GATES[name].num_qubits
    shifted = [Operation(op.name, tuple(q + 2 for q in op.qubits), (), op.params)]
    c = control(shifted, (0, 1))
    assert exact_equal(ops_unitary(c + inverse(c), n + 2), np.eye(2 ** (n + 2)))


def test_power_zero_is_empty_and_negative_repeats_inverse():
    op = Operation("rx", (0,), (), (0.4,))
    assert power([op], 0) == []
    assert power([op], -2) == [Operation("rx", (0,), (), (-0.4,))] * 2
