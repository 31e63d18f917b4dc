"""OpenQASM 2 ingestion: qelib1, legacy gates, custom gates, located errors (FR-003)."""

import numpy as np
import pytest
from qiskit.circuit.library import C3SXGate, C3XGate, C4XGate, RC3XGate
from qiskit.quantum_info import Operator

from qnb.circuits import Operation, load
from qnb.errors import QasmError, UnsupportedConstructError

from ingest_helpers import equal_up_to_phase, reference, unitary

HEAD = 'OPENQASM 2.0;\ninclude "qelib1.inc";\n'


def test_basic_program_and_labels():
    c = load(HEAD + "qreg q[2];\ncreg c[2];\nh q[0];\ncx q[0],q[1];\nmeasure q -> c;\n")
    assert c.source_format == "qasm2" and c.qubit_labels == ("q[0]", "q[1]")
    assert c.operations == (Operation("h", (0,)), Operation("cx", (0, 1)), Operation("measure", (0,), (0,)),
                            Operation("measure", (1,), (1,)))


def test_legacy_single_qubit_gates_keep_their_names():
    c = load(HEAD + "qreg q[1];\nu1(0.1) q[0];\nu2(0.2,0.3) q[0];\nu3(0.4,0.5,0.6) q[0];\nU(0.7,0.8,0.9) q[0];\n"
             "id q[0];\nsx q[0];\nsxdg q[0];\np(0.1) q[0];\n")
    assert [op.name for op in c.operations] == ["u1", "u2", "u3", "u", "id", "sx", "sxdg", "p"]
    assert c.operations[2].params == (0.4, 0.5, 0.6)


def test_legacy_two_qubit_gates():
    c = load(HEAD + "qreg q[2];\ncu1(0.1) q[0],q[1];\ncu3(0.1,0.2,0.3) q[0],q[1];\nrxx(0.2) q[0],q[1];\n"
             "rzz(0.3) q[0],q[1];\nCX q[1],q[0];\ncsx q[0],q[1];\ncswap q[0],q[1],q[1];\n".replace(
                 "cswap q[0],q[1],q[1];\n", ""))
    assert [op.name for op in c.operations] == ["cu1", "cu3", "rxx", "rzz", "cx", "csx"]


@pytest.mark.parametrize("stmt, gate", [
    ("c3x q[0],q[1],q[2],q[3];", C3XGate()), ("c3sqrtx q[0],q[1],q[2],q[3];", C3SXGate()),
    ("rc3x q[0],q[1],q[2],q[3];", RC3XGate()),
])
def test_multi_controlled_legacy_gates_are_exact(stmt, gate):
    c = load(HEAD + "qreg q[5];\n" + stmt + "\n")
    want = reference(5, lambda qc: qc.append(gate, [0, 1, 2, 3]))
    assert equal_up_to_phase(unitary(c), want)


def test_c4x_is_x_with_four_controls():
    c = load(HEAD + "qreg q[5];\nc4x q[0],q[1],q[2],q[3],q[4];\n")
    assert c.operations == (Operation("x", (0, 1, 2, 3, 4), ctrl_qubits=4),)
    want = reference(5, lambda qc: qc.append(C4XGate(), range(5)))
    assert equal_up_to_phase(unitary(c), want)


def test_u0_is_identity():
    c = load(HEAD + "qreg q[1];\nu0(3) q[0];\n")
    assert c.operations and all(op == Operation("id", (0,)) for op in c.operations)


def test_custom_gate_is_decomposed():
    c = load(HEAD + "gate maj a,b,c { cx c,b; cx c,a; ccx a,b,c; }\nqreg q[3];\nmaj q[0],q[1],q[2];\n")
    assert [op.name for op in c.operations] == ["cx", "cx", "ccx"]
    assert c.operations[2].qubits == (0, 1, 2)


def test_file_definition_of_a_legacy_name_is_what_runs():
    # qiskit's legacy table would silently swap this for its own RZZGate; the file's body must win
    c = load(HEAD + "gate rzz(t) a,b { cx a,b; }\nqreg q[2];\nrzz(0.5) q[0],q[1];\n")
    assert c.operations == (Operation("cx", (0, 1)),)


def test_syntax_error_has_line_and_column():
    with pytest.raises(QasmError) as e:
        load(HEAD + "qreg q[2];\ncreg c[2];\nmeasure q[0] -> c[0] c;\n")
    assert e.value.construct == "syntax" and (e.value.line, e.value.column) == (5, 22)
    assert e.value.message.startswith("needed ';'")


def test_semantic_error_points_at_the_index():
    with pytest.raises(QasmError) as e:
        load(HEAD + "qreg q[2];\n  h q[0]; x q[7];\n")
    assert (e.value.line, e.value.column) == (4, 15) and "out-of-range" in e.value.message


def test_unknown_gate_error_has_location():
    with pytest.raises(QasmError) as e:
        load(HEAD + "qreg q[2];\nfoo q[0];\n")
    assert (e.value.line, e.value.column) == (4, 1) and "foo" in e.value.message


def test_if_is_classical_control():
    with pytest.raises(UnsupportedConstructError) as e:
        load(HEAD + "qreg q[1];\ncreg c[1];\nmeasure q[0] -> c[0];\n  if(c==1) x q[0];\n")
    assert e.value.construct == "if (classical control)" and (e.value.line, e.value.column) == (6, 3)


def test_opaque_gate_is_rejected_at_its_declaration():
    with pytest.raises(UnsupportedConstructError) as e:
        load(HEAD + "opaque magic a;\nqreg q[1];\nmagic q[0];\n")
    assert e.value.construct == "opaque gate" and (e.value.line, e.value.column) == (3, 1)
    assert "magic" in e.value.message


def test_comment_mentioning_if_is_not_an_error():
    c = load(HEAD + "// if(c==1) would be rejected\nqreg q[1];\nx q[0];\n")
    assert c.operations == (Operation("x", (0,)),)


def test_qasm2_unitary_matches_qiskit_parse():
    text = HEAD + "qreg q[3];\nh q[0];\ncu3(0.3,0.2,0.1) q[0],q[2];\nrzz(0.4) q[1],q[2];\nu2(0.5,0.6) q[1];\n"
    from qiskit import qasm2
    want = Operator(qasm2.loads(text, custom_instructions=qasm2.LEGACY_CUSTOM_INSTRUCTIONS)).data
    assert np.allclose(unitary(load(text)), want)  # same matrices, so exactly equal (no phase slack)
