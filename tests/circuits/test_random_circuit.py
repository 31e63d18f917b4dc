"""random_circuit: deterministic benchmark/property-test circuits."""

import pytest

from qnb.circuits import random_circuit
from qnb.circuits.random_circuit import ONE_QUBIT_GATES, TWO_QUBIT_GATES
from qnb.errors import QnbError


def test_same_arguments_same_circuit():
    a, b = random_circuit(5, 40, seed=3), random_circuit(5, 40, seed=3)
    assert a == b and a.fingerprint() == b.fingerprint()
    assert random_circuit(5, 40, seed=4).fingerprint() != a.fingerprint()


def test_shape_and_gate_set():
    c = random_circuit(6, 200, seed=1)
    assert c.num_qubits == 6 and c.num_ops == 200 and c.num_clbits == 0
    assert c.gate_names <= set(ONE_QUBIT_GATES) | set(TWO_QUBIT_GATES)
    for op in c.operations:
        assert len(op.qubits) == (2 if op.name in TWO_QUBIT_GATES else 1)
        assert len(set(op.qubits)) == len(op.qubits)
        assert len(op.params) == (1 if op.name in ("rz", "rzz") else 0)


def test_two_qubit_fraction_controls_the_mix():
    def two(frac):
        return sum(len(op.qubits) == 2 for op in random_circuit(4, 400, seed=9, two_qubit_fraction=frac).operations)
    assert two(0.0) == 0 and two(1.0) == 400
    assert 100 < two(0.4) < 220  # binomial(400, 0.4): mean 160, sd ~10


def test_single_qubit_circuit_has_only_one_qubit_gates():
    assert random_circuit(1, 30, seed=0, two_qubit_fraction=1.0).gate_names <= set(ONE_QUBIT_GATES)


def test_measure_adds_terminal_measurements():
    c = random_circuit(3, 10, seed=2, measure=True)
    assert c.num_clbits == 3 and c.measurements == ((0, 0), (1, 1), (2, 2))
    assert all(op.name == "measure" for op in c.operations[-3:])


@pytest.mark.parametrize("kwargs, bad", [
    (dict(num_qubits=0, num_ops=5, seed=1), "num_qubits"),
    (dict(num_qubits=2, num_ops=-1, seed=1), "num_ops"),
    (dict(num_qubits=2, num_ops=5, seed=1.5), "seed"),
    (dict(num_qubits=2, num_ops=5, seed=1, two_qubit_fraction=1.5), "two_qubit_fraction"),
])
def test_bad_arguments(kwargs, bad):
    with pytest.raises(QnbError) as e:
        random_circuit(**kwargs)
    assert e.value.fields["parameter"] == bad and bad in str(e.value)
