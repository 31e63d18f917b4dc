"""Exporters: to_qiskit is unitary-equivalent, to_qasm3 reloads to the same fingerprint (FR-003)."""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from qiskit.circuit import ParameterExpression
from qiskit.quantum_info import Operator

from qnb.circuits import Circuit, Operation, ParamExpr, bundled, load, random_circuit, to_qasm3, to_qiskit
from qnb.circuits.gates import GATES
from qnb.circuits.library import QNB_GATE_DEFS, STDGATES

from ingest_helpers import equal_up_to_phase, exact_equal, unitary

BUNDLED = sorted(bundled())


def bound(circuit: Circuit) -> Circuit:
    """Parameterised circuits are compared at an arbitrary binding."""
    return circuit.bind({p: 0.37 + i for i, p in enumerate(circuit.parameters)}) if circuit.parameters else circuit


@pytest.mark.parametrize("name", BUNDLED)
def test_qiskit_round_trip_is_unitary_equivalent(name):
    circuit = bound(load(name))
    back = load(to_qiskit(circuit, measurements=False))
    assert back.operations == tuple(op for op in circuit.operations if op.name != "measure")
    assert equal_up_to_phase(unitary(back), unitary(circuit))


@pytest.mark.parametrize("name", [n for n in BUNDLED if load(n).source_format == "qasm2"])
def test_qasm2_bundled_circuits_match_qiskits_own_parse(name):
    from qiskit import qasm2
    theirs = qasm2.loads(bundled()[name].read_text(), custom_instructions=qasm2.LEGACY_CUSTOM_INSTRUCTIONS)
    theirs.remove_final_measurements()
    assert equal_up_to_phase(unitary(load(name)), Operator(theirs).data)


@pytest.mark.parametrize("name", BUNDLED)
def test_qiskit_export_keeps_measurements_and_registers(name):
    circuit = load(name)
    qc = to_qiskit(circuit)
    back = load(qc)
    assert back.measurements == circuit.measurements
    assert back.qubit_labels == circuit.qubit_labels and back.clbit_labels == circuit.clbit_labels


@pytest.mark.parametrize("name", BUNDLED)
def test_qasm3_round_trip_has_the_same_fingerprint(name):
    circuit = load(name)
    text = to_qasm3(circuit)
    back = load(text)
    assert back.fingerprint() == circuit.fingerprint()
    assert back.operations == circuit.operations and back.parameters == circuit.parameters
    assert back.qubit_labels == circuit.qubit_labels and back.clbit_labels == circuit.clbit_labels


def test_parameterised_circuit_exports_to_qiskit_parameters():
    c = load('OPENQASM 3;\ninclude "stdgates.inc";\ninput float a;\ninput angle b;\nqubit q;\n'
             "rz(a / 2 + sin(b)) q;\nrx(-a) q;\n")
    qc = to_qiskit(c)
    assert {p.name for p in qc.parameters} == {"a", "b"}
    p = qc.data[0].operation.params[0]
    assert isinstance(p, ParameterExpression)
    values = {next(x for x in qc.parameters if x.name == "a"): 0.8, next(x for x in qc.parameters if x.name == "b"): 0.3}
    assert float(p.bind(values)) == pytest.approx(0.4 + math.sin(0.3))
    back = load(qc)
    assert back.bind(a=0.8, b=0.3).operations[0].params[0] == pytest.approx(0.4 + math.sin(0.3))


def test_qasm3_export_of_parameter_expressions_reloads_identically():
    c = load('OPENQASM 3;\ninclude "stdgates.inc";\ninput float a;\nqubit q;\n'
             "rz(-(a + 1) * 2 ** -1 - sqrt(a) / 3) q;\nrz(-a) q;\nrz(a - -2.5) q;\n")
    back = load(to_qasm3(c))
    assert back.operations == c.operations and back.fingerprint() == c.fingerprint()


def test_qasm3_export_keeps_python_division_of_integer_constants():
    c = Circuit(1, 0, (Operation("rz", (0,), (), (ParamExpr("1 / 2 * a"),)),), parameters=("a",))
    back = load(to_qasm3(c))
    assert back.bind(a=1.0).operations[0].params[0] == pytest.approx(0.5)


def test_qasm3_export_defines_only_the_missing_gates():
    c = Circuit(3, 0, (Operation("rzz", (0, 1), (), (0.2,)), Operation("iswap", (1, 2)), Operation("h", (0,))))
    text = to_qasm3(c)
    assert QNB_GATE_DEFS["rzz"] in text and QNB_GATE_DEFS["iswap"] in text
    assert "gate h" not in text and "gate ecr" not in text


@pytest.mark.parametrize("name", sorted(GATES))
def test_every_ir_gate_survives_qasm3_and_qiskit_round_trips(name):
    info = GATES[name]
    op = Operation(name, tuple(range(info.num_qubits)), (), (0.3, -0.8, 1.3, 0.2)[: info.num_params])
    c = Circuit(info.num_qubits, 0, (op,))
    assert load(to_qasm3(c)).operations == (op,)
    assert load(to_qiskit(c)).operations == (op,)
    assert exact_equal(Operator(to_qiskit(c)).data, Operator(to_qiskit(load(to_qasm3(c)))).data)


def test_controlled_ops_round_trip_through_qasm3():
    ops = (Operation("rzz", (3, 0, 1), (), (0.4,), ctrl_qubits=1), Operation("x", (0, 1, 2, 3), ctrl_qubits=3),
           Operation("u", (2, 1, 0), (), (0.1, 0.2, 0.3), ctrl_qubits=2))
    c = Circuit(4, 0, ops)
    assert load(to_qasm3(c)).operations == ops


def test_physical_qubit_labels_round_trip():
    c = load('OPENQASM 3;\ninclude "stdgates.inc";\ncx $3, $1;\nh $8;\n')
    text = to_qasm3(c)
    assert "$3" in text and "qubit" not in text
    assert load(text).qubit_labels == ("$1", "$3", "$8") and load(text).operations == c.operations


def test_register_names_that_clash_are_replaced():
    c = Circuit(2, 2, (Operation("h", (0,)), Operation("measure", (0,), (1,))),
                qubit_labels=("h[0]", "h[1]"), clbit_labels=("input[0]", "input[1]"))
    back = load(to_qasm3(c))
    assert back.operations == c.operations
    assert back.qubit_labels == ("q[0]", "q[1]") and back.clbit_labels == ("c[0]", "c[1]")


def test_stdgates_u2_u3_keep_their_names():
    c = Circuit(1, 0, (Operation("u3", (0,), (), (0.1, 0.2, 0.3)), Operation("u2", (0,), (), (0.4, 0.5))))
    assert load(to_qasm3(c)).operations == c.operations
    assert "u3" in STDGATES and "u2" in STDGATES


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 6), ops=st.integers(0, 40), seed=st.integers(0, 2**31 - 1),
       frac=st.floats(0.0, 1.0), measure=st.booleans())
def test_random_circuits_round_trip_through_qasm3(n, ops, seed, frac, measure):
    c = random_circuit(n, ops, seed, frac, measure=measure)
    back = load(to_qasm3(c))
    assert back.fingerprint() == c.fingerprint()
    assert back.operations == c.operations


@settings(max_examples=15, deadline=None)
@given(n=st.integers(1, 4), ops=st.integers(1, 25), seed=st.integers(0, 10**6))
def test_random_circuits_round_trip_through_qiskit(n, ops, seed):
    c = random_circuit(n, ops, seed)
    qc = to_qiskit(c)
    assert load(qc).operations == c.operations
    assert exact_equal(Operator(qc).data, unitary(c))
