"""qiskit QuantumCircuit -> IR (FR-003)."""

import math

import pytest
from qiskit import ClassicalRegister, QuantumCircuit, QuantumRegister
from qiskit.circuit import Gate, Parameter, ParameterVector
from qiskit.circuit.library import CSGate, MCXGate, QFTGate, RYGate, XGate

from qnb.circuits import Operation, ParamExpr, from_qiskit, load
from qnb.errors import UnsupportedConstructError

from ingest_helpers import equal_up_to_phase, unitary
from qiskit.quantum_info import Operator


def test_standard_gates_measure_reset_barrier_and_labels():
    q, a, c = QuantumRegister(2, "data"), QuantumRegister(1, "anc"), ClassicalRegister(2, "out")
    qc = QuantumCircuit(q, a, c, name="demo")
    qc.h(0)
    qc.cx(0, 2)
    qc.rzz(0.3, 1, 2)
    qc.barrier()
    qc.reset(2)
    qc.measure([0, 1], [1, 0])
    circ = load(qc)
    assert circ.name == "demo" and circ.source_format == "qiskit"
    assert circ.qubit_labels == ("data[0]", "data[1]", "anc[0]") and circ.clbit_labels == ("out[0]", "out[1]")
    assert circ.operations == (Operation("h", (0,)), Operation("cx", (0, 2)), Operation("rzz", (1, 2), (), (0.3,)),
                               Operation("barrier", (0, 1, 2)), Operation("reset", (2,)),
                               Operation("measure", (0,), (1,)), Operation("measure", (1,), (0,)))


def test_parameters_are_sanitised_and_symbolic():
    theta, v = Parameter("θ"), ParameterVector("v", 2)
    qc = QuantumCircuit(1)
    qc.rz(2 * theta + v[1], 0)
    qc.ry(v[0] ** 2, 0)
    circ = from_qiskit(qc)
    assert set(circ.parameters) == {"θ", "v_0", "v_1"}
    p0, p1 = circ.operations[0].params[0], circ.operations[1].params[0]
    assert isinstance(p0, ParamExpr) and p0.evaluate({"θ": 0.25, "v_1": 1.0}) == pytest.approx(1.5)
    assert p1.evaluate({"v_0": 3.0}) == pytest.approx(9.0)


def test_reserved_parameter_names_are_renamed():
    qc = QuantumCircuit(1)
    qc.rz(Parameter("pi") + Parameter("lambda") + Parameter("e"), 0)
    circ = from_qiskit(qc)
    assert len(set(circ.parameters)) == 3
    assert not {"pi", "lambda", "e"} & set(circ.parameters)
    bound = circ.bind({name: 1.0 for name in circ.parameters})
    assert bound.operations[0].params[0] == pytest.approx(3.0)


def test_parameter_functions():
    t = Parameter("t")
    qc = QuantumCircuit(1)
    qc.rx(t.sin() * 2, 0)
    (p,) = from_qiskit(qc).operations[0].params
    assert p.evaluate({"t": 0.4}) == pytest.approx(2 * math.sin(0.4))


def test_bound_parameter_expression_becomes_a_float():
    t = Parameter("t")
    qc = QuantumCircuit(1)
    qc.rx(t * 2, 0)
    qc = qc.assign_parameters({t: 0.25})
    assert from_qiskit(qc).operations[0].params == (0.5,)


def test_custom_gate_is_decomposed_exactly():
    sub = QuantumCircuit(2, name="mine")
    sub.h(0)
    sub.cx(0, 1)
    sub.t(1)
    qc = QuantumCircuit(3)
    qc.append(sub.to_gate(), [2, 0])
    circ = from_qiskit(qc)
    assert [op.name for op in circ.operations] == ["h", "cx", "t"]
    assert circ.operations[1].qubits == (2, 0)
    assert equal_up_to_phase(unitary(circ), Operator(qc).data)


def test_custom_gate_named_like_a_library_gate_is_not_trusted():
    fake = QuantumCircuit(2, name="rzz")
    fake.cx(0, 1)
    qc = QuantumCircuit(2)
    qc.append(fake.to_gate(), [0, 1])
    assert [op.name for op in from_qiskit(qc).operations] == ["cx"]


def test_controlled_gates_with_open_controls():
    qc = QuantumCircuit(3)
    qc.append(XGate().control(2, ctrl_state="01", annotated=False), [0, 1, 2])
    qc.append(CSGate(), [1, 2])
    qc.append(MCXGate(2), [2, 1, 0])
    qc.append(RYGate(0.3).control(1, annotated=False), [0, 2])
    circ = from_qiskit(qc)
    names = [op.name for op in circ.operations]
    assert "ccx" in names and "cry" in names and ("s", 1) in [(op.name, op.ctrl_qubits) for op in circ.operations]
    assert equal_up_to_phase(unitary(circ), Operator(qc).data)


def test_library_circuit_is_decomposed_to_known_gates():
    qc = QuantumCircuit(4)
    qc.append(QFTGate(4), range(4))
    circ = from_qiskit(qc)
    assert circ.num_ops > 4
    assert equal_up_to_phase(unitary(circ), Operator(qc).data)


def test_classical_control_flow_is_rejected():
    qc = QuantumCircuit(1, 1)
    qc.measure(0, 0)
    with qc.if_test((qc.clbits[0], 1)):
        qc.x(0)
    with pytest.raises(UnsupportedConstructError) as e:
        from_qiskit(qc)
    assert e.value.construct == "classical control flow" and "if_else" in e.value.message


def test_delay_is_rejected():
    qc = QuantumCircuit(1)
    qc.delay(100, 0)
    with pytest.raises(UnsupportedConstructError) as e:
        from_qiskit(qc)
    assert e.value.construct == "delay"


def test_opaque_instruction_is_rejected():
    qc = QuantumCircuit(1)
    qc.append(Gate("mystery", 1, []), [0])
    with pytest.raises(UnsupportedConstructError) as e:
        from_qiskit(qc)
    assert e.value.construct == "opaque gate" and "mystery" in e.value.message


def test_global_phase_is_dropped():
    qc = QuantumCircuit(1, global_phase=0.3)
    qc.x(0)
    assert from_qiskit(qc).operations == (Operation("x", (0,)),)
