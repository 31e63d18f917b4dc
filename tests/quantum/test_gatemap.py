"""The IR -> qiskit gate mapping against textbook matrices (qiskit little-endian convention)."""

from __future__ import annotations

import cmath
import math

import numpy as np
import pytest

from qnb.circuits.gates import GATES
from qnb.quantum.gatemap import gate_matrix, qiskit_gate

S2 = 1 / math.sqrt(2)
th, ph, lam = 0.7, -1.3, 2.1
c, s = math.cos(th / 2), math.sin(th / 2)

TEXTBOOK = {
    ("h", ()): S2 * np.array([[1, 1], [1, -1]]),
    ("x", ()): np.array([[0, 1], [1, 0]]),
    ("y", ()): np.array([[0, -1j], [1j, 0]]),
    ("s", ()): np.diag([1, 1j]),
    ("t", ()): np.diag([1, cmath.exp(1j * math.pi / 4)]),
    ("sx", ()): 0.5 * np.array([[1 + 1j, 1 - 1j], [1 - 1j, 1 + 1j]]),
    ("rx", (th,)): np.array([[c, -1j * s], [-1j * s, c]]),
    ("ry", (th,)): np.array([[c, -s], [s, c]]),
    ("rz", (th,)): np.diag([cmath.exp(-1j * th / 2), cmath.exp(1j * th / 2)]),
    ("p", (lam,)): np.diag([1, cmath.exp(1j * lam)]),
    ("u", (th, ph, lam)): np.array([[c, -cmath.exp(1j * lam) * s],
                                    [cmath.exp(1j * ph) * s, cmath.exp(1j * (ph + lam)) * c]]),
    # basis index = q0 + 2 q1 (+ 4 q2); the first listed qubit is q0 here
    ("cx", ()): np.eye(4)[[0, 3, 2, 1]],                 # control q0 flips q1: |01> <-> |11>
    ("swap", ()): np.eye(4)[[0, 2, 1, 3]],
    ("cz", ()): np.diag([1, 1, 1, -1]),
    ("ccx", ()): np.eye(8)[[0, 1, 2, 7, 4, 5, 6, 3]],   # controls q0, q1 flip q2
}


@pytest.mark.parametrize("key", list(TEXTBOOK), ids=[k[0] for k in TEXTBOOK])
def test_matrices_match_textbook_definitions(key):
    name, params = key
    assert np.allclose(gate_matrix(name, params), TEXTBOOK[key], atol=1e-12)


def test_ctrl_qubits_put_the_controls_first():
    # ctrl @ h with control q0 acts as H on q1 only when q0 = 1 (basis indices 1 and 3)
    m = gate_matrix("h", (), 1)
    expected = np.eye(4, dtype=complex)
    expected[np.ix_([1, 3], [1, 3])] = TEXTBOOK[("h", ())]
    assert np.allclose(m, expected)
    assert np.allclose(gate_matrix("x", (), 2), TEXTBOOK[("ccx", ())])


@pytest.mark.parametrize("name", sorted(GATES))
def test_every_library_gate_has_the_declared_arity_and_is_unitary(name):
    info = GATES[name]
    params = tuple(0.3 + 0.1 * i for i in range(info.num_params))
    gate = qiskit_gate(name, params)
    assert gate.num_qubits == info.num_qubits
    m = gate_matrix(name, params)
    assert np.allclose(m.conj().T @ m, np.eye(2 ** info.num_qubits), atol=1e-12)


def test_unknown_gate_is_a_key_error_naming_it():
    with pytest.raises(KeyError, match="frob"):
        qiskit_gate("frob")
