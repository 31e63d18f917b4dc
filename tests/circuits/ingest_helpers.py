"""Shared checks for the circuit-ingestion tests (kept out of conftest so tests can import them)."""

from __future__ import annotations

import numpy as np
from qiskit import QuantumCircuit
from qiskit.quantum_info import Operator

from qnb.circuits import Circuit, to_qiskit
from qnb.circuits.qasm3 import loads_qasm3

HEADER = 'OPENQASM 3.0;\ninclude "stdgates.inc";\n'


def unitary(circuit: Circuit) -> np.ndarray:
    """Matrix of a circuit's gates (measurements and barriers dropped)."""
    return Operator(to_qiskit(circuit, measurements=False).remove_final_measurements(inplace=False)).data


def equal_up_to_phase(a: np.ndarray, b: np.ndarray, atol: float = 1e-9) -> bool:
    """True when a = e^{i phi} b for some phi."""
    if a.shape != b.shape:
        return False
    k = np.argmax(np.abs(b))
    idx = np.unravel_index(k, b.shape)
    if abs(b[idx]) < 1e-12:
        return np.allclose(a, b, atol=atol)
    phase = a[idx] / b[idx]
    return abs(abs(phase) - 1) < 1e-9 and np.allclose(a, phase * b, atol=atol)


def exact_equal(a: np.ndarray, b: np.ndarray, atol: float = 1e-9) -> bool:
    return a.shape == b.shape and np.allclose(a, b, atol=atol)


def qasm3_ops(body: str, declarations: str = "qubit[4] q;\n", fast: bool = False):
    """Lower a QASM 3 snippet through the AST path and return its operations."""
    return loads_qasm3(HEADER + declarations + body, fast=fast).operations


def qasm3(body: str, declarations: str = "qubit[4] q;\n", fast: bool = False) -> Circuit:
    return loads_qasm3(HEADER + declarations + body, fast=fast)


def reference(num_qubits: int, build) -> np.ndarray:
    """Matrix of a qiskit circuit built by ``build(qc)`` (the independent expectation)."""
    qc = QuantumCircuit(num_qubits)
    build(qc)
    return Operator(qc).data
